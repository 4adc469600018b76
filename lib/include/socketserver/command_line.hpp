/// @file
/// @brief The command lines of servers and clients, on Boost.Program_options: include this
/// and link the `socketserver::command_line` CMake target (the core target does not carry
/// Program_options).
#pragma once

#include "socketserver/client_command_line.hpp"
#include "socketserver/command_line_base.hpp"
#include "socketserver/server_command_line.hpp"
