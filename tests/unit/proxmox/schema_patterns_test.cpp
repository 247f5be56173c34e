#include "proxmox/schema_patterns.hpp"

#include <gtest/gtest.h>

#include <string>

namespace pbx::proxmox::validation {
namespace {

std::string translated(std::string_view perl, bool* icase_out = nullptr) {
  bool icase = false;
  std::string result = translate_pattern(perl, icase);
  if (icase_out) *icase_out = icase;
  return result;
}

TEST(SchemaPatternsTest, PerlSpellingsBecomeRe2) {
  EXPECT_EQ(translated("/[a-z]+/"), "(?:[a-z]+)");  // PBS's /.../ wrapper dropped
  EXPECT_EQ(translated("(?^:a|b)"), "(?:(?:a|b))");
  EXPECT_EQ(translated("[[:^cntrl:]]*"), "(?:[^[:cntrl:]]*)");
  EXPECT_EQ(translated("x{,3}"), "(?:x{0,3})");
  EXPECT_EQ(translated("(?P<name>a)"), "(?:(a))");
  bool icase = false;
  EXPECT_EQ(translated("(?^i:abc)", &icase), "(?:(?:abc))");
  EXPECT_TRUE(icase);
  translated("abc", &icase);
  EXPECT_FALSE(icase);
}

TEST(SchemaPatternsTest, RepeatsBeyondRe2sLimitAreOpened) {
  EXPECT_EQ(translated("[0-9a-zA-Z!=]{0,4096}"), "(?:[0-9a-zA-Z!=]{0,})");
  EXPECT_EQ(translated("a{2,5}"), "(?:a{2,5})");  // small bounds kept
}

TEST(SchemaPatternsTest, MatchesWholeTextOnly) {
  EXPECT_TRUE(matches("[a-z]+", "abc"));
  EXPECT_FALSE(matches("[a-z]+", "abc1"));
  EXPECT_TRUE(matches("(?^i:abc)", "ABC"));
  EXPECT_FALSE(matches("a*", std::string(5000, 'a')));  // beyond the matcher's bound
  EXPECT_TRUE(matches("(?<=a)b", "anything"));          // not expressible in RE2: not checked
}

}  // namespace
}  // namespace pbx::proxmox::validation
