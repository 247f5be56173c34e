// The storage ledger kept by ClusterState (storage_ledger.hpp) against a full recomputation
// (tally_storage) after every step of randomized sequences: on the state directly (every
// accounting function) and through the API (the engine's GuestStorageEdit around each write,
// the usage the API answers, the state exported and loaded again).

#include "proxmox/storage_ledger.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "mock_test_support.hpp"
#include "proxmox/state.hpp"

namespace pbx::proxmox {
namespace {

using namespace pbx::proxmox::testing;
using http::Verb;

const std::vector<std::string> kNodes = {"pve1", "pve2"};

// Two nodes; node-local dir and lvm-thin storages, a shared rbd pool and a shared backup store.
ClusterScenario two_node_cluster() {
  ClusterScenario cluster = default_cluster(Service::pve);
  cluster.mode = "cluster";
  cluster.nodes.push_back(NodeScenario{"pve2", "online", "192.0.2.12", 8, 32LL << 30, 512LL << 30});
  cluster.storages.push_back(
      StorageScenario{"ceph", "rbd", {"images", "rootdir"}, true, {}, int64_t{1} << 44});
  cluster.storages.push_back(
      StorageScenario{"nfs", "nfs", {"backup", "iso"}, true, {}, int64_t{1} << 44});
  for (int i = 0; i < 6; ++i) {
    BackupScenario backup;
    backup.storage = i % 2 ? "nfs" : "local";
    backup.node = i % 3 == 0 ? "" : kNodes[i % 2];
    backup.vmid = 100;
    backup.ctime = 1767225600 + i;
    backup.size = (i + 1) * (int64_t{1} << 28);
    cluster.backups.push_back(backup);
  }
  return cluster;
}

// Every figure a client can read: each storage on each node, kept against recomputed.
void expect_same_usage(const ClusterState& state, const StorageLedger& recomputed,
                       const std::string& step) {
  for (const auto& storage : state.storages()) {
    for (const auto& node : kNodes) {
      ASSERT_EQ(state.storage_ledger().used(storage, node), recomputed.used(storage, node))
          << storage.id << " on " << node << " after " << step;
    }
  }
}

class LedgerSteps {
 public:
  explicit LedgerSteps(unsigned seed) : random_(seed) {}

  int pick(int low, int high) { return std::uniform_int_distribution<int>(low, high)(random_); }
  const std::string& storage(const std::vector<std::string>& ids) {
    return ids[static_cast<size_t>(pick(0, static_cast<int>(ids.size()) - 1))];
  }

  // One random change of what occupies storage, through the state's accounting functions.
  std::string step(ClusterState& state) {
    static const std::vector<std::string> kDiskStorages = {"local-lvm", "ceph", "local"};
    static const std::vector<std::string> kFileStorages = {"local", "nfs"};
    auto& guests = state.guests();
    const int vmid = 200 + pick(0, 30);
    switch (pick(0, 7)) {
      case 0: {  // a guest created
        if (guests.count(vmid)) return "nothing";
        GuestStorageEdit edit(state, {vmid});
        GuestState guest;
        guest.spec.vmid = vmid;
        guest.spec.node = kNodes[static_cast<size_t>(pick(0, 1))];
        for (int d = pick(0, 3); d > 0; --d) {
          guest.spec.disks.push_back(
              DiskScenario{fmt::format("scsi{}", d), storage(kDiskStorages), pick(1, 64), "", ""});
        }
        state.complete_guest(guest);
        guests.emplace(vmid, std::move(guest));
        return "create";
      }
      case 1: {  // destroyed
        GuestStorageEdit edit(state, {vmid});
        state.remove_guest(vmid);
        return "destroy";
      }
      case 2: {  // disks resized, moved to another storage, freed; the guest to another node
        if (!guests.count(vmid)) return "nothing";
        GuestStorageEdit edit(state, {vmid, vmid});
        auto& spec = guests.at(vmid).spec;
        for (auto& disk : spec.disks) {
          if (pick(0, 1)) disk.size_gb += pick(1, 16);
          if (pick(0, 2) == 0) disk.storage = storage(kDiskStorages);
        }
        if (!spec.disks.empty() && pick(0, 3) == 0) spec.disks.pop_back();
        if (pick(0, 3) == 0) spec.node = kNodes[static_cast<size_t>(pick(0, 1))];
        state.complete_guest(guests.at(vmid));
        return "edit";
      }
      case 3: {  // a disk handed from one guest to another
        const int other = 200 + pick(0, 30);
        if (!guests.count(vmid) || !guests.count(other) || guests.at(vmid).spec.disks.empty()) {
          return "nothing";
        }
        GuestStorageEdit edit(state, {vmid, other});
        auto& disks = guests.at(vmid).spec.disks;
        guests.at(other).spec.disks.push_back(disks.back());
        disks.pop_back();
        state.complete_guest(guests.at(vmid));
        state.complete_guest(guests.at(other));
        return "reassign";
      }
      case 4: {  // a file uploaded or downloaded
        VolumeScenario volume;
        volume.storage = storage(kFileStorages);
        volume.node = volume.storage == "local" ? kNodes[static_cast<size_t>(pick(0, 1))] : "";
        volume.volid = fmt::format("{}:iso/f{}.iso", volume.storage, pick(0, 20));
        volume.size = pick(1, 1000) * (int64_t{1} << 20);
        state.add_volume(volume);
        return "add volume";
      }
      case 5: {  // a file overwritten
        if (state.volumes().empty()) return "nothing";
        const size_t index =
            static_cast<size_t>(pick(0, static_cast<int>(state.volumes().size()) - 1));
        VolumeScenario volume = state.volumes()[index];
        volume.size = pick(1, 1000) * (int64_t{1} << 20);
        state.replace_volume(index, volume);
        return "replace volume";
      }
      case 6: {  // files deleted
        const std::string name = fmt::format("f{}.iso", pick(0, 20));
        state.erase_volumes([&](const VolumeScenario& v) { return v.volid.ends_with(name); });
        return "erase volumes";
      }
      default: {  // backups deleted
        const int64_t ctime = 1767225600 + pick(0, 8);
        state.erase_backups([&](const BackupScenario& b) { return b.ctime == ctime; });
        return "erase backups";
      }
    }
  }

 private:
  std::mt19937 random_;
};

TEST(StorageLedger, EveryAccountingFunctionKeepsItEqualToARecount) {
  for (const unsigned seed : {1u, 2u, 3u, 4u}) {
    ClusterState state(two_node_cluster(), Service::pve, std::chrono::milliseconds(0));
    ASSERT_TRUE(state.storage_ledger() == tally_storage(state)) << "loaded";
    ASSERT_GT(state.storage_ledger().used(*state.find_storage("nfs"), "pve1"), 0);
    LedgerSteps steps(seed);
    for (int i = 0; i < 600; ++i) {
      const std::string step = steps.step(state);
      const StorageLedger recomputed = tally_storage(state);
      ASSERT_TRUE(state.storage_ledger() == recomputed)
          << "seed " << seed << " step " << i << ": " << step;
      expect_same_usage(state, recomputed, step);
    }
    // The admin round trip: the exported state, loaded again, counts the same.
    const ClusterState loaded(state.export_scenario(), Service::pve, std::chrono::milliseconds(0));
    EXPECT_TRUE(loaded.storage_ledger() == state.storage_ledger()) << "seed " << seed;
  }
}

TEST(StorageLedger, SharedStorageCountsEveryNodeAndNodeLessContentShowsEverywhere) {
  StorageLedger ledger;
  const StorageScenario shared{"ceph", "rbd", {"images"}, true, {}, int64_t{1} << 40};
  const StorageScenario local{"local", "dir", {"iso"}, false, {}, int64_t{1} << 40};
  ledger.add("ceph", "pve1", 10);
  ledger.add("ceph", "pve2", 5);
  ledger.add("local", "pve1", 7);
  ledger.add("local", "", 3);
  EXPECT_EQ(ledger.used(shared, "pve1"), 15);
  EXPECT_EQ(ledger.used(shared, "pve3"), 15);
  EXPECT_EQ(ledger.used(local, "pve1"), 10);
  EXPECT_EQ(ledger.used(local, "pve2"), 3);
  const StorageScenario small{"local", "dir", {"iso"}, false, {}, 8};
  EXPECT_EQ(ledger.used(small, "pve1"), 8) << "at most the storage's size";
  ledger.add("local", "pve1", -7);
  ledger.add("local", "", -3);
  ledger.add("ceph", "pve1", -10);
  ledger.add("ceph", "pve2", -5);
  EXPECT_TRUE(ledger == StorageLedger{}) << "entries at zero are gone";
}

// Through the API: what /nodes/{node}/storage answers after each write equals a recount of the
// state the engine exports.
class ApiSteps {
 public:
  ApiSteps(Engine& engine, unsigned seed) : engine_(engine), random_(seed) {}

  int pick(int low, int high) { return std::uniform_int_distribution<int>(low, high)(random_); }

  std::string step() {
    static const std::vector<std::string> kDiskStorages = {"local-lvm", "ceph"};
    const int vmid = 200 + pick(0, 12);
    const std::string node = kNodes[static_cast<size_t>(pick(0, 1))];
    const std::string guest = fmt::format("/api2/json/nodes/{}/qemu/{}", node, vmid);
    const std::string disk_storage = kDiskStorages[static_cast<size_t>(pick(0, 1))];
    switch (pick(0, 8)) {
      case 0:
        return send(Verb::post, fmt::format("/api2/json/nodes/{}/qemu", node),
                    fmt::format("vmid={}&scsi0={}%3A{}", vmid, disk_storage, pick(1, 32)));
      case 1:
        return send(Verb::delete_, guest, "");
      case 2:
        return send(Verb::put, guest + "/resize",
                    fmt::format("disk=scsi0&size=%2B{}G", pick(1, 8)));
      case 3:
        return send(Verb::post, guest + "/move_disk",
                    fmt::format("disk=scsi0&storage={}&delete={}", disk_storage, pick(0, 1)));
      case 4:
        return send(Verb::put, guest + "/config",
                    fmt::format("scsi{}={}%3A{}", pick(1, 2), disk_storage, pick(1, 16)));
      case 5:
        return send(Verb::put, guest + "/unlink",
                    fmt::format("idlist=scsi1,unused0,unused1&force={}", pick(0, 1)));
      case 6:
        return send(Verb::post, guest + "/clone",
                    fmt::format("newid={}&full=1&storage={}&target={}", 200 + pick(0, 12),
                                disk_storage, kNodes[static_cast<size_t>(pick(0, 1))]));
      case 7:
        return send(Verb::post, fmt::format("/api2/json/nodes/{}/storage/local/download-url", node),
                    fmt::format("url=https%3A%2F%2Fexample.invalid%2Fa.iso&content=iso&"
                                "filename=f{}.iso",
                                pick(0, 5)));
      default:
        return send(Verb::delete_,
                    fmt::format("/api2/json/nodes/{}/storage/local/content/local%3Aiso%2Ff{}.iso",
                                node, pick(0, 5)),
                    "");
    }
  }

 private:
  std::string send(Verb verb, const std::string& target, const std::string& body) {
    const Reply reply = call(engine_, verb, target, body);
    return fmt::format("{} {} {} -> {}", std::string(boost::beast::http::to_string(verb)), target,
                       body, reply.status);
  }

  Engine& engine_;
  std::mt19937 random_;
};

TEST(StorageLedger, ApiWritesKeepTheAnsweredUsageEqualToARecount) {
  for (const unsigned seed : {7u, 8u}) {
    EngineOptions options = test_options_with(two_node_cluster());
    options.task_duration = std::chrono::milliseconds(0);
    Engine engine(options);
    ApiSteps steps(engine, seed);
    int changed = 0;
    for (int i = 0; i < 150; ++i) {
      const std::string step = steps.step();
      changed += step.ends_with("200");
      const Scenario exported = engine.export_state();
      const ClusterState recounted(exported.clusters.at(0), Service::pve,
                                   std::chrono::milliseconds(0));
      for (const auto& node : kNodes) {
        const Reply listing = get(engine, "/api2/json/nodes/" + node + "/storage");
        ASSERT_EQ(listing.status, 200u) << listing.body;
        for (const auto& entry : listing.data().as_array()) {
          const std::string id(entry.at("storage").as_string());
          const StorageScenario* storage = recounted.find_storage(id);
          ASSERT_NE(storage, nullptr) << id;
          ASSERT_EQ(entry.at("used").to_number<int64_t>(),
                    tally_storage(recounted).used(*storage, node))
              << id << " on " << node << ", seed " << seed << " step " << i << ": " << step;
        }
      }
    }
    EXPECT_GT(changed, 10) << "most steps were writes that took effect";
  }
}

}  // namespace
}  // namespace pbx::proxmox
