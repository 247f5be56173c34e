// The plugin stages (storage, task history, snapshots, replications, backup routines) and the
// backups stage's deletions, against the real proxmox-mock Engine and netbox-emulator linked
// into this process: what NetBox holds after a run, that an unchanged re-run writes nothing,
// that a change in Proxmox changes exactly its object, and that a failed read deletes nothing.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "inprocess_stack.hpp"
#include "sync/json_util.hpp"
#include "sync/plugin_mapping.hpp"

namespace pbx::sync {
namespace {
namespace json = boost::json;

proxmox::ClusterScenario cluster() {
  auto options = testing::two_node_cluster("plug");  // the jobs and snapshots are the tests' own
  options.backups_per_guest = 2;
  return proxmox::generate_scenario(options).clusters.front();
}

class PluginStages : public ::testing::Test, protected testing::InProcessStack {
 protected:
  PluginStages()
      : InProcessStack(cluster(), netbox::EmulatorOptions{.strict_fields = true}, "plug") {
    for (const auto& guest : scenario.guests) {
      if (guest.type == "qemu" && !guest.template_ && qemu.vmid == 0) qemu = guest;
    }
  }

  size_t jobs_in_mock(const std::string& path) {
    return proxmox(http::Verb::get, path).at("data").as_array().size();
  }

  std::string guest_path() const {
    return "/nodes/" + qemu.node + "/qemu/" + std::to_string(qemu.vmid);
  }

  // Two snapshots, one replication job and one backup job on the first QEMU guest.
  void add_jobs_and_snapshots() {
    proxmox(http::Verb::post, guest_path() + "/snapshot",
            {{"snapname", "base"}, {"description", "clean install"}});
    proxmox(http::Verb::post, guest_path() + "/snapshot", {{"snapname", "upgrade"}});
    const std::string target = scenario.nodes.back().name == qemu.node ? scenario.nodes.front().name
                                                                       : scenario.nodes.back().name;
    proxmox(http::Verb::post, "/cluster/replication",
            {{"id", std::to_string(qemu.vmid) + "-0"},
             {"type", "local"},
             {"target", target},
             {"schedule", "*/30"},
             {"comment", "to the other node"}});
    proxmox(http::Verb::post, "/cluster/backup",
            {{"id", "backup-nightly"},
             {"schedule", "daily 02:00"},
             {"storage", "backup"},
             {"vmid", std::to_string(qemu.vmid)},
             {"prune-backups", "keep-last=3,keep-daily=7"},
             {"comment", "nightly"}});
  }

  proxmox::GuestScenario qemu;
};

TEST_F(PluginStages, FullUpdateWritesEveryPluginObjectOnceAndThenNothing) {
  ASSERT_NE(qemu.vmid, 0);
  add_jobs_and_snapshots();
  const auto first = sync();
  ASSERT_TRUE(first.errors.empty()) << first.errors.front();

  const auto storages = list(kPluginStoragePath);
  ASSERT_EQ(storages.size(), scenario.storages.size());
  for (const auto& storage : storages) {
    EXPECT_EQ(nested_name(storage, "cluster"), scenario.name);
    if (json_string(field(storage, "name")) == "backup") {
      EXPECT_EQ(json_string(field(storage, "storage_type")), "nfs");
      EXPECT_TRUE(json_bool(field(storage, "shared")));
    }
  }

  const auto vms =
      list("/virtualization/virtual-machines/", {{"cf_proxmox_vm_id", std::to_string(qemu.vmid)}});
  ASSERT_EQ(vms.size(), 1u);
  const int64_t vm = json_int(field(vms.front(), "id"));
  const auto snapshots = list(kPluginSnapshotsPath);
  ASSERT_EQ(snapshots.size(), 2u);
  for (const auto& snapshot : snapshots) {
    EXPECT_EQ(nested_id(snapshot, "virtual_machine"), vm);
    EXPECT_EQ(json_int(field(snapshot, "vmid")), qemu.vmid);
    EXPECT_EQ(json_string(field(snapshot, "node")), qemu.node);
    EXPECT_FALSE(json_string(field(snapshot, "snaptime")).empty());
    if (json_string(field(snapshot, "name")) == "upgrade") {
      EXPECT_EQ(json_string(field(snapshot, "parent")), "base");
    } else {
      EXPECT_EQ(json_string(field(snapshot, "description")), "clean install");
      EXPECT_TRUE(field(snapshot, "parent")->is_null());
    }
  }

  // The two snapshot tasks of the guest (and whatever else its history holds).
  size_t snapshot_tasks = 0;
  for (const auto& task : list(kPluginTaskHistoryPath)) {
    if (json_string(field(task, "task_type")) != "qmsnapshot") continue;
    ++snapshot_tasks;
    EXPECT_EQ(nested_id(task, "virtual_machine"), vm);
    EXPECT_EQ(json_string(field(task, "description")),
              "QEMU " + std::to_string(qemu.vmid) + " - Snapshot");
    EXPECT_EQ(json_string(field(task, "status")), "OK");
    EXPECT_EQ(json_string(field(task, "username")), "root@pam!proxbox");
  }
  EXPECT_EQ(snapshot_tasks, 2u);

  const auto endpoints = list(kPluginEndpointsPath);
  ASSERT_EQ(endpoints.size(), 1u);
  EXPECT_EQ(json_string(field(endpoints.front(), "domain")), "pve.plug.test");
  const int64_t endpoint = json_int(field(endpoints.front(), "id"));

  const auto replications = list(kPluginReplicationsPath);
  ASSERT_EQ(replications.size(), 1u);
  const auto& replication = replications.front();
  EXPECT_EQ(nested_id(replication, "endpoint"), endpoint);
  EXPECT_EQ(nested_id(replication, "virtual_machine"), vm);
  EXPECT_EQ(json_string(field(replication, "replication_id")), std::to_string(qemu.vmid) + "-0");
  EXPECT_EQ(json_string(field(replication, "schedule")), "*/30");
  EXPECT_EQ(json_string(field(replication, "comment")), "to the other node");
  EXPECT_EQ(json_int(field(replication, "guest")), qemu.vmid);

  // Every backup job of the mock (a scenario without jobs has its default daily one).
  EXPECT_EQ(list(kPluginBackupRoutinesPath).size(), jobs_in_mock("/cluster/backup"));
  const auto routines = list(kPluginBackupRoutinesPath, {{"job_id", "backup-nightly"}});
  ASSERT_EQ(routines.size(), 1u);
  const auto& routine = routines.front();
  EXPECT_EQ(json_string(field(routine, "job_id")), "backup-nightly");
  EXPECT_EQ(json_string(field(routine, "schedule")), "daily 02:00");
  EXPECT_EQ(json_int(field(routine, "keep_last")), 3);
  EXPECT_EQ(json_int(field(routine, "keep_daily")), 7);
  EXPECT_TRUE(field(routine, "keep_weekly")->is_null());
  EXPECT_EQ(field(routine, "selection")->as_array(), json::array{qemu.vmid});
  EXPECT_EQ(json_string(field(routine, "comment")), "nightly");

  const int64_t before = writes();
  const auto second = sync();
  EXPECT_TRUE(second.errors.empty()) << second.errors.front();
  EXPECT_EQ(writes(), before) << "an unchanged re-sync of every stage must not write";
}

TEST_F(PluginStages, EachStageRunsAloneWithoutWritingOtherKinds) {
  add_jobs_and_snapshots();
  sync(SyncScope::virtual_machines);
  const auto vms_before = list("/virtualization/virtual-machines/").size();
  for (const auto scope : {SyncScope::storage, SyncScope::task_history, SyncScope::snapshots,
                           SyncScope::replications, SyncScope::backup_routines}) {
    const auto summary = sync(scope);
    EXPECT_TRUE(summary.errors.empty()) << to_string(scope) << ": " << summary.errors.front();
    EXPECT_EQ(summary.kinds.at("virtual_machines").created, 0u) << to_string(scope);
  }
  EXPECT_EQ(list("/virtualization/virtual-machines/").size(), vms_before);
  EXPECT_EQ(list(kPluginStoragePath).size(), scenario.storages.size());
  EXPECT_EQ(list(kPluginSnapshotsPath).size(), 2u);
  EXPECT_EQ(list(kPluginReplicationsPath).size(), 1u);
  EXPECT_EQ(list(kPluginBackupRoutinesPath).size(), jobs_in_mock("/cluster/backup"));
  EXPECT_FALSE(list(kPluginTaskHistoryPath).empty());
}

TEST_F(PluginStages, AChangeInProxmoxChangesExactlyThatObject) {
  add_jobs_and_snapshots();
  sync();
  const auto storages = list(kPluginStoragePath).size();

  // A new snapshot: one snapshot created (its task is new history, too); nothing else written.
  proxmox(http::Verb::post, guest_path() + "/snapshot", {{"snapname", "third"}});
  auto summary = sync();
  EXPECT_EQ(summary.kinds.at("snapshots").created, 1u);
  EXPECT_EQ(summary.kinds.at("snapshots").updated, 0u);
  EXPECT_EQ(summary.kinds.at("task_history").created, 1u);
  EXPECT_EQ(summary.netbox_requests.writes(), 2u);

  // A deleted backup job: its routine is marked stale (one PATCH), the replication untouched.
  proxmox(http::Verb::delete_, "/cluster/backup/backup-nightly");
  summary = sync();
  EXPECT_EQ(summary.kinds.at("backup_routines").updated, 1u);
  EXPECT_EQ(summary.netbox_requests.writes(), 1u);
  const auto routines = list(kPluginBackupRoutinesPath, {{"status", "stale"}});
  ASSERT_EQ(routines.size(), 1u);
  EXPECT_EQ(json_string(field(routines.front(), "job_id")), "backup-nightly");
  EXPECT_EQ(list(kPluginReplicationsPath).size(), 1u);

  // A deleted snapshot is marked stale; storages are untouched throughout.
  proxmox(http::Verb::delete_, guest_path() + "/snapshot/third");
  summary = sync();
  EXPECT_EQ(summary.kinds.at("snapshots").updated, 1u);
  EXPECT_EQ(list(kPluginSnapshotsPath, {{"status", "stale"}}).size(), 1u);
  EXPECT_EQ(list(kPluginStoragePath).size(), storages);
}

TEST_F(PluginStages, ABackupDeletedInProxmoxIsDeletedFromNetBox) {
  sync();
  const auto backups = list(kPluginBackupsPath);
  ASSERT_EQ(backups.size(), scenario.backups.size());
  // The first backup of the scenario, as NetBox holds it.
  const auto exported = mock.export_state().clusters.front().backups.front();
  proxmox(http::Verb::delete_, "/nodes/" + scenario.nodes.front().name + "/storage/" +
                                   exported.storage + "/content/" + exported.volid);
  const auto held = list(kPluginBackupsPath, {{"volume_id", exported.volid}});
  ASSERT_EQ(held.size(), 1u);
  const int64_t vm = nested_id(held.front(), "virtual_machine");
  const auto summary = sync();
  EXPECT_TRUE(summary.errors.empty()) << summary.errors.front();
  EXPECT_EQ(summary.kinds.at("backups").deleted, 1u);
  // Where NetBox has journal entries, the virtual machine's journal says so.
  bool has_journal = true;
  std::vector<json::object> journal;
  try {
    journal = list(kJournalEntriesPath, {{"assigned_object_id", std::to_string(vm)}});
  } catch (const NetBoxError& missing) {
    EXPECT_EQ(missing.status(), 404u) << "only an emulator without the model may refuse";
    has_journal = false;
  }
  if (has_journal) {
    ASSERT_FALSE(journal.empty());
    EXPECT_NE(json_string(field(journal.back(), "comments")).find(exported.volid),
              std::string::npos);
  }
  EXPECT_EQ(list(kPluginBackupsPath).size(), scenario.backups.size() - 1);
  EXPECT_TRUE(list(kPluginBackupsPath, {{"volume_id", exported.volid}}).empty());
  const int64_t before = writes();
  sync();
  EXPECT_EQ(writes(), before);
}

TEST_F(PluginStages, AFailedReadMarksNothingStaleAndDeletesNothing) {
  add_jobs_and_snapshots();
  sync();
  const auto backups = list(kPluginBackupsPath).size();
  const size_t routines = jobs_in_mock("/cluster/backup");
  // Everything disappears from Proxmox, but every listing that would say so fails.
  proxmox(http::Verb::delete_, "/cluster/backup/backup-nightly");
  proxmox(http::Verb::delete_, "/cluster/replication/" + std::to_string(qemu.vmid) + "-0");
  proxmox(http::Verb::delete_, guest_path() + "/snapshot/upgrade");
  const auto exported = mock.export_state().clusters.front().backups.front();
  proxmox(http::Verb::delete_, "/nodes/" + scenario.nodes.front().name + "/storage/" +
                                   exported.storage + "/content/" + exported.volid);
  fail_reads("/cluster/backup");
  fail_reads("/cluster/replication");
  fail_reads(guest_path() + "/snapshot");
  fail_reads("/nodes/*/storage/" + exported.storage + "/content*");
  fail_reads("/storage");

  const int64_t before = writes();
  const auto summary = sync();
  EXPECT_FALSE(summary.errors.empty());  // the unreadable backup listings are reported
  for (const char* kind : {"storage", "snapshots", "replications", "backup_routines", "backups"}) {
    const auto& counts = summary.kinds.at(kind);
    EXPECT_EQ(counts.created + counts.updated + counts.deleted, 0u) << kind;
  }
  // The only writes: the history of the deletions' own tasks (the task lists answered).
  EXPECT_EQ(writes() - before, static_cast<int64_t>(summary.kinds.at("task_history").created));
  EXPECT_EQ(list(kPluginSnapshotsPath, {{"status", "active"}}).size(), 2u);
  EXPECT_EQ(list(kPluginReplicationsPath, {{"status", "active"}}).size(), 1u);
  EXPECT_EQ(list(kPluginBackupRoutinesPath, {{"status", "active"}}).size(), routines);
  EXPECT_EQ(list(kPluginBackupsPath).size(), backups);
  EXPECT_EQ(list(kPluginStoragePath).size(), scenario.storages.size());
}

// Two clusters behind one address (ports differ) with the same job ids: each gets its own
// plugin endpoint, so their routines do not collide.
TEST_F(PluginStages, EveryEndpointHasItsOwnPluginEndpoint) {
  proxmox::GenerateOptions options;
  options.clusters = 2;
  options.nodes = 2;
  options.guests = 2;
  options.extras = false;
  options.prefix = "twin";
  const auto twins = proxmox::generate_scenario(options);
  std::vector<std::unique_ptr<proxmox::Engine>> mocks;
  std::vector<ProxmoxSource> sources;
  for (size_t i = 0; i < twins.clusters.size(); ++i) {
    proxmox::EngineOptions engine;
    engine.cluster = twins.clusters[i];
    mocks.push_back(std::make_unique<proxmox::Engine>(engine));
    sources.push_back(
        {"twin-" + std::to_string(i),
         {"https://127.0.0.1:" + std::to_string(8006 + i), testing::kStackProxmoxToken, "", ""},
         std::make_shared<InProcessTransport>(mocks.back()->as_handler()),
         "",
         {}});
  }
  SyncOptions full;
  const auto summary = SyncEngine(netbox, sources, full).run();
  EXPECT_TRUE(summary.errors.empty()) << summary.errors.front();
  const auto endpoints = list(kPluginEndpointsPath);
  ASSERT_EQ(endpoints.size(), 2u);
  EXPECT_NE(json_int(field(endpoints[0], "port")), json_int(field(endpoints[1], "port")));
  size_t jobs = 0;
  for (const auto& twin : mocks)
    jobs += twin->export_state().clusters.front().backup_jobs.size();
  EXPECT_GT(jobs, 0u);
  EXPECT_EQ(list(kPluginBackupRoutinesPath).size(), jobs);
  const int64_t before = writes();
  SyncEngine(netbox, sources, full).run();
  EXPECT_EQ(writes(), before);
}

}  // namespace
}  // namespace pbx::sync
