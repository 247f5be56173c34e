// Model rules declared beside each model (netbox/models/*.cpp, netbox/model_rules.cpp).

#include <gtest/gtest.h>

#include "emulator_test_support.hpp"

namespace pbx::netbox::testing {
namespace {

using http::Verb;

TEST(NetboxRules, VirtualMachineNameUniquePerClusterCaseInsensitive) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  client.create(kVms, {{"name", "vm1"}, {"cluster", t.cluster}});
  const auto response = client.send(Verb::post, kVms, {{"name", "VM1"}, {"cluster", t.cluster}});
  EXPECT_EQ(response.code(), 400u);
  EXPECT_EQ(body_of(response),
            (json::value{{"__all__", {"Virtual machine name must be unique per cluster."}}}));
  const auto missing = client.send(Verb::post, kVms, {{"name", "lonely"}});
  EXPECT_EQ(body_of(missing).at("__all__").at(0),
            "A virtual machine must be assigned to a site, cluster, or device.")
      << "4.6's wording; VmOnAStandaloneHostFrom46 checks 4.5's";
}

TEST(NetboxRules, VirtualDisksSetTheVmDisk) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  const int64_t vm = client.create(kVms, {{"name", "vm1"}, {"cluster", t.cluster}});
  client.create("/api/virtualization/virtual-disks/",
                {{"virtual_machine", vm}, {"name", "scsi0"}, {"size", 1000}});
  client.create("/api/virtualization/virtual-disks/",
                {{"virtual_machine", vm}, {"name", "scsi1"}, {"size", 24}});
  const std::string item = std::string(kVms) + std::to_string(vm) + "/";
  EXPECT_EQ(client.get(item).at("disk"), 1024);
  EXPECT_EQ(client.get(item).at("virtual_disk_count"), 2);
  const auto mismatch = client.send(Verb::patch, item, {{"disk", 5}});
  EXPECT_EQ(mismatch.code(), 400u);
  EXPECT_TRUE(body_of(mismatch).as_object().contains("disk"));
}

TEST(NetboxRules, DuplicateIpInGlobalTable) {
  EmulatorClient client;
  const auto first =
      client.send(Verb::post, "/api/ipam/ip-addresses/", {{"address", "10.0.0.1/24"}});
  ASSERT_EQ(first.code(), 201u);
  EXPECT_EQ(body_of(first).at("family"), (json::value{{"value", 4}, {"label", "IPv4"}}));
  const auto second =
      client.send(Verb::post, "/api/ipam/ip-addresses/", {{"address", "10.0.0.1/32"}});
  EXPECT_EQ(body_of(second).at("address").at(0),
            "Duplicate IP address found in global table: 10.0.0.1/24");
  const auto bad =
      client.send(Verb::post, "/api/ipam/ip-addresses/", {{"address", "10.0.0.300/24"}});
  EXPECT_EQ(bad.code(), 400u);
  const auto prefix = client.send(Verb::post, "/api/ipam/prefixes/", {{"prefix", "10.1.2.3/16"}});
  EXPECT_EQ(body_of(prefix).at("prefix"), "10.1.0.0/16");
}

TEST(NetboxRules, AssignedIpFollowsInterfaceFiltersAndCascade) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  const int64_t vm = client.create(kVms, {{"name", "vm1"}, {"cluster", t.cluster}});
  const int64_t nic =
      client.create("/api/virtualization/interfaces/", {{"virtual_machine", vm}, {"name", "net0"}});
  client.create("/api/ipam/ip-addresses/", {{"address", "10.0.0.5/24"},
                                            {"assigned_object_type", "virtualization.vminterface"},
                                            {"assigned_object_id", nic}});
  EXPECT_EQ(
      client.get("/api/ipam/ip-addresses/?virtual_machine_id=" + std::to_string(vm)).at("count"),
      1);
  EXPECT_EQ(client.get("/api/ipam/ip-addresses/?vminterface_id=" + std::to_string(nic))
                .at("results")
                .at(0)
                .at("assigned_object")
                .at("name"),
            "net0");
  EXPECT_EQ(
      client.get("/api/virtualization/interfaces/").at("results").at(0).at("count_ipaddresses"), 1);
  client.call(Verb::delete_, std::string(kVms) + std::to_string(vm) + "/");
  EXPECT_EQ(client.get("/api/ipam/ip-addresses/").at("count"), 0);
}

TEST(NetboxPlugin, BackupUniqueByStorageVmAndVolume) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  const int64_t vm = client.create(kVms, {{"name", "vm1"}, {"cluster", t.cluster}});
  const json::object backup{{"storage", "local"},
                            {"virtual_machine", vm},
                            {"volume_id", "local:backup/vzdump-qemu-100.vma.zst"},
                            {"subtype", "qemu"},
                            {"vmid", 100}};
  client.create("/api/plugins/proxbox/backups/", backup);
  const auto duplicate = client.send(Verb::post, "/api/plugins/proxbox/backups/", backup);
  EXPECT_EQ(duplicate.code(), 400u);
  EXPECT_TRUE(body_of(duplicate).as_object().contains("__all__"));
  client.create("/api/plugins/proxbox/storage/", {{"cluster", t.cluster}, {"name", "local"}});
  client.create("/api/plugins/proxbox/snapshots/",
                {{"virtual_machine", vm}, {"name", "snap"}, {"vmid", 100}, {"node", "pve1"}});
  EXPECT_EQ(client.get("/api/plugins/proxbox/backups/?virtual_machine_id=" + std::to_string(vm))
                .at("results")
                .at(0)
                .at("subtype")
                .at("label"),
            "QEMU");
}

TEST(NetboxRules, VmClusterSiteAndHostMismatchesNameTheObjects) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  const int64_t elsewhere = client.create("/api/dcim/sites/", {{"name", "DC2"}, {"slug", "dc2"}});
  const int64_t host = client.create(
      "/api/dcim/devices/",
      {{"name", "host1"}, {"device_type", t.device_type}, {"role", t.role}, {"site", t.site}});
  auto response =
      client.send(Verb::post, kVms, {{"name", "vm"}, {"cluster", t.cluster}, {"site", elsewhere}});
  EXPECT_EQ(body_of(response).at("cluster").at(0),
            "The selected cluster (pve) is not assigned to this site (DC2).");
  response =
      client.send(Verb::post, kVms, {{"name", "vm"}, {"cluster", t.cluster}, {"device", host}});
  EXPECT_EQ(body_of(response).at("device").at(0),
            "The selected device (host1) is not assigned to this cluster (pve).");
  response = client.send(Verb::post, kVms, {{"name", "vm"}, {"device", host}, {"site", elsewhere}});
  EXPECT_EQ(body_of(response).at("site").at(0),
            "The selected device (host1) is not assigned to this site (DC2).");
}

// extras/journal-entries: notes on any object with NetBox's journaling feature, written by the
// requesting user, gone with their object.
TEST(NetboxJournalEntries, NoteAnyJournaledObjectAndGoWithIt) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  const int64_t vm = client.create(kVms, {{"name", "vm1"}, {"cluster", t.cluster}});
  const char* kJournal = "/api/extras/journal-entries/";
  const auto created = client.send(Verb::post, kJournal,
                                   {{"assigned_object_type", "virtualization.virtualmachine"},
                                    {"assigned_object_id", vm},
                                    {"kind", "warning"},
                                    {"comments", "migrated to node2"}});
  ASSERT_EQ(created.code(), 201u) << created.body;
  const json::value entry = body_of(created);
  EXPECT_EQ(entry.at("kind"), (json::value{{"value", "warning"}, {"label", "Warning"}}));
  EXPECT_EQ(entry.at("created_by"), 1);
  EXPECT_EQ(entry.at("assigned_object").at("name"), "vm1");
  EXPECT_EQ(client.get(std::string(kJournal) + "?kind=warning").at("count"), 1);
  const auto tag = client.create("/api/extras/tags/", {{"name", "t"}, {"slug", "t"}});
  const auto untyped = client.send(
      Verb::post, kJournal,
      {{"assigned_object_type", "extras.tag"}, {"assigned_object_id", tag}, {"comments", "x"}});
  EXPECT_EQ(body_of(untyped),
            (json::value{{"assigned_object_type", {"Invalid content type: extras.tag"}}}));
  const auto blank = client.send(Verb::post, kJournal,
                                 {{"assigned_object_type", "dcim.site"},
                                  {"assigned_object_id", t.site},
                                  {"comments", ""},
                                  {"created_by", 7}});
  EXPECT_EQ(body_of(blank), (json::value{{"comments", {"This field may not be blank."}}}));
  const auto stranger = client.send(Verb::post, kJournal,
                                    {{"assigned_object_type", "dcim.site"},
                                     {"assigned_object_id", t.site},
                                     {"comments", "x"},
                                     {"created_by", 7}});
  EXPECT_EQ(body_of(stranger),
            (json::value{{"created_by", {"Invalid pk \"7\" - object does not exist."}}}));
  EXPECT_EQ(client.call(Verb::delete_, std::string(kVms) + std::to_string(vm) + "/").code(), 204u);
  EXPECT_EQ(client.get(kJournal).at("count"), 0);
}

// NetBox's update_virtualmachine_site signal: a cluster scoped to a site moves its VMs there.
TEST(NetboxRules, ClusterScopedToASiteMovesItsVms) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  const int64_t other_site = client.create("/api/dcim/sites/", {{"name", "DC2"}, {"slug", "dc2"}});
  const int64_t unscoped = client.create("/api/virtualization/clusters/",
                                         {{"name", "floating"}, {"type", t.cluster_type}});
  const int64_t vm =
      client.create(kVms, {{"name", "vm1"}, {"cluster", unscoped}, {"site", t.site}});
  const std::string vm_path = std::string(kVms) + std::to_string(vm) + "/";
  EXPECT_EQ(client.get(vm_path).at("site").at("id"), t.site);
  const auto scoped =
      client.send(Verb::patch, "/api/virtualization/clusters/" + std::to_string(unscoped) + "/",
                  {{"scope_type", "dcim.site"}, {"scope_id", other_site}});
  ASSERT_EQ(scoped.code(), 200u) << scoped.body;
  EXPECT_EQ(client.get(vm_path).at("site").at("id"), other_site);
}

}  // namespace
}  // namespace pbx::netbox::testing
