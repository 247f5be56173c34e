#include "common/result.hpp"

#include <gtest/gtest.h>

#include <string>

namespace pbx::common {
namespace {

enum class Refusal { too_short, taken };

Result<int, Refusal> length_of(const std::string& text) {
  if (text.size() < 3) return Failure{Refusal::too_short};
  return static_cast<int>(text.size());
}

Result<void, std::string> check(bool ok) {
  if (!ok) return Failure{std::string("no")};
  return {};
}

TEST(ResultTest, HoldsTheValueOrTheError) {
  const auto good = length_of("abcd");
  ASSERT_TRUE(good);
  EXPECT_EQ(*good, 4);
  EXPECT_EQ(good.value_or(0), 4);
  EXPECT_THROW((void)good.error(), std::logic_error);

  const auto bad = length_of("a");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), Refusal::too_short);
  EXPECT_EQ(bad.value_or(-1), -1);
  EXPECT_THROW((void)bad.value(), std::logic_error) << "reading a failure's value is a bug";
}

TEST(ResultTest, SameValueAndErrorTypesStayApart) {
  const Result<std::string, std::string> value = std::string("v");
  const Result<std::string, std::string> error = Failure{std::string("e")};
  EXPECT_TRUE(value.has_value());
  EXPECT_EQ(*value, "v");
  EXPECT_FALSE(error.has_value());
  EXPECT_EQ(error.error(), "e");
}

TEST(ResultTest, VoidIsDoneOrTheError) {
  EXPECT_TRUE(check(true));
  const auto refused = check(false);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), "no");
  EXPECT_THROW((void)check(true).error(), std::logic_error);
}

TEST(ResultTest, MovesItsValueOut) {
  Result<std::string, int> result = std::string(100, 'x');
  const std::string taken = std::move(result).value();
  EXPECT_EQ(taken.size(), 100u);
}

}  // namespace
}  // namespace pbx::common
