// The guest read cache and snapshot lists (sync/guest_read_cache.hpp): a guest's list is cached
// with its entry and read again exactly when its config is. Taking a snapshot does not show in
// /cluster/resources, so with the cache on it reaches NetBox after the max age or with a full
// read; a list that fails is unknown (nothing of that guest is deleted) and read next run.

#include <gtest/gtest.h>

#include <set>

#include "read_cache_stack.hpp"
#include "sync/plugin_mapping.hpp"

namespace pbx::sync {
namespace {
using testing::ReadCacheStack;

class ReadCacheSnapshots : public ReadCacheStack {
 protected:
  std::string guest_path(const proxmox::GuestScenario& guest) {
    return "/nodes/" + guest.node + "/" + guest.type + "/" + std::to_string(guest.vmid);
  }
  void take_snapshot(const proxmox::GuestScenario& guest, const std::string& name) {
    proxmox(http::Verb::post, guest_path(guest) + "/snapshot", {{"snapname", name}});
  }
  // The names of the NetBox snapshots of the virtual machine named `vm_name`.
  std::set<std::string> netbox_snapshots(const std::string& vm_name) {
    const auto vm = vm_named(vm_name);
    std::set<std::string> names;
    if (vm.empty()) return names;
    for (const auto& object : list(kPluginSnapshotsPath)) {
      const auto& owner = object.at("virtual_machine");
      const auto owner_id = owner.is_object() ? owner.at("id") : owner;
      if (owner_id == vm.at("id")) names.emplace(object.at("name").as_string());
    }
    return names;
  }
  std::set<int> all_vmids() const {
    std::set<int> vmids;
    for (const auto& guest : scenario.guests)
      vmids.insert(guest.vmid);
    return vmids;
  }
};

TEST_F(ReadCacheSnapshots, UnchangedGuestsSnapshotListsAreNotReadAgain) {
  const auto cold = run();
  const auto cold_lists = snapshot_lists_requested();
  EXPECT_EQ(std::set<int>(cold_lists.begin(), cold_lists.end()), all_vmids());
  const size_t in_netbox = list(kPluginSnapshotsPath).size();
  ASSERT_GT(in_netbox, 0u);

  const auto again = run();
  EXPECT_EQ(again.guests_read, 0u);
  EXPECT_TRUE(snapshot_lists_requested().empty()) << "no snapshot list requested";
  EXPECT_EQ(again.netbox_requests.writes(), 0u) << "the cached lists are the same lists";
  EXPECT_EQ(again.kinds.at("snapshots").unchanged, in_netbox);
  EXPECT_EQ(list(kPluginSnapshotsPath).size(), in_netbox) << "none marked stale or deleted";
  EXPECT_LE(again.proxmox_requests, cold.proxmox_requests - 2 * scenario.guests.size())
      << "neither the config nor the snapshot list of any guest";
}

// Exactly the guest whose config is read again has its list read again.
TEST_F(ReadCacheSnapshots, AChangedGuestHasItsListReadWithItsConfig) {
  run();
  const auto& vm = guest_of_type("qemu");
  proxmox(http::Verb::put, guest_path(vm) + "/config", {{"name", vm.name + "-renamed"}});
  take_snapshot(vm, "with-rename");
  run();
  EXPECT_EQ(snapshot_lists_requested(), (std::multiset<int>{vm.vmid}));
  EXPECT_TRUE(netbox_snapshots(vm.name + "-renamed").count("with-rename"));
}

TEST_F(ReadCacheSnapshots, ANewSnapshotAppearsAfterTheMaxAge) {
  run();
  const auto& ct = guest_of_type("lxc");
  take_snapshot(ct, "behind-our-back");
  run();
  EXPECT_FALSE(netbox_snapshots(ct.name).count("behind-our-back"))
      << "within the max age the cached list stands (a snapshot does not show in resources)";

  now_ += 601;
  run();
  const auto lists = snapshot_lists_requested();
  EXPECT_EQ(std::set<int>(lists.begin(), lists.end()), all_vmids());
  EXPECT_TRUE(netbox_snapshots(ct.name).count("behind-our-back"));
  run();
  EXPECT_TRUE(snapshot_lists_requested().empty()) << "read again just now";
}

TEST_F(ReadCacheSnapshots, ANewSnapshotAppearsAtOnceWithAFullRead) {
  run();
  const auto& vm = guest_of_type("qemu");
  take_snapshot(vm, "full-read");
  run(/*full_read=*/true);
  EXPECT_EQ(snapshot_lists_requested().count(vm.vmid), 1u);
  EXPECT_TRUE(netbox_snapshots(vm.name).count("full-read"));
}

TEST_F(ReadCacheSnapshots, ASingleGuestSyncReadsItsListFresh) {
  run();
  const auto& ct = guest_of_type("lxc");
  take_snapshot(ct, "single");
  only_vmid_ = ct.vmid;
  run();
  EXPECT_EQ(snapshot_lists_requested(), (std::multiset<int>{ct.vmid}));
  EXPECT_TRUE(netbox_snapshots(ct.name).count("single"));
}

// An entry made by a run that did not list snapshots holds no list: a run that lists them reads
// that guest again, config and list together, rather than taking its snapshots as none.
TEST_F(ReadCacheSnapshots, AnEntryWithoutAListIsReadAgainByARunThatListsThem) {
  scope_ = SyncScope::virtual_machines;
  run();
  EXPECT_TRUE(snapshot_lists_requested().empty());
  scope_ = SyncScope::full;
  const auto full = run();
  EXPECT_EQ(full.guests_read, scenario.guests.size());
  const auto lists = snapshot_lists_requested();
  EXPECT_EQ(std::set<int>(lists.begin(), lists.end()), all_vmids());
  EXPECT_GT(list(kPluginSnapshotsPath).size(), 0u);
  EXPECT_EQ(run().guests_read, 0u);
}

// A snapshot list that fails is unknown: the guest's NetBox snapshots stay (not deleted, not
// stale) though Proxmox deleted one meanwhile, the failure is not cached, and the next run reads
// the list again and then deletes it.
TEST_F(ReadCacheSnapshots, AFailedListDeletesNothingAndIsReadAgainNextRun) {
  const auto& vm = guest_of_type("qemu");
  take_snapshot(vm, "doomed");
  delete_orphans_ = true;
  run();
  ASSERT_TRUE(netbox_snapshots(vm.name).count("doomed"));
  const auto stored = list(kPluginSnapshotsPath);

  proxmox(http::Verb::delete_, guest_path(vm) + "/snapshot/doomed");
  fail_reads(guest_path(vm) + "/snapshot");
  expect_ok_ = false;
  run(/*full_read=*/true);  // reads every guest: the failing list is asked for
  EXPECT_EQ(snapshot_lists_requested().count(vm.vmid), 1u);
  EXPECT_TRUE(netbox_snapshots(vm.name).count("doomed")) << "unknown, not gone";
  for (const auto& object : list(kPluginSnapshotsPath))
    EXPECT_EQ(object.at("status").at("value"), "active") << object.at("name");
  EXPECT_EQ(list(kPluginSnapshotsPath).size(), stored.size());
  const auto entries = cache_->entries(read_cache_key("rcache", source().credentials.base_url));
  ASSERT_TRUE(entries);
  EXPECT_FALSE(entries->count(vm.vmid)) << "the failure is not cached";
  EXPECT_EQ(entries->size(), scenario.guests.size() - 1);

  proxmox_transport->send(http::Verb::delete_, "http://x/mock/faults", {}, {});
  expect_ok_ = true;
  const auto next = run();
  EXPECT_EQ(next.guests_read, 1u);
  EXPECT_EQ(snapshot_lists_requested(), (std::multiset<int>{vm.vmid}));
  EXPECT_FALSE(netbox_snapshots(vm.name).count("doomed")) << "read, gone, deleted";
  EXPECT_EQ(list(kPluginSnapshotsPath).size(), stored.size() - 1);
}

}  // namespace
}  // namespace pbx::sync
