// Asio's implementation, compiled once for the whole project
// (BOOST_ASIO_SEPARATE_COMPILATION is set on every target that links socketserver).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
