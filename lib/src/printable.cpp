#include "socketserver/printable.hpp"

#include <cstdint>

namespace socketserver {
namespace {

void append_hex(std::string& out, unsigned char byte) {
  static constexpr char digits[] = "0123456789abcdef";
  out += "\\x";
  out += digits[byte >> 4];
  out += digits[byte & 0xf];
}

// The length of the valid UTF-8 sequence at the start of @p text, or 0 when it is not one
// (overlong forms, surrogates and code points past U+10FFFF are not valid).
std::size_t utf8_sequence_length(std::string_view text, char32_t& code_point) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(0);
  std::size_t length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 0;
  if (length == 0 || lead > 0xf4 || text.size() < length) return 0;
  code_point = lead & (0x7f >> length);
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xc0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(i) & 0x3f);
  }
  static constexpr char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (code_point < smallest[length] || code_point > 0x10ffff ||
      (code_point >= 0xd800 && code_point <= 0xdfff))
    return 0;
  return length;
}

} // namespace

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    auto byte = static_cast<unsigned char>(text.front());
    if (byte < 0x80) {
      if (byte == '\n') out += "\\n";
      else if (byte == '\r') out += "\\r";
      else if ((byte < 0x20 && byte != '\t') || byte == 0x7f) append_hex(out, byte);
      else out += static_cast<char>(byte);
      text.remove_prefix(1);
      continue;
    }
    char32_t code_point = 0;
    std::size_t length = utf8_sequence_length(text, code_point);
    if (length == 0 || code_point <= 0x9f) {  // not UTF-8, or a C1 control
      for (std::size_t i = 0; i < (length == 0 ? 1 : length); ++i)
        append_hex(out, static_cast<unsigned char>(text[i]));
      text.remove_prefix(length == 0 ? 1 : length);
      continue;
    }
    out.append(text.substr(0, length));
    text.remove_prefix(length);
  }
  return out;
}

} // namespace socketserver
