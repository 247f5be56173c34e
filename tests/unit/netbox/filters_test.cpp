// List filters (netbox/filters.cpp): relations by slug or id, tags, custom fields.

#include <gtest/gtest.h>

#include "emulator_test_support.hpp"

namespace pbx::netbox::testing {
namespace {

using http::Verb;

TEST(NetboxFilters, RelatedSlugsIdsAndUnknownSlug) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  client.create(kVms, {{"name", "a"}, {"cluster", t.cluster}});
  client.create(kVms, {{"name", "b"}, {"site", t.site}});
  EXPECT_EQ(client.get(std::string(kVms) + "?cluster_id=" + std::to_string(t.cluster)).at("count"),
            1);
  EXPECT_EQ(client.get(std::string(kVms) + "?site=dc1").at("count"), 2);
  EXPECT_EQ(client.get(std::string(kVms) + "?cluster_id=null").at("count"), 1);
  const auto bad = client.call(Verb::get, std::string(kVms) + "?site=nope");
  EXPECT_EQ(bad.code(), 400u);
  EXPECT_EQ(body_of(bad),
            (json::value{
                {"site", {"Select a valid choice. nope is not one of the available choices."}}}));
  EXPECT_EQ(
      client.get("/api/virtualization/clusters/?site_id=" + std::to_string(t.site)).at("count"), 1);
  EXPECT_EQ(client.get("/api/virtualization/clusters/?site=dc1").at("count"), 1);
}

// An IP address's assigned_object_type as a filter, as real NetBox 4.2.9, 4.4.10 and 4.6.8
// answered it (netbox_differential_test): 4.2 takes only a content type's id there and refuses
// the name; later versions take the name, and `__n` matches as the plain filter does.
TEST(NetboxFilters, AssignedObjectTypeByNameFollowsTheVersion) {
  constexpr const char* kIps = "/api/ipam/ip-addresses/";
  for (const auto& [version, full] :
       {std::pair{"4.2", "4.2.2"}, std::pair{"4.4", "4.4.10"}, std::pair{"4.6", "4.6.5"}}) {
    SCOPED_TRACE(version);
    EmulatorClient client({.version = version, .full_version = full});
    const Topology t = make_topology(client);
    const int64_t vm = client.create(kVms, {{"name", "vm"}, {"cluster", t.cluster}});
    const int64_t nic =
        client.create("/api/virtualization/interfaces/", {{"virtual_machine", vm}, {"name", "n"}});
    client.create(kIps, {{"address", "10.0.0.1/24"},
                         {"assigned_object_type", "virtualization.vminterface"},
                         {"assigned_object_id", nic}});
    const std::string by_name = std::string(kIps) + "?assigned_object_type=";
    if (std::string_view(version) == "4.2") {
      for (const char* query : {"?assigned_object_type=virtualization.vminterface",
                                "?assigned_object_type__n=dcim.interface"}) {
        const auto refused = client.call(Verb::get, std::string(kIps) + query);
        EXPECT_EQ(refused.code(), 400u) << query;
        EXPECT_EQ(body_of(refused).as_object().begin()->value(),
                  (json::value{"Select a valid choice. That choice is not one of the available "
                               "choices."}));
      }
      // A journal entry's assigned_object_type had a ContentTypeFilter in 4.2 already.
      EXPECT_EQ(client
                    .call(Verb::get,
                          "/api/extras/journal-entries/"
                          "?assigned_object_type=virtualization.virtualmachine")
                    .code(),
                200u);
      continue;
    }
    EXPECT_EQ(client.get(by_name + "Virtualization.VMInterface").at("count"), 1);
    EXPECT_EQ(client.get(by_name + "dcim.interface").at("count"), 0);
    EXPECT_EQ(client.get(std::string(kIps) + "?assigned_object_type__n=dcim.interface").at("count"),
              0)
        << "NetBox's ContentTypeFilter ignores the negation";
    EXPECT_EQ(client.get(by_name + "nodot").at("count"), 0);
  }
}

TEST(NetboxFilters, TagsAreAndedAndCustomTextFieldsMatchLoosely) {
  EmulatorClient client;
  client.create("/api/extras/tags/", {{"name", "A"}, {"slug", "a"}});
  client.create("/api/extras/tags/", {{"name", "B"}, {"slug", "b"}});
  client.create("/api/extras/custom-fields/",
                {{"name", "proxmox_node"}, {"type", "text"}, {"object_types", {"dcim.site"}}});
  client.create("/api/dcim/sites/", {{"name", "S1"},
                                     {"slug", "s1"},
                                     {"tags", {1, 2}},
                                     {"custom_fields", {{"proxmox_node", "pve-node-1"}}}});
  client.create("/api/dcim/sites/", {{"name", "S2"}, {"slug", "s2"}, {"tags", {1}}});
  EXPECT_EQ(client.get("/api/dcim/sites/?tag=a&tag=b").at("count"), 1);
  EXPECT_EQ(client.get("/api/dcim/sites/?tag=a").at("count"), 2);
  EXPECT_EQ(client.get("/api/dcim/sites/?cf_proxmox_node=node").at("count"), 1);
  EXPECT_EQ(client.call(Verb::get, "/api/dcim/sites/?tag=zzz").code(), 400u);
}

// Integer filter values beyond int64 compare as Django compares them (no 400, no overflow);
// values that are not integers are NetBox's 400.
TEST(NetboxFilters, IntegerValuesBeyondInt64MatchAsTheirLimit) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  client.create(kVms, {{"name", "a"}, {"cluster", t.cluster}});
  client.create(kVms, {{"name", "b"}, {"cluster", t.cluster}});
  const std::string huge = "99999999999999999999";
  EXPECT_EQ(client.get(std::string(kVms) + "?id=" + huge).at("count"), 0);
  EXPECT_EQ(client.get(std::string(kVms) + "?id__lt=" + huge).at("count"), 2);
  EXPECT_EQ(client.get(std::string(kVms) + "?id__gte=" + huge).at("count"), 0);
  EXPECT_EQ(client.get(std::string(kVms) + "?id__n=" + huge).at("count"), 2);
  EXPECT_EQ(client.get(std::string(kVms) + "?id__gt=-" + huge).at("count"), 2);
  EXPECT_EQ(client.get(std::string(kVms) + "?cluster_id=" + huge).at("count"), 0);
  const auto bad = client.call(Verb::get, std::string(kVms) + "?id=12abc");
  EXPECT_EQ(bad.code(), 400u);
  EXPECT_EQ(body_of(bad), (json::value{{"id", {"Enter a whole number."}}}));
}

}  // namespace
}  // namespace pbx::netbox::testing
