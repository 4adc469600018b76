/// @file
/// @brief HandlerFactory and handler<H>(): how a server makes a handler per request.
#pragma once

#include <functional>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

#include "socketserver/base_request_handler.hpp"

namespace socketserver {

/// Makes a fresh handler for each request. It may be called from several threads at once.
using HandlerFactory = std::function<std::unique_ptr<BaseRequestHandler>()>;

/// The factory that constructs `Handler(args...)` for each request — the C++ spelling of
/// passing a handler class to Python's server constructor.
///
/// The arguments are copied into the factory and passed to each new handler, which is how
/// shared state and configuration reach handlers without globals: bind a pointer, a
/// `std::shared_ptr` or a `std::ref`.
///
/// ```cpp
/// TCPServer server{Address::parse("127.0.0.1:0"), handler<Greeter>("hello")};
/// ```
template <class Handler, class... Args>
HandlerFactory handler(Args&&... args) {
  static_assert(std::is_base_of_v<BaseRequestHandler, Handler>,
                "handler<H>() needs a class derived from BaseRequestHandler");
  constexpr bool copyable = (std::is_copy_constructible_v<std::decay_t<Args>> && ...);
  constexpr bool constructible = std::is_constructible_v<Handler, std::decay_t<Args>&...>;
  static_assert(copyable,
                "handler<H>(args...): each argument is copied into every handler, so it must be copyable; "
                "for move-only or shared state (a std::unique_ptr, a std::mutex) pass a pointer, a "
                "std::shared_ptr or std::ref(x) instead");
  static_assert(!copyable || constructible,
                "handler<H>(args...): H has no constructor that takes these arguments (as lvalues)");
  if constexpr (copyable && constructible) {  // else only the message above, not pages of std::function
    return [bound = std::make_tuple(std::forward<Args>(args)...)]() {
      // auto& (not const auto&) keeps a std::ref argument a non-const reference.
      return std::apply([](auto&... a) { return std::make_unique<Handler>(a...); }, bound);
    };
  } else {
    return HandlerFactory{};
  }
}

} // namespace socketserver
