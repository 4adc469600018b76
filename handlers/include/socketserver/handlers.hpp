/// @file
/// @brief Every bundled handler in one include: the classic small services (echo,
/// discard, daytime, time, chargen), file transfer and framed echo.
#pragma once

#include "socketserver/handlers/chargen.hpp"
#include "socketserver/handlers/clock.hpp"
#include "socketserver/handlers/daytime.hpp"
#include "socketserver/handlers/discard.hpp"
#include "socketserver/handlers/echo.hpp"
#include "socketserver/handlers/file_send.hpp"
#include "socketserver/handlers/framed_echo.hpp"
#include "socketserver/handlers/open_file.hpp"
#include "socketserver/handlers/time_protocol.hpp"
