#include "common/netbox_token.hpp"

#include <gtest/gtest.h>

namespace pbx::common {
namespace {

using Version = NetBoxToken::Version;

TEST(NetBoxTokenTest, V1IsAnythingWithoutTheV2Prefix) {
  const auto token = NetBoxToken::parse("0123456789abcdef0123456789abcdef01234567");
  EXPECT_EQ(token, (NetBoxToken{Version::v1, "", "0123456789abcdef0123456789abcdef01234567"}));
  EXPECT_TRUE(token.well_formed() && token.netbox_generated_form());
  EXPECT_EQ(token.authorization(), "Token 0123456789abcdef0123456789abcdef01234567");
  const auto short_one = NetBoxToken::parse("abc");
  EXPECT_EQ(short_one.version, Version::v1) << "the version is chosen by the prefix only";
  EXPECT_FALSE(short_one.netbox_generated_form());
  EXPECT_FALSE(
      NetBoxToken::parse("0123456789abcdef0123456789abcdef0123456g").netbox_generated_form());
}

TEST(NetBoxTokenTest, V2SplitsKeyAndSecretAtTheFirstDot) {
  const auto token = NetBoxToken::parse("nbt_abcdefghijkl.secret.with.dots");
  EXPECT_EQ(token, (NetBoxToken{Version::v2, "abcdefghijkl", "secret.with.dots", true}));
  EXPECT_TRUE(token.well_formed() && token.netbox_generated_form());
  EXPECT_EQ(token.text(), "nbt_abcdefghijkl.secret.with.dots");
  EXPECT_EQ(token.authorization(), "Bearer nbt_abcdefghijkl.secret.with.dots");
}

TEST(NetBoxTokenTest, V2WithoutItsDotIsNotWellFormed) {
  const auto token = NetBoxToken::parse("nbt_abcdefghijkl");
  EXPECT_EQ(token.version, Version::v2);
  EXPECT_FALSE(token.well_formed());
  EXPECT_FALSE(token.netbox_generated_form());
  EXPECT_EQ(token.text(), "nbt_abcdefghijkl") << "written back as it was read";
  EXPECT_NE(token, NetBoxToken::parse("nbt_abcdefghijkl."));
  EXPECT_FALSE(NetBoxToken::parse("nbt_short.secret").netbox_generated_form());
  EXPECT_FALSE(NetBoxToken::parse("nbt_abcdefghijkl.").netbox_generated_form());
}

TEST(NetBoxTokenTest, V2FromKeyAndSecret) {
  EXPECT_EQ(NetBoxToken::v2("abcdefghijkl", "s").text(), "nbt_abcdefghijkl.s");
  EXPECT_EQ(NetBoxToken::v2("nbt_abcdefghijkl", "s").text(), "nbt_abcdefghijkl.s");
  EXPECT_EQ(NetBoxToken::v2("abcdefghijkl", "s"), NetBoxToken::parse("nbt_abcdefghijkl.s"));
}

TEST(NetBoxTokenTest, VersionNamesAreV1AndV2) {
  EXPECT_EQ(enum_name(Version::v2), "v2");
  EXPECT_EQ(parse_enum<Version>("v1"), Version::v1);
  EXPECT_EQ(parse_enum<Version>("v3"), std::nullopt);
}

}  // namespace
}  // namespace pbx::common
