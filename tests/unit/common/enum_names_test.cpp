#include "common/enum_names.hpp"

#include <gtest/gtest.h>

#include <array>

namespace pbx::common {
namespace {

enum class Colour { red, dark_green, blue = 7 };
BOOST_DESCRIBE_ENUM(Colour, red, dark_green, blue)

TEST(EnumNamesTest, NamesAreTheEnumerators) {
  EXPECT_EQ(enum_name(Colour::red), "red");
  EXPECT_EQ(enum_name(Colour::dark_green), "dark_green");
  EXPECT_EQ(enum_name(Colour::blue), "blue");
  EXPECT_EQ(enum_name(static_cast<Colour>(3)), "") << "no enumerator";
  EXPECT_EQ(enum_names<Colour>(), "red, dark_green, blue");
  EXPECT_EQ(enum_names<Colour>("|"), "red|dark_green|blue");
}

TEST(EnumNamesTest, ParseReadsNamesExactly) {
  EXPECT_EQ(parse_enum<Colour>("blue"), Colour::blue);
  EXPECT_EQ(parse_enum<Colour>("dark_green"), Colour::dark_green);
  EXPECT_EQ(parse_enum<Colour>("dark-green"), std::nullopt) << "no alias given";
  EXPECT_EQ(parse_enum<Colour>("Blue"), std::nullopt) << "callers normalise case";
  EXPECT_EQ(parse_enum<Colour>(" blue"), std::nullopt);
  EXPECT_EQ(parse_enum<Colour>(""), std::nullopt);
}

TEST(EnumNamesTest, AliasesAreAcceptedOnlyWhereGiven) {
  static constexpr std::array<EnumAlias<Colour>, 2> kAliases{
      {{"dark-green", Colour::dark_green}, {"azure", Colour::blue}}};
  EXPECT_EQ(parse_enum<Colour>("dark-green", kAliases), Colour::dark_green);
  EXPECT_EQ(parse_enum<Colour>("azure", kAliases), Colour::blue);
  EXPECT_EQ(parse_enum<Colour>("dark_green", kAliases), Colour::dark_green);
  EXPECT_EQ(parse_enum<Colour>("green", kAliases), std::nullopt);
}

}  // namespace
}  // namespace pbx::common
