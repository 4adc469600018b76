#include "unicode_text.hpp"

#include <cstdint>
#include <stdexcept>

#include <unicode/ucasemap.h>

namespace example {
namespace {

// Length of the UTF-8 sequence a lead byte starts (1 for ASCII and for invalid leads).
std::size_t sequence_length(unsigned char lead) noexcept {
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 1;
}

bool is_continuation(unsigned char byte) noexcept { return (byte & 0xC0) == 0x80; }

// Root-locale case mapping: the same result in every environment. Thread-safe when const.
const UCaseMap* root_case_map() {
  static const UCaseMap* map = [] {
    UErrorCode status = U_ZERO_ERROR;
    UCaseMap* created = ucasemap_open("", 0, &status);
    if (U_FAILURE(status)) throw std::runtime_error(std::string("ICU: ") + u_errorName(status));
    return created;
  }();
  return map;
}

} // namespace

std::string to_upper_utf8(std::string_view utf8) {
  if (utf8.empty()) return {};
  if (utf8.size() > INT32_MAX / 3) throw std::length_error("to_upper_utf8: text too long");
  auto length = static_cast<std::int32_t>(utf8.size());
  std::string result(utf8.size() + utf8.size() / 2 + 16, '\0');
  for (int attempt = 0; attempt < 2; ++attempt) {
    UErrorCode status = U_ZERO_ERROR;
    std::int32_t size = ucasemap_utf8ToUpper(root_case_map(), result.data(), static_cast<std::int32_t>(result.size()),
                                             utf8.data(), length, &status);
    if (status == U_BUFFER_OVERFLOW_ERROR) {
      result.assign(static_cast<std::size_t>(size), '\0');
      continue;
    }
    if (U_FAILURE(status)) throw std::runtime_error(std::string("ICU upper-casing failed: ") + u_errorName(status));
    result.resize(static_cast<std::size_t>(size));
    return result;
  }
  throw std::runtime_error("ICU upper-casing failed: the result kept growing");
}

std::size_t complete_utf8_prefix(std::string_view data) noexcept {
  // Find the last byte that is not a continuation byte, among the last four.
  std::size_t size = data.size();
  for (std::size_t back = 1; back <= 4 && back <= size; ++back) {
    auto byte = static_cast<unsigned char>(data[size - back]);
    if (is_continuation(byte)) continue;
    return sequence_length(byte) > back ? size - back : size;
  }
  return size;
}

} // namespace example
