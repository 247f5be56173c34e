// JSON as YAML block text (netbox/yaml.cpp).

#include "netbox/yaml.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace pbx::netbox {
namespace {

namespace json = boost::json;

TEST(NetboxYaml, BlocksNestAndEveryStringIsQuoted) {
  const json::value value{{"openapi", "3.0.3"},
                          {"paths", {{"/api/{id}/", {{"get", json::object{}}}}}},
                          {"enum", {"yes", "no", 1, true, nullptr}},
                          {"list", json::array{json::object{{"a", 1}, {"b", "x: y"}}}},
                          {"empty", json::array{}}};
  EXPECT_EQ(to_yaml(value),
            "\"openapi\": \"3.0.3\"\n"
            "\"paths\":\n"
            "  \"/api/{id}/\":\n"
            "    \"get\": {}\n"
            "\"enum\":\n"
            "  - \"yes\"\n"
            "  - \"no\"\n"
            "  - 1\n"
            "  - true\n"
            "  - null\n"
            "\"list\":\n"
            "  -\n"
            "    \"a\": 1\n"
            "    \"b\": \"x: y\"\n"
            "\"empty\": []\n");
}

TEST(NetboxYaml, ScalarsAndEscapes) {
  EXPECT_EQ(to_yaml(json::value("line\nbreak \"q\"")), "\"line\\nbreak \\\"q\\\"\"\n");
  EXPECT_EQ(to_yaml(json::object{}), "{}\n");
}

}  // namespace
}  // namespace pbx::netbox
