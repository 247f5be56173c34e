// OPTIONS on model endpoints (netbox/options_metadata.cpp): DRF's metadata as NetBox serves it,
// the choices pynetbox's Endpoint.choices() reads, and the content types NetBox lists.

#include "netbox/options_metadata.hpp"

#include <gtest/gtest.h>

#include "emulator_test_support.hpp"
#include "netbox/values.hpp"

namespace pbx::netbox::testing {
namespace {

using http::Verb;

TEST(NetboxOptions, ListDescribesPostWithEveryChoice) {
  EmulatorClient client;
  const auto response = client.call(Verb::options, "/api/virtualization/virtual-machines/");
  ASSERT_EQ(response.code(), 200u) << response.body;
  const json::value body = body_of(response);
  EXPECT_EQ(body.at("name"), "Virtual Machine List");
  EXPECT_EQ(body.at("parses").at(0), "application/json");
  const json::object& post = body.at("actions").at("POST").as_object();
  EXPECT_TRUE(body.at("actions").as_object().contains("PUT")) << "bulk PUT on the list";
  const json::array& status = post.at("status").at("choices").as_array();
  ASSERT_FALSE(status.empty());
  bool active = false;
  for (const json::value& choice : status) {
    active = active || (choice.at("value") == "active" && choice.at("display_name") == "Active");
  }
  EXPECT_TRUE(active) << json::serialize(status);
  EXPECT_EQ(post.at("status").at("type"), "field") << "NetBox's ChoiceField is a plain Field";
  EXPECT_EQ(post.at("status").at("required"), false) << "it has a default";
  EXPECT_EQ(post.at("name").at("required"), true);
  EXPECT_EQ(post.at("name").at("max_length"), 64);
  EXPECT_EQ(post.at("id"),
            (json::value{
                {"type", "integer"}, {"required", false}, {"read_only", true}, {"label", "ID"}}));
  EXPECT_EQ(post.at("cluster").at("type"), "nested object");
  EXPECT_TRUE(post.at("cluster").at("children").as_object().contains("name"));
  EXPECT_EQ(post.at("tags").at("type"), "list");
  EXPECT_FALSE(post.at("interface_count").as_object().contains("choices"));
  EXPECT_EQ(post.at("interface_count").at("read_only"), true);
}

TEST(NetboxOptions, ReadOnlyChoiceFieldsListNoChoices) {
  EmulatorClient client;
  const auto body = body_of(client.call(Verb::options, "/api/ipam/ip-addresses/"));
  const json::object& post = body.at("actions").at("POST").as_object();
  EXPECT_FALSE(post.at("family").as_object().contains("choices")) << "family is read-only";
  EXPECT_TRUE(post.at("status").as_object().contains("choices"));
  const json::array& types = post.at("assigned_object_type").at("choices").as_array();
  ASSERT_EQ(types.size(), 2u);
  EXPECT_EQ(types.at(0),
            (json::value{{"value", "dcim.interface"}, {"display_name", "DCIM > Interface"}}));
  EXPECT_EQ(types.at(1).at("value"), "virtualization.vminterface");
}

TEST(NetboxOptions, DetailDescribesPutOnlyForAnExistingObject) {
  EmulatorClient client;
  const int64_t id = client.create("/api/dcim/sites/", {{"name", "A"}, {"slug", "a"}});
  const auto found =
      body_of(client.call(Verb::options, "/api/dcim/sites/" + std::to_string(id) + "/"));
  EXPECT_EQ(found.at("name"), "Site Instance");
  EXPECT_FALSE(found.at("actions").as_object().contains("POST"));
  EXPECT_TRUE(found.at("actions").at("PUT").as_object().contains("status"));
  const auto missing = client.call(Verb::options, "/api/dcim/sites/999/");
  EXPECT_EQ(missing.code(), 200u);
  EXPECT_TRUE(body_of(missing).at("actions").as_object().empty());
}

TEST(NetboxOptions, NeedsATokenAndFollowsTheVersion) {
  EmulatorClient v42({.version = "4.2", .full_version = "4.2.2"});
  EXPECT_EQ(v42.call(Verb::options, "/api/dcim/sites/", {}, "").code(), 403u);
  const auto post = body_of(v42.call(Verb::options, "/api/virtualization/virtual-machines/"))
                        .at("actions")
                        .at("POST");
  EXPECT_FALSE(post.as_object().contains("start_on_boot")) << "a 4.5 field";
  EXPECT_FALSE(post.as_object().contains("owner"));
}

TEST(NetboxOptions, TitleCaseKeepsAcronyms) {
  EXPECT_EQ(title_case("MAC address"), "MAC Address");
  EXPECT_EQ(title_case("virtual machine"), "Virtual Machine");
}

}  // namespace
}  // namespace pbx::netbox::testing
