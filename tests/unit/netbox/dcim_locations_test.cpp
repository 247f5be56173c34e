// Regions, site groups, locations and racks (netbox/models/dcim_locations.cpp): NetBox's trees
// (parent, _depth, no cycles, names unique per parent), a location's site, a rack's location.

#include <gtest/gtest.h>

#include "emulator_test_support.hpp"

namespace pbx::netbox::testing {
namespace {

using http::Verb;

constexpr const char* kRegions = "/api/dcim/regions/";

std::string item(const char* list, int64_t id) {
  return std::string(list) + std::to_string(id) + "/";
}

TEST(NetboxRegions, TreeDepthFollowsTheParentAndMovesWithTheSubtree) {
  EmulatorClient client;
  const int64_t europe = client.create(kRegions, {{"name", "Europe"}, {"slug", "europe"}});
  const int64_t france =
      client.create(kRegions, {{"name", "France"}, {"slug", "fr"}, {"parent", europe}});
  const int64_t paris =
      client.create(kRegions, {{"name", "Paris"}, {"slug", "paris"}, {"parent", france}});
  EXPECT_EQ(client.get(item(kRegions, europe)).at("_depth"), 0);
  const json::value city = client.get(item(kRegions, paris));
  EXPECT_EQ(city.at("_depth"), 2);
  EXPECT_EQ(city.at("parent").at("name"), "France");
  EXPECT_EQ(city.at("parent").at("_depth"), 1);
  // France becomes a root: Paris moves up with it.
  ASSERT_EQ(client.send(Verb::patch, item(kRegions, france), {{"parent", nullptr}}).code(), 200u);
  EXPECT_EQ(client.get(item(kRegions, paris)).at("_depth"), 1);
  EXPECT_EQ(client.get(std::string(kRegions) + "?parent_id=" + std::to_string(france)).at("count"),
            1);
}

TEST(NetboxRegions, NoRegionIsItsOwnAncestor) {
  EmulatorClient client;
  const int64_t a = client.create(kRegions, {{"name", "A"}, {"slug", "a"}});
  const int64_t b = client.create(kRegions, {{"name", "B"}, {"slug", "b"}, {"parent", a}});
  for (const int64_t parent : {a, b}) {
    const auto response = client.send(Verb::patch, item(kRegions, a), {{"parent", parent}});
    ASSERT_EQ(response.code(), 400u) << response.body;
    EXPECT_EQ(body_of(response).at("parent").at(0),
              "Cannot assign self or child region as parent.");
  }
  EXPECT_TRUE(client.get(item(kRegions, a)).at("parent").is_null());
}

TEST(NetboxRegions, NamesAndSlugsAreUniquePerParentAndAmongRoots) {
  EmulatorClient client;
  const int64_t root = client.create(kRegions, {{"name", "Root"}, {"slug", "root"}});
  auto again = client.send(Verb::post, kRegions, {{"name", "Root"}, {"slug", "other"}});
  ASSERT_EQ(again.code(), 400u);
  EXPECT_EQ(body_of(again).at("__all__").at(0),
            "A top-level region with this name already exists.");
  again = client.send(Verb::post, kRegions, {{"name", "Other"}, {"slug", "root"}});
  EXPECT_EQ(body_of(again).at("__all__").at(0),
            "A top-level region with this slug already exists.");
  client.create(kRegions, {{"name", "Child"}, {"slug", "child"}, {"parent", root}});
  client.create(kRegions, {{"name", "Child"}, {"slug", "child"}});  // another tree: allowed
  const auto sibling =
      client.send(Verb::post, kRegions, {{"name", "Child"}, {"slug", "child2"}, {"parent", root}});
  ASSERT_EQ(sibling.code(), 400u);
  EXPECT_EQ(body_of(sibling).at("__all__").at(0),
            "Region with this Parent and Name already exists.");
}

TEST(NetboxRegions, SitesJoinRegionsAndGroupsAndDeletesCascadeOrClear) {
  EmulatorClient client;
  const int64_t region = client.create(kRegions, {{"name", "R"}, {"slug", "r"}});
  const int64_t child = client.create(kRegions, {{"name", "C"}, {"slug", "c"}, {"parent", region}});
  const int64_t group = client.create("/api/dcim/site-groups/", {{"name", "G"}, {"slug", "g"}});
  const int64_t site =
      client.create("/api/dcim/sites/",
                    {{"name", "S"}, {"slug", "s"}, {"region", {{"slug", "c"}}}, {"group", group}});
  const json::value rendered = client.get(item("/api/dcim/sites/", site));
  EXPECT_EQ(rendered.at("region").at("name"), "C");
  EXPECT_EQ(rendered.at("group").at("slug"), "g");
  EXPECT_EQ(rendered.at("prefix_count"), 0);
  EXPECT_EQ(client.get(item(kRegions, child)).at("site_count"), 1);
  EXPECT_EQ(client.get("/api/dcim/sites/?region_id=" + std::to_string(child)).at("count"), 1);
  EXPECT_EQ(client.get("/api/dcim/site-groups/").at("results").at(0).at("site_count"), 1);
  ASSERT_EQ(client.call(Verb::delete_, item(kRegions, region)).code(), 204u);
  EXPECT_EQ(client.call(Verb::get, item(kRegions, child)).code(), 404u) << "children go too";
  EXPECT_TRUE(client.get(item("/api/dcim/sites/", site)).at("region").is_null());
}

TEST(NetboxRegions, RegionAndGroupFiltersTakeInDescendantsAsNetboxTreeFiltersDo) {
  EmulatorClient client;
  const int64_t europe = client.create(kRegions, {{"name", "Europe"}, {"slug", "europe"}});
  const int64_t france =
      client.create(kRegions, {{"name", "France"}, {"slug", "fr"}, {"parent", europe}});
  const int64_t group = client.create("/api/dcim/site-groups/", {{"name", "G"}, {"slug", "g"}});
  const Topology t = make_topology(client);  // site DC1, in no region
  const int64_t paris =
      client.create("/api/dcim/sites/",
                    {{"name", "Paris"}, {"slug", "paris"}, {"region", france}, {"group", group}});
  client.create(
      "/api/dcim/devices/",
      {{"name", "n1"}, {"device_type", t.device_type}, {"role", t.role}, {"site", paris}});
  client.create(
      "/api/dcim/devices/",
      {{"name", "n2"}, {"device_type", t.device_type}, {"role", t.role}, {"site", t.site}});
  const std::string europe_id = std::to_string(europe);
  EXPECT_EQ(client.get("/api/dcim/sites/?region_id=" + europe_id).at("count"), 1);
  EXPECT_EQ(client.get("/api/dcim/sites/?region=europe").at("count"), 1);
  EXPECT_EQ(client.get("/api/dcim/sites/?region_id__n=" + europe_id).at("count"), 1) << "DC1";
  EXPECT_EQ(client.get("/api/dcim/sites/?group=g").at("count"), 1);
  const json::value devices = client.get("/api/dcim/devices/?region=europe");
  ASSERT_EQ(devices.at("count"), 1);
  EXPECT_EQ(devices.at("results").at(0).at("name"), "n1");
  EXPECT_EQ(client.get("/api/dcim/devices/?site_group_id=" + std::to_string(group)).at("count"), 1);
  EXPECT_EQ(client.get("/api/dcim/devices/?region_id=" + std::to_string(france)).at("count"), 1);
  const auto unknown = client.call(Verb::get, "/api/dcim/devices/?region=atlantis");
  EXPECT_EQ(unknown.code(), 400u);
}

TEST(NetboxLocations, NestedInOneSiteWithNetboxMessages) {
  EmulatorClient client;
  const int64_t s1 = client.create("/api/dcim/sites/", {{"name", "S1"}, {"slug", "s1"}});
  const int64_t s2 = client.create("/api/dcim/sites/", {{"name", "S2"}, {"slug", "s2"}});
  const char* list = "/api/dcim/locations/";
  const int64_t hall = client.create(list, {{"name", "Hall"}, {"slug", "hall"}, {"site", s1}});
  const int64_t room =
      client.create(list, {{"name", "Room"}, {"slug", "room"}, {"site", s1}, {"parent", hall}});
  EXPECT_EQ(client.get(item(list, room)).at("_depth"), 1);
  EXPECT_EQ(client.get(item(list, room)).at("status").at("value"), "active");
  const auto elsewhere =
      client.send(Verb::post, list, {{"name", "X"}, {"slug", "x"}, {"site", s2}, {"parent", hall}});
  ASSERT_EQ(elsewhere.code(), 400u);
  EXPECT_EQ(body_of(elsewhere).at("__all__").at(0),
            "Parent location (Hall) must belong to the same site (S2).");
  const auto twin = client.send(Verb::post, list, {{"name", "Hall"}, {"slug", "h2"}, {"site", s1}});
  EXPECT_EQ(body_of(twin).at("__all__").at(0),
            "A location with this name already exists within the specified site.");
  EXPECT_EQ(
      client.send(Verb::post, list, {{"name", "Hall"}, {"slug", "hall"}, {"site", s2}}).code(),
      201u)
      << "the same name in another site";
  const auto cycle = client.send(Verb::patch, item(list, hall), {{"parent", room}});
  EXPECT_EQ(body_of(cycle).at("parent").at(0), "Cannot assign self or child location as parent.");
}

TEST(NetboxRacks, LocationMustBeInTheRacksSiteAndUnitsAreNeeded) {
  EmulatorClient client;
  const int64_t s1 = client.create("/api/dcim/sites/", {{"name", "S1"}, {"slug", "s1"}});
  const int64_t s2 = client.create("/api/dcim/sites/", {{"name", "S2"}, {"slug", "s2"}});
  const int64_t hall =
      client.create("/api/dcim/locations/", {{"name", "Hall"}, {"slug", "hall"}, {"site", s1}});
  const char* racks = "/api/dcim/racks/";
  const int64_t rack = client.create(racks, {{"name", "R1"}, {"site", s1}, {"location", hall}});
  const json::value rendered = client.get(item(racks, rack));
  EXPECT_EQ(rendered.at("u_height"), 42);
  EXPECT_EQ(rendered.at("status").at("value"), "active");
  EXPECT_EQ(rendered.at("location").at("name"), "Hall");
  EXPECT_EQ(client.get(item("/api/dcim/locations/", hall)).at("rack_count"), 1);
  EXPECT_EQ(client.get(item("/api/dcim/sites/", s1)).at("rack_count"), 1);
  const auto wrong =
      client.send(Verb::post, racks, {{"name", "R2"}, {"site", s2}, {"location", hall}});
  ASSERT_EQ(wrong.code(), 400u);
  EXPECT_EQ(body_of(wrong).at("location").at(0),
            "Assigned location must belong to parent site (S2).");
  const auto twin =
      client.send(Verb::post, racks, {{"name", "R1"}, {"site", s1}, {"location", hall}});
  EXPECT_EQ(body_of(twin).at("__all__").at(0), "Rack with this Location and Name already exists.");
  const auto unitless =
      client.send(Verb::post, racks, {{"name", "R3"}, {"site", s1}, {"outer_width", 600}});
  EXPECT_EQ(body_of(unitless).at("__all__").at(0),
            "Must specify a unit when setting an outer width/depth");
  const auto tall =
      client.send(Verb::post, racks, {{"name", "R4"}, {"site", s1}, {"u_height", 101}});
  EXPECT_EQ(body_of(tall).at("u_height").at(0), "Ensure this value is less than or equal to 100.");
  EXPECT_EQ(client.call(Verb::delete_, item("/api/dcim/sites/", s1)).code(), 409u)
      << "a site's racks protect it";
  ASSERT_EQ(client.call(Verb::delete_, item("/api/dcim/locations/", hall)).code(), 204u);
  EXPECT_TRUE(client.get(item(racks, rack)).at("location").is_null()) << "SET_NULL";
}

}  // namespace
}  // namespace pbx::netbox::testing
