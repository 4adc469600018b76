// Upper-casing of UTF-8 text with ICU, and where a stream of UTF-8 may be cut between
// characters: what uppercase_server needs beyond the library.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace example {

/// @p utf8 upper-cased by the full Unicode rules (ICU, root locale, so the result does not
/// depend on the environment): `olá, ação` becomes `OLÁ, AÇÃO`, `ß` becomes `SS`. Bytes
/// that are not well-formed UTF-8 are kept as they are. Line endings are untouched.
std::string to_upper_utf8(std::string_view utf8);

/// How many leading bytes of @p data end on a character boundary: all of them, unless the
/// data ends inside a multi-byte UTF-8 sequence, whose first bytes are then left out (at
/// most 3). A stream reader holds those bytes until the rest of the character arrives.
std::size_t complete_utf8_prefix(std::string_view data) noexcept;

} // namespace example
