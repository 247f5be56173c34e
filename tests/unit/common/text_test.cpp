#include "common/text.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <limits>

namespace pbx::common {
namespace {

using namespace std::string_view_literals;
using Pieces = std::vector<std::string>;

TEST(TextTest, TrimStripsTheGivenWhitespaceAtBothEndsOnly) {
  EXPECT_EQ(trim(" \t\r\n a b \v\f"), "a b");
  EXPECT_EQ(trim(" \t a\nb \t", kBlanks), "a\nb");
  EXPECT_EQ(trim("\r\nx\n", kBlanks), "\r\nx\n") << "HTTP's blanks are not line ends";
  EXPECT_EQ(trim("--x-", "-"), "x");
  EXPECT_EQ(trim(" x ", ""), " x ") << "no whitespace set trims nothing";
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim("\xc2\xa0x"), "\xc2\xa0x") << "non-ASCII bytes are not whitespace";
}

TEST(TextTest, TrimOfOnlyWhitespaceIsEmptyAtTheTextsEnd) {
  const std::string_view text = "  \t ";
  const std::string_view trimmed = trim(text);
  EXPECT_TRUE(trimmed.empty());
  EXPECT_EQ(trimmed.data(), text.data() + text.size());
}

TEST(TextTest, CaseMappingIsAsciiOnly) {
  EXPECT_EQ(to_lower("MiXeD-09_Z"), "mixed-09_z");
  EXPECT_EQ(to_upper("MiXeD-09_z"), "MIXED-09_Z");
  EXPECT_EQ(to_lower("\xc3\x84"), "\xc3\x84") << "UTF-8 bytes are kept";
  EXPECT_EQ(to_lower(""), "");
}

TEST(TextTest, IequalsIgnoresAsciiCaseButNotLength) {
  EXPECT_TRUE(iequals("Multipart/Form-Data", "multipart/form-data"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("form-data", "form-data "));
  EXPECT_FALSE(iequals("a", "b"));
  EXPECT_FALSE(iequals("[", "{")) << "only letters fold, not the bytes 32 apart";
}

TEST(TextTest, SplitListDropsEmptyPiecesAndTrimsOnlyWhenAsked) {
  EXPECT_EQ(split_list("a,,b;c", ",;"), (Pieces{"a", "b", "c"}));
  EXPECT_EQ(split_list(" a , b ", ","), (Pieces{" a ", " b "})) << "untrimmed by default";
  EXPECT_EQ(split_list(" a , ,b ", ",", kWhitespace), (Pieces{"a", "b"}));
  EXPECT_EQ(split_list("", ","), Pieces{});
  EXPECT_EQ(split_list(",;,", ",;"), Pieces{});
  EXPECT_EQ(split_list("whole", ""), Pieces{"whole"}) << "no separators: one piece";
  EXPECT_EQ(split_list("a\0b"sv, ",\0"sv), (Pieces{"a", "b"})) << "a NUL separator counts";
}

TEST(TextTest, ParseBooleanAcceptsOnlyTheGivenWordsInAnyCase) {
  constexpr std::array kYes{"true"sv, "on"sv, "1"sv};
  constexpr std::array kNo{"false"sv, "off"sv, "0"sv};
  const BooleanWords words{kYes, kNo};
  EXPECT_EQ(parse_boolean("TRUE", words), true);
  EXPECT_EQ(parse_boolean("On", words), true);
  EXPECT_EQ(parse_boolean("0", words), false);
  EXPECT_EQ(parse_boolean("Off", words), false);
  EXPECT_EQ(parse_boolean("yes", words), std::nullopt) << "a word of another API";
  EXPECT_EQ(parse_boolean(" true", words), std::nullopt) << "no trimming";
  EXPECT_EQ(parse_boolean("", words), std::nullopt);
}

TEST(TextTest, ParseNumberReadsTheWholeTextByDefault) {
  EXPECT_EQ(parse_number<int64_t>("-42"), -42);
  EXPECT_EQ(parse_number<int64_t>("+42"), std::nullopt) << "'+' only when allowed";
  EXPECT_EQ(parse_number<int64_t>("+42", {.plus_sign = true}), 42);
  EXPECT_EQ(parse_number<int64_t>("+", {.plus_sign = true}), std::nullopt);
  EXPECT_EQ(parse_number<int64_t>("12abc"), std::nullopt);
  EXPECT_EQ(parse_number<int>("12abc", {.trailing_text = true}), 12);
  EXPECT_EQ(parse_number<int>("abc", {.trailing_text = true}), std::nullopt);
  EXPECT_EQ(parse_number<int64_t>(""), std::nullopt);
  EXPECT_EQ(parse_number<int64_t>(" 1"), std::nullopt);
  EXPECT_EQ(parse_number<int64_t>("0x10"), std::nullopt);
  EXPECT_EQ(parse_number<unsigned>("-1"), std::nullopt);
}

TEST(TextTest, ParseNumberReadsWhatItIsToldTo) {
  EXPECT_EQ(parse_number<int>(" \t+12x", kLeadingNumber), 12) << "as atoi reads it";
  EXPECT_EQ(parse_number<int>(" -7", kLeadingNumber), -7);
  EXPECT_EQ(parse_number<int>(" x", kLeadingNumber), std::nullopt);
  EXPECT_EQ(parse_number<int>("   ", kLeadingNumber), std::nullopt);
  EXPECT_EQ(parse_number<int>(" 1", {.trailing_text = true}), std::nullopt);
  EXPECT_EQ(parse_number<uint32_t>("ff", {.base = 16}), 255u);
  EXPECT_EQ(parse_number<uint32_t>("0xff", {.base = 16}), std::nullopt);
  EXPECT_EQ(parse_number<uint32_t>("fg", {.base = 16}), std::nullopt);
}

TEST(TextTest, ParseNumberRejectsWhatDoesNotFit) {
  EXPECT_EQ(parse_number<int64_t>("9223372036854775807"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(parse_number<int64_t>("9223372036854775808"), std::nullopt);
  EXPECT_EQ(parse_number<int>("99999999999", {.trailing_text = true}), std::nullopt);
  EXPECT_EQ(parse_number<uint16_t>("65536"), std::nullopt);
}

TEST(TextTest, ParseNumberReadsFloatingPoint) {
  EXPECT_EQ(parse_number<double>("2.5"), 2.5);
  EXPECT_EQ(parse_number<double>("-1e3"), -1000.0);
  EXPECT_EQ(parse_number<double>("+2.5"), std::nullopt);
  EXPECT_EQ(parse_number<double>("+2.5", {.plus_sign = true}), 2.5);
  EXPECT_EQ(parse_number<double>("1.5x"), std::nullopt);
  EXPECT_EQ(parse_number<double>("1e999"), std::nullopt) << "out of range";
  ASSERT_TRUE(parse_number<double>("inf").has_value()) << "the caller decides on infinities";
}

}  // namespace
}  // namespace pbx::common
