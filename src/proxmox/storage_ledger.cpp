#include "proxmox/storage_ledger.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "proxmox/state.hpp"

namespace pbx::proxmox {
namespace {

constexpr int64_t kGiB = int64_t{1} << 30;

template <typename Map, typename Key>
void add_to(Map& map, Key&& key, int64_t bytes) {
  auto found = map.find(key);
  if (found == map.end()) found = map.emplace(std::forward<Key>(key), 0).first;
  found->second += bytes;
  if (found->second == 0) map.erase(found);
}

}  // namespace

void StorageLedger::add(std::string_view storage, std::string_view node, int64_t bytes) {
  if (bytes == 0) return;
  add_to(by_node_, std::pair<std::string, std::string>{storage, node}, bytes);
  add_to(by_storage_, std::string(storage), bytes);
}

int64_t StorageLedger::used(const StorageScenario& storage, std::string_view node) const {
  int64_t used = 0;
  if (storage.shared) {
    if (const auto it = by_storage_.find(storage.id); it != by_storage_.end()) used = it->second;
  } else {
    for (const std::string_view owner : {node, std::string_view{}}) {
      const auto it = by_node_.find(std::pair<std::string, std::string>{storage.id, owner});
      if (it != by_node_.end()) used += it->second;
      if (owner.empty()) break;  // `node` itself is "": counted once
    }
  }
  return std::min(used, storage.total_bytes);
}

void account_guest(StorageLedger& ledger, const GuestState& guest, int sign) {
  for (const auto& disk : guest.spec.disks)
    ledger.add(disk.storage, guest.spec.node, sign * (disk.size_gb * kGiB / 2));
}

void account_backup(StorageLedger& ledger, const BackupScenario& backup, int sign) {
  ledger.add(backup.storage, backup.node, sign * backup.size);
}

void account_volume(StorageLedger& ledger, const VolumeScenario& volume, int sign) {
  ledger.add(volume.storage, volume.node, sign * volume.size);
}

StorageLedger tally_storage(const ClusterState& state) {
  StorageLedger ledger;
  for (const auto& [vmid, guest] : state.guests())
    account_guest(ledger, guest, +1);
  for (const auto& backup : state.backups())
    account_backup(ledger, backup, +1);
  for (const auto& volume : state.volumes())
    account_volume(ledger, volume, +1);
  return ledger;
}

void check_storage_ledger([[maybe_unused]] const ClusterState& state) {
#ifndef NDEBUG
  if (state.guests().size() + state.backups().size() + state.volumes().size() > kCheckedContent) {
    return;
  }
  const StorageLedger expected = tally_storage(state);
  if (state.storage_ledger() == expected) return;
  for (const auto& storage : state.storages()) {
    for (const auto& node : state.nodes()) {
      const int64_t kept = state.storage_ledger().used(storage, node.spec.name);
      const int64_t full = expected.used(storage, node.spec.name);
      if (kept != full) {
        std::fprintf(stderr, "storage ledger: %s on %s is %lld, recomputed %lld\n",
                     storage.id.c_str(), node.spec.name.c_str(), static_cast<long long>(kept),
                     static_cast<long long>(full));
      }
    }
  }
  std::fprintf(stderr, "storage ledger differs from a full recomputation\n");
  std::abort();
#endif
}

}  // namespace pbx::proxmox
