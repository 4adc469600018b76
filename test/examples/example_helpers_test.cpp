// The examples' own helpers, without a network: Unicode upper-casing and UTF-8 boundaries
// (uppercase_server), and how client text becomes log lines.
#define BOOST_TEST_MODULE examples_helpers
#include <boost/test/unit_test.hpp>

#include <string>

#include "common/print_lines.hpp"
#include "common/unicode_text.hpp"

using namespace example;

BOOST_AUTO_TEST_CASE(upper_casing_follows_unicode_not_the_locale) {
  BOOST_TEST(to_upper_utf8("olá, ação") == "OLÁ, AÇÃO");
  BOOST_TEST(to_upper_utf8("straße") == "STRASSE");  // grows: one character becomes two
  // ǆ -> Ǆ (one code point), the ligature ﬁ -> FI, ΐ -> Ι + two combining marks.
  BOOST_TEST(to_upper_utf8("\u01c6 \ufb01 \u0390") == "\u01c4 FI \u0399\u0308\u0301");
  BOOST_TEST(to_upper_utf8("line one\r\nline two\n") == "LINE ONE\r\nLINE TWO\n");
  BOOST_TEST(to_upper_utf8("") == "");
  BOOST_TEST(to_upper_utf8(std::string("a\0b", 3)) == std::string("A\0B", 3));
  BOOST_TEST(to_upper_utf8(std::string(100000, 'q')) == std::string(100000, 'Q'));
  // Ill-formed bytes survive as they are.
  BOOST_TEST(to_upper_utf8("a\xff" "b\xc3") == "A\xff" "B\xc3");
}

BOOST_AUTO_TEST_CASE(utf8_boundaries) {
  BOOST_TEST(complete_utf8_prefix("") == 0u);
  BOOST_TEST(complete_utf8_prefix("abc") == 3u);
  BOOST_TEST(complete_utf8_prefix("ol\xc3") == 2u);               // first byte of "á"
  BOOST_TEST(complete_utf8_prefix("ol\xc3\xa1") == 4u);           // whole "á"
  BOOST_TEST(complete_utf8_prefix("x\xe2\x82") == 1u);            // 2 of the 3 bytes of "€"
  BOOST_TEST(complete_utf8_prefix("x\xf0\x9f\x98") == 1u);        // 3 of the 4 bytes of an emoji
  BOOST_TEST(complete_utf8_prefix("x\xf0\x9f\x98\x80") == 5u);
  BOOST_TEST(complete_utf8_prefix("x\xff") == 2u);                // invalid: nothing to wait for
  BOOST_TEST(complete_utf8_prefix("\x80\x80\x80\x80\x80") == 5u); // stray continuation bytes
}

BOOST_AUTO_TEST_CASE(log_lines_lose_one_line_ending) {
  BOOST_TEST(without_newline("text\n") == "text");
  BOOST_TEST(without_newline("text\r\n") == "text");
  BOOST_TEST(without_newline("text\n\n") == "text\n");
  BOOST_TEST(without_newline("text\r") == "text\r");
  BOOST_TEST(without_newline("") == "");
}


BOOST_AUTO_TEST_CASE(client_text_becomes_lines_that_start_with_the_client) {
  // Ordinary text prints as it always did.
  BOOST_TEST(client_lines("1.2.3.4:5 ", "olá, ação\n") == "1.2.3.4:5 olá, ação");
  BOOST_TEST(client_lines("1.2.3.4:5 ", "tab\there\r\n") == "1.2.3.4:5 tab\there");
  BOOST_TEST(client_lines("1.2.3.4:5 ", "\n") == "1.2.3.4:5 ");
  BOOST_TEST(client_lines("1.2.3.4:5 ", "back\\slash") == "1.2.3.4:5 back\\slash");
  // Each line of a piece gets the prefix: no line of the client's own.
  BOOST_TEST(client_lines("1.2.3.4:5 wrote: ", "hello\n127.0.0.1:1234 wrote: FORGED admin logged in\n") ==
             "1.2.3.4:5 wrote: hello\n1.2.3.4:5 wrote: 127.0.0.1:1234 wrote: FORGED admin logged in");
  BOOST_TEST(client_lines("P ", "a\r\nb\n\nc") == "P a\nP b\nP \nP c");
  // Control bytes, DEL, C1 and invalid UTF-8 are shown, not sent to the terminal.
  BOOST_TEST(client_lines("P ", "\x1b]0;owned\x07\x1b[2J") == "P \\x1b]0;owned\\x07\\x1b[2J");
  BOOST_TEST(client_lines("P ", "cr\rover") == "P cr\\rover");
  BOOST_TEST(client_lines("P ", "del\x7f c1\xc2\x9b bad\xff\xc3") == "P del\\x7f c1\\xc2\\x9b bad\\xff\\xc3");
  BOOST_TEST(client_lines("P ", std::string("nul\0end", 7)) == "P nul\\x00end");
}
