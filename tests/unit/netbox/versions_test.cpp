// Differences between the emulated NetBox versions.

#include <gtest/gtest.h>

#include "emulator_test_support.hpp"

namespace pbx::netbox::testing {
namespace {

using http::Verb;

TEST(NetboxVersions, EtagAndIfMatchFrom46) {
  EmulatorClient client;
  const int64_t id = client.create("/api/dcim/sites/", {{"name", "A"}, {"slug", "a"}});
  const std::string item = "/api/dcim/sites/" + std::to_string(id) + "/";
  const std::string etag(client.call(Verb::get, item).headers["ETag"]);
  ASSERT_FALSE(etag.empty());
  client.set_header("If-Match", etag);
  const auto first = client.send(Verb::patch, item, {{"description", "one"}});
  EXPECT_EQ(first.code(), 200u);
  EXPECT_NE(first.headers["ETag"], etag);
  EXPECT_EQ(client.send(Verb::patch, item, {{"description", "two"}}).code(), 412u)
      << "the stale ETag no longer matches";
  EXPECT_EQ(client.get(item).at("description"), "one");
  EmulatorClient v45({.version = "4.5", .full_version = "4.5.3"});
  const int64_t other = v45.create("/api/dcim/sites/", {{"name", "A"}, {"slug", "a"}});
  EXPECT_TRUE(v45.call(Verb::get, "/api/dcim/sites/" + std::to_string(other) + "/")
                  .headers["ETag"]
                  .empty());
}

TEST(NetboxVersions, FieldsFollowTheVersion) {
  EmulatorClient v42({.version = "4.2", .full_version = "4.2.2"});
  EmulatorClient v45({.version = "4.5", .full_version = "4.5.3"});
  for (EmulatorClient* client : {&v42, &v45}) {
    const Topology t = make_topology(*client);
    client->create(kVms, {{"name", "vm"}, {"cluster", t.cluster}});
  }
  EXPECT_FALSE(v42.get(kVms).at("results").at(0).as_object().contains("start_on_boot"));
  EXPECT_TRUE(v45.get(kVms).at("results").at(0).as_object().contains("start_on_boot"));
  EXPECT_TRUE(
      v42.get(std::string(kVms) + "?omit=tags").at("results").at(0).as_object().contains("tags"))
      << "omit= arrived in 4.6";
}

TEST(NetboxVersions, ClusterAllocationsSumItsVirtualMachines) {
  EmulatorClient client({.version = "4.2", .full_version = "4.2.2"});
  const Topology t = make_topology(client);
  const std::string cluster = "/api/virtualization/clusters/" + std::to_string(t.cluster) + "/";
  EXPECT_EQ(client.get(cluster).at("allocated_vcpus"), nullptr) << "Sum() over no VMs is null";
  client.create(
      kVms, {{"name", "a"}, {"cluster", t.cluster}, {"vcpus", 2}, {"memory", 1024}, {"disk", 10}});
  client.create(kVms, {{"name", "b"}, {"cluster", t.cluster}, {"vcpus", 1.5}, {"memory", 2048}});
  const auto single = client.get(cluster);
  EXPECT_EQ(single.at("allocated_vcpus"), 3.5);
  EXPECT_EQ(single.at("allocated_memory"), 3072);
  EXPECT_EQ(single.at("allocated_disk"), 10);
  const auto listed = client.get("/api/virtualization/clusters/").at("results").at(0);
  EXPECT_EQ(listed.at("allocated_memory"), 3072) << "the list's prefetch agrees";
  EXPECT_EQ(listed.at("allocated_vcpus"), 3.5);
}

TEST(NetboxVersions, OwnersFrom45) {
  EmulatorClient v42({.version = "4.2", .full_version = "4.2.2", .strict_fields = true});
  EXPECT_EQ(v42.call(Verb::get, "/api/users/owners/").code(), 404u);
  const auto refused =
      v42.send(Verb::post, "/api/dcim/sites/", {{"name", "S"}, {"slug", "s"}, {"owner", nullptr}});
  EXPECT_EQ(body_of(refused).at("owner").at(0), "Unknown field.");

  EmulatorClient v45({.version = "4.5", .full_version = "4.5.3"});
  const int64_t owner = v45.create("/api/users/owners/", {{"name", "Ops"}});
  const int64_t site =
      v45.create("/api/dcim/sites/", {{"name", "S"}, {"slug", "s"}, {"owner", owner}});
  const auto rendered = v45.get("/api/dcim/sites/" + std::to_string(site) + "/");
  EXPECT_EQ(rendered.at("owner").at("name"), "Ops");
  EXPECT_EQ(v45.get("/api/dcim/sites/?owner_id=" + std::to_string(owner)).at("count"), 1);
  EXPECT_EQ(v45.get("/api/dcim/sites/?owner=Ops").at("count"), 1);
  EXPECT_EQ(v45.call(Verb::delete_, "/api/users/owners/" + std::to_string(owner) + "/").code(),
            409u)
      << "an owner of objects is protected";
  const int64_t tag = v45.create("/api/extras/tags/", {{"name", "T"}, {"slug", "t"}});
  EXPECT_FALSE(
      v45.get("/api/extras/tags/" + std::to_string(tag) + "/").as_object().contains("owner"));
}

TEST(NetboxVersions, CommentsWeightsAndSchemasFollowTheVersion) {
  EmulatorClient v42({.version = "4.2", .full_version = "4.2.2", .strict_fields = true});
  EmulatorClient v45({.version = "4.5", .full_version = "4.5.3", .strict_fields = true});
  EmulatorClient v46;
  const json::object manufacturer{{"name", "M"}, {"slug", "m"}, {"comments", "c"}};
  EXPECT_EQ(
      body_of(v42.send(Verb::post, "/api/dcim/manufacturers/", manufacturer)).at("comments").at(0),
      "Unknown field.");
  const int64_t made = v45.create("/api/dcim/manufacturers/", manufacturer);
  const auto rendered = v45.get("/api/dcim/manufacturers/" + std::to_string(made) + "/");
  EXPECT_EQ(rendered.at("comments"), "c");
  EXPECT_EQ(rendered.at("moduletype_count"), 0);
  v45.create("/api/virtualization/cluster-types/",
             {{"name", "T"}, {"slug", "t"}, {"comments", "c"}});
  v45.create("/api/dcim/device-roles/", {{"name", "R"}, {"slug", "r"}, {"comments", "4.3"}});
  for (EmulatorClient* client : {&v42, &v45})
    client->create("/api/extras/tags/", {{"name", "T"}, {"slug", "t"}});
  EXPECT_EQ(v45.get("/api/extras/tags/").at("results").at(0).at("weight"), 1000) << "4.3";
  EXPECT_FALSE(v42.get("/api/extras/tags/").at("results").at(0).as_object().contains("weight"));
  const json::object field{{"name", "doc"},
                           {"type", "json"},
                           {"object_types", {"dcim.site"}},
                           {"validation_schema", {{"type", "object"}}}};
  EXPECT_EQ(body_of(v45.send(Verb::post, "/api/extras/custom-fields/", field))
                .at("validation_schema")
                .at(0),
            "Unknown field.");
  const int64_t cf = v46.create("/api/extras/custom-fields/", field);
  EXPECT_EQ(v46.get("/api/extras/custom-fields/" + std::to_string(cf) + "/")
                .at("validation_schema")
                .at("type"),
            "object");
}

TEST(NetboxVersions, VmOnAStandaloneHostFrom46) {
  for (const char* version : {"4.5", "4.6"}) {
    SCOPED_TRACE(version);
    EmulatorClient client({.version = version, .full_version = version});
    const Topology t = make_topology(client);
    const int64_t standalone = client.create(
        "/api/dcim/devices/",
        {{"name", "host1"}, {"device_type", t.device_type}, {"role", t.role}, {"site", t.site}});
    const int64_t clustered = client.create("/api/dcim/devices/", {{"name", "host2"},
                                                                   {"device_type", t.device_type},
                                                                   {"role", t.role},
                                                                   {"site", t.site},
                                                                   {"cluster", t.cluster}});
    auto response = client.send(Verb::post, kVms, {{"name", "vm"}, {"device", standalone}});
    const auto clustered_host =
        client.send(Verb::post, kVms, {{"name", "vm2"}, {"device", clustered}});
    const auto nowhere = client.send(Verb::post, kVms, {{"name", "vm3"}});
    if (std::string_view(version) == "4.5") {
      EXPECT_EQ(body_of(response).at("device").at(0),
                "Must specify a cluster when assigning a host device.");
      EXPECT_EQ(body_of(nowhere).at("cluster").at(0),
                "A virtual machine must be assigned to a site and/or cluster.");
      continue;
    }
    ASSERT_EQ(response.code(), 201u) << response.body;
    EXPECT_EQ(body_of(response).at("site").at("id"), t.site) << "the site follows the host";
    EXPECT_EQ(body_of(clustered_host).at("cluster").at(0),
              "Must specify the assigned device's cluster (pve) when assigning host device "
              "host2.");
    EXPECT_EQ(body_of(nowhere).at("__all__").at(0),
              "A virtual machine must be assigned to a site, cluster, or device.");
    const auto twin = client.send(Verb::post, kVms, {{"name", "VM"}, {"device", standalone}});
    EXPECT_EQ(body_of(twin).at("__all__").at(0), "Virtual machine name must be unique per device.");
  }
}

TEST(NetboxVersions, PlatformNamesUniquePerManufacturerFrom44) {
  for (const char* version : {"4.2", "4.5"}) {
    SCOPED_TRACE(version);
    EmulatorClient client({.version = version, .full_version = version});
    const int64_t acme =
        client.create("/api/dcim/manufacturers/", {{"name", "Acme"}, {"slug", "acme"}});
    const int64_t other =
        client.create("/api/dcim/manufacturers/", {{"name", "Other"}, {"slug", "other"}});
    client.create("/api/dcim/platforms/",
                  {{"name", "Linux"}, {"slug", "linux"}, {"manufacturer", acme}});
    const auto elsewhere =
        client.send(Verb::post, "/api/dcim/platforms/",
                    {{"name", "Linux"}, {"slug", "linux"}, {"manufacturer", other}});
    const auto same = client.send(Verb::post, "/api/dcim/platforms/",
                                  {{"name", "Linux"}, {"slug", "linux-2"}, {"manufacturer", acme}});
    if (std::string_view(version) == "4.2") {
      EXPECT_EQ(body_of(elsewhere).at("name").at(0), "platform with this name already exists.");
      continue;
    }
    EXPECT_EQ(elsewhere.code(), 201u) << elsewhere.body;
    EXPECT_EQ(body_of(same).at("__all__").at(0),
              "Platform with this Manufacturer and Name already exists.");
    client.create("/api/dcim/platforms/", {{"name", "BSD"}, {"slug", "bsd"}});
    const auto unowned =
        client.send(Verb::post, "/api/dcim/platforms/", {{"name", "BSD"}, {"slug", "bsd-2"}});
    EXPECT_EQ(body_of(unowned).at("__all__").at(0), "Platform name must be unique.");
  }
}

}  // namespace
}  // namespace pbx::netbox::testing
