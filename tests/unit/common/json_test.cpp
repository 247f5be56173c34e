#include "common/json.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace pbx::common {
namespace {

namespace json = boost::json;

TEST(JsonTest, IntReadsNumbersTextsAndBooleans) {
  const json::object object = json::parse(
                                  R"({"int":7,"big":18446744073709551615,"real":2.9,"text":"42",
                                      "decimal":"3.7e1","junk":"x","yes":true,"null":null})")
                                  .as_object();
  EXPECT_EQ(json_int(field(object, "int")), 7);
  EXPECT_EQ(json_int(field(object, "real")), 2);
  EXPECT_EQ(json_int(field(object, "text")), 42);
  EXPECT_EQ(json_int(field(object, "decimal")), 3) << "the integer before the '.'";
  EXPECT_EQ(json_int(field(object, "junk"), -1), -1);
  EXPECT_EQ(json_int(field(object, "yes")), 1);
  EXPECT_EQ(json_int(field(object, "null"), 5), 5);
  EXPECT_EQ(json_int(field(object, "absent"), 9), 9);
  EXPECT_EQ(json_int(field(object, "big")), -1) << "uint64 is cast, as before";
}

TEST(JsonTest, IntFallsBackToTheRealATextSpells) {
  const json::value text = " 1e3";
  EXPECT_EQ(json_int(&text), 1000) << "strtod's reading: leading space, exponent";
}

TEST(JsonTest, NumberReadsTextLikeStrtod) {
  const json::value text = " 2.5kB";
  const json::value junk = "kB";
  const json::value integer = 3;
  EXPECT_DOUBLE_EQ(json_number(&text), 2.5);
  EXPECT_DOUBLE_EQ(json_number(&junk, -1), -1);
  EXPECT_DOUBLE_EQ(json_number(&integer), 3);
  EXPECT_DOUBLE_EQ(json_number(nullptr, 4), 4);
}

TEST(JsonTest, BoolReadsProxmoxFlags) {
  const json::value enabled = "enabled=1,fstrim_cloned_disks=1";
  const json::value disabled = "enabled=0";
  const json::value zero = "0";
  const json::value word = "false";
  const json::value empty = "";
  const json::value one = 1;
  const json::value null = nullptr;
  EXPECT_TRUE(json_bool(&enabled));
  EXPECT_FALSE(json_bool(&disabled));
  EXPECT_FALSE(json_bool(&zero));
  EXPECT_FALSE(json_bool(&word));
  EXPECT_FALSE(json_bool(&empty, true));
  EXPECT_TRUE(json_bool(&one));
  EXPECT_TRUE(json_bool(&null, true));
  EXPECT_FALSE(json_bool(nullptr));
}

TEST(JsonTest, StringSpellsScalars) {
  const json::object object =
      json::parse(R"({"s":"a","i":-3,"b":false,"n":null,"o":{},"a":[]})").as_object();
  EXPECT_EQ(json_string(field(object, "s")), "a");
  EXPECT_EQ(json_string(field(object, "i")), "-3");
  EXPECT_EQ(json_string(field(object, "b")), "false");
  EXPECT_EQ(json_string(field(object, "n"), "none"), "none");
  EXPECT_EQ(json_string(field(object, "o"), "fb"), "fb");
  EXPECT_EQ(json_string(field(object, "a"), "fb"), "fb");
}

TEST(JsonTest, StringMemberConvertsNothing) {
  const json::object object = json::parse(R"({"s":"text","i":1})").as_object();
  EXPECT_EQ(string_member(object, "s"), "text");
  EXPECT_EQ(string_member(object, "i"), "") << "a number is not a string here";
  EXPECT_EQ(string_member(object, "absent"), "");
}

}  // namespace
}  // namespace pbx::common
