// The plugin objects' mapping (pure) and the reader's UPID parsing.

#include "sync/plugin_mapping.hpp"

#include <gtest/gtest.h>

#include "sync/json_util.hpp"
#include "sync/proxmox_reader_plugin.hpp"

namespace pbx::sync {
namespace {
namespace json = boost::json;

EndpointSnapshot endpoint() {
  EndpointSnapshot endpoint;
  auto& snapshot = endpoint.snapshot;
  snapshot.endpoint_name = "pve-a";
  snapshot.cluster_name = "alpha";
  snapshot.cluster_mode = "cluster";
  snapshot.version = "8.2.4";
  snapshot.nodes = {{"n1", true, "10.0.0.1"}, {"n2", true, "10.0.0.2"}};
  ProxmoxGuest vm;
  vm.vmid = 100;
  vm.type = "qemu";
  vm.name = "web";
  vm.node = "n1";
  ProxmoxGuest ct = vm;
  ct.vmid = 101;
  ct.type = "lxc";
  ct.name = "db";
  ProxmoxGuest unsynced = vm;
  unsynced.vmid = 102;
  unsynced.name = "new";
  snapshot.guests = {vm, ct, unsynced};
  auto& plugin = snapshot.plugin;
  plugin.base_url = "https://pve-a.example.com:8443/api2/json";
  plugin.storages = {{"local", "dir", "iso,backup", "/var/lib/vz", "", false, true},
                     {"ceph", "rbd", "images", "", "n1,n2", true, false}};
  plugin.snapshots = {{100, "qemu", "n1", "base", "", "first", 1767225600, true},
                      {102, "qemu", "n1", "orphan", "", "", 0, false}};
  plugin.tasks = {{"UPID:n1:00001234:00A00000:69000000:vzdump:101:root@pam:", "n1", "vzdump", "101",
                   "root@pam", "OK", 4660, 1761000000, 1761000060},
                  {"UPID:n1:00001235:00A00000:69000001:aptupdate::root@pam:", "n1", "aptupdate", "",
                   "root@pam", "OK", 4661, 1761000001, 1761000002}};
  plugin.replication_jobs = {{"100-0",
                              {{"id", "100-0"},
                               {"guest", "100"},
                               {"target", "n2"},
                               {"type", "local"},
                               {"jobnum", "0"},
                               {"rate", "12.5"},
                               {"disable", "1"}},
                              R"({"id":"100-0","guest":100})"}};
  plugin.backup_jobs = {{"backup-1",
                         {{"id", "backup-1"},
                          {"vmid", "100,101,x"},
                          {"enabled", "0"},
                          {"prune-backups", "keep-last=2,keep-weekly=4,keep-all=0"},
                          {"repeat-missed", "1"}},
                         "not json"}};
  return endpoint;
}

References refs() {
  References refs;
  refs.tag = 7;
  refs.clusters = {{"alpha", 3}};
  refs.vms = {{vm_key("alpha", "qemu", 100), 50}, {vm_key("alpha", "lxc", 101), 51}};
  return refs;
}

TEST(PluginMapping, StoragesOnePerClusterWithNullsForWhatProxmoxOmits) {
  const auto one = endpoint();
  const auto storages = desired_storages({one, one}, refs());  // two endpoints, one cluster
  ASSERT_EQ(storages.size(), 2u);
  EXPECT_EQ(storages[0].key, "alpha/local");
  EXPECT_EQ(storages[0].fields.at("cluster"), 3);
  EXPECT_EQ(storages[0].fields.at("path"), "/var/lib/vz");
  EXPECT_TRUE(storages[0].fields.at("nodes").is_null());
  EXPECT_TRUE(storages[1].fields.at("path").is_null());
  EXPECT_EQ(storages[1].fields.at("enabled"), false);
  EXPECT_EQ(storages[1].fields.at("shared"), true);
  EXPECT_TRUE(desired_storages({one}, References{}).empty());  // no cluster id: nothing
}

TEST(PluginMapping, SnapshotsOnlyOfGuestsWithAVirtualMachine) {
  const auto snapshots = desired_guest_snapshots({endpoint()}, refs());
  ASSERT_EQ(snapshots.size(), 1u);
  const auto& fields = snapshots[0].fields;
  EXPECT_EQ(snapshots[0].key, guest_snapshot_key(50, "base"));
  EXPECT_EQ(fields.at("virtual_machine"), 50);
  EXPECT_EQ(fields.at("snaptime"), "2026-01-01T00:00:00Z");
  EXPECT_TRUE(fields.at("parent").is_null());
  EXPECT_EQ(fields.at("description"), "first");
  EXPECT_EQ(fields.at("subtype"), "qemu");
  EXPECT_EQ(fields.at("status"), "active");
}

TEST(PluginMapping, TaskHistoryOfGuestTasksOnly) {
  const auto tasks = desired_task_history({endpoint()}, refs());
  ASSERT_EQ(tasks.size(), 1u);  // the node task (aptupdate) has no virtual machine
  const auto& fields = tasks[0].fields;
  EXPECT_EQ(fields.at("virtual_machine"), 51);
  EXPECT_EQ(fields.at("vm_type"), "lxc");
  EXPECT_EQ(fields.at("description"), "CT 101 - Vzdump");
  EXPECT_EQ(fields.at("start_time"), "2025-10-20T22:40:00Z");
  EXPECT_EQ(fields.at("task_state"), "stopped");
  EXPECT_EQ(fields.at("exitstatus"), "OK");
}

TEST(PluginMapping, TaskDescriptionsAsUpstreamWordsThem) {
  EXPECT_EQ(task_description("qemu", "100", "qmstart"), "QEMU 100 - Start");
  EXPECT_EQ(task_description("lxc", "101", "vzshutdown"), "CT 101 - Shutdown");
  EXPECT_EQ(task_description("qemu", "100", "qmsnapshot"), "QEMU 100 - Snapshot");
  EXPECT_EQ(task_description("qemu", "100", "qmigrate"), "QEMU 100 - Migrate");
  EXPECT_EQ(task_description("qemu", "", "qmconfig"), "QEMU - Qmconfig");
}

TEST(PluginMapping, JobsNeedThePluginEndpoint) {
  const auto one = endpoint();
  EXPECT_TRUE(desired_replications({one}, refs(), {}).empty());
  EXPECT_TRUE(desired_backup_routines({one}, refs(), {}).empty());
  PluginReferences plugin_refs;
  plugin_refs.endpoints = {{"pve-a", 9}};
  plugin_refs.nodes = {{plugin_node_key(9, "n2"), 4}};

  const auto replications = desired_replications({one}, refs(), plugin_refs);
  ASSERT_EQ(replications.size(), 1u);
  const auto& replication = replications[0].fields;
  EXPECT_EQ(replications[0].key, job_key(9, "100-0"));
  EXPECT_EQ(replication.at("proxmox_node"), 4);
  EXPECT_EQ(replication.at("rate").as_double(), 12.5);
  EXPECT_EQ(replication.at("disable"), true);
  EXPECT_EQ(replication.at("schedule"), "");
  EXPECT_TRUE(replication.at("comment").is_null());
  EXPECT_EQ(replication.at("raw_config").at("guest"), 100);

  const auto routines = desired_backup_routines({one}, refs(), plugin_refs);
  ASSERT_EQ(routines.size(), 1u);
  const auto& routine = routines[0].fields;
  EXPECT_EQ(routine.at("selection"), (json::array{100, 101}));
  EXPECT_EQ(routine.at("enabled"), false);
  EXPECT_EQ(routine.at("keep_last"), 2);
  EXPECT_EQ(routine.at("keep_weekly"), 4);
  EXPECT_EQ(routine.at("keep_all"), false);
  EXPECT_TRUE(routine.at("keep_daily").is_null());
  EXPECT_EQ(routine.at("repeat_missed"), true);
  EXPECT_EQ(routine.at("raw_config"), json::object{});  // unparsable raw text: empty
}

// The plugin's model refuses an empty selection ("This field cannot be blank." from real NetBox
// 4.6 with netbox-proxbox 0.0.29): an all-guests job lists the guests Proxmox would back up.
TEST(PluginMapping, AnAllGuestsJobSelectsEveryGuestOfItsNodeButTheExcluded) {
  std::vector<ProxmoxGuest> guests(4);
  guests[0].vmid = 103, guests[0].node = "n1";
  guests[1].vmid = 101, guests[1].node = "n1";
  guests[2].vmid = 102, guests[2].node = "n2";
  guests[3].vmid = 104, guests[3].node = "n1";
  ProxmoxJob all{"backup-all", {{"all", "1"}, {"exclude", "104"}}, ""};
  EXPECT_EQ(backup_job_selection(all, guests), (std::vector<int>{101, 102, 103}));
  all.settings["node"] = "n1";
  EXPECT_EQ(backup_job_selection(all, guests), (std::vector<int>{101, 103}));
  const ProxmoxJob listed{"backup-1", {{"vmid", "102, 100"}}, ""};
  EXPECT_EQ(backup_job_selection(listed, guests), (std::vector<int>{102, 100}));
  const ProxmoxJob pool{"backup-pool", {{"pool", "web"}}, ""};
  EXPECT_TRUE(backup_job_selection(pool, guests).empty()) << "pool members are not read";
}

TEST(PluginMapping, RetentionFromEitherSpelling) {
  const auto fields = retention_fields("keep-daily=7, keep-monthly=x,keep-all");
  EXPECT_EQ(fields.at("keep_daily"), 7);
  EXPECT_TRUE(fields.at("keep_monthly").is_null());
  EXPECT_EQ(fields.at("keep_all"), true);
  EXPECT_EQ(retention_fields("").size(), 6u);
}

TEST(PluginMapping, PluginEndpointFromTheConfiguredUrlWithoutSecrets) {
  auto one = endpoint();
  auto fields = plugin_endpoint_definition(one, refs());
  EXPECT_EQ(fields.at("name"), "pve-a");
  EXPECT_EQ(fields.at("domain"), "pve-a.example.com");
  EXPECT_EQ(fields.at("port"), 8443);
  EXPECT_EQ(fields.at("mode"), "cluster");
  EXPECT_FALSE(fields.contains("password"));
  one.snapshot.plugin.base_url = "https://[::1]:8006";
  fields = plugin_endpoint_definition(one, refs());
  EXPECT_EQ(fields.at("domain"), "::1");
  EXPECT_EQ(fields.at("port"), 8006);
}

TEST(PluginMapping, CurrentKeysMatchDesiredKeys) {
  const json::object storage{{"cluster", {{"id", 3}, {"name", "alpha"}}}, {"name", "local"}};
  EXPECT_EQ(current_storage_key(storage), storage_key("alpha", "local"));
  const json::object routine{{"endpoint", {{"id", 9}}}, {"job_id", "backup-1"}};
  EXPECT_EQ(current_backup_routine_key(routine), job_key(9, "backup-1"));
  const json::object snapshot{{"virtual_machine", 50}, {"name", "base"}};
  EXPECT_EQ(current_guest_snapshot_key(snapshot), guest_snapshot_key(50, "base"));
}

TEST(ProxmoxReaderPlugin, ParsesPveAndPbsUpids) {
  const auto pve = parse_upid("UPID:n1:00001234:00A00000:69000000:qmstart:100:root@pam:");
  ASSERT_TRUE(pve);
  EXPECT_EQ(pve->node, "n1");
  EXPECT_EQ(pve->pid, 0x1234);
  EXPECT_EQ(pve->starttime, 0x69000000);
  EXPECT_EQ(pve->type, "qmstart");
  EXPECT_EQ(pve->id, "100");
  EXPECT_EQ(pve->user, "root@pam");
  const auto pbs =
      parse_upid("UPID:pbs:00001234:00A00000:00000001:69000000:verificationjob:x:root@pam:");
  ASSERT_TRUE(pbs);
  EXPECT_EQ(pbs->type, "verificationjob");
  EXPECT_EQ(pbs->starttime, 0x69000000);
  EXPECT_FALSE(parse_upid("not a upid"));
  EXPECT_FALSE(parse_upid("UPID:n1:zz:00A00000:69000000:qmstart:100:root@pam:"));
}

}  // namespace
}  // namespace pbx::sync
