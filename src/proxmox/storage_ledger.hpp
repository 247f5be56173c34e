#pragma once
// Used bytes of every storage, kept per (storage, owning node) as content comes and goes, so
// that /nodes/{node}/storage answers without a pass over every guest and backup. What counts:
// each guest disk (thin: half its size) on the guest's node, each backup and other volume on
// its node ("" when it names none: seen from every node).

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>

#include "proxmox/scenario.hpp"

namespace pbx::proxmox {

struct GuestState;
class ClusterState;

class StorageLedger {
 public:
  // `bytes` more (or fewer, when negative) on `storage`, owned by `node`.
  void add(std::string_view storage, std::string_view node, int64_t bytes);
  // What `storage` holds as `node` sees it: everything when shared, else that node's content
  // and the content of no node; at most the storage's size.
  int64_t used(const StorageScenario& storage, std::string_view node) const;
  // Same figures (entries that reached zero are gone).
  bool operator==(const StorageLedger&) const = default;

 private:
  std::map<std::pair<std::string, std::string>, int64_t, std::less<>> by_node_;
  std::map<std::string, int64_t, std::less<>> by_storage_;
};

// What one guest, backup or volume occupies, added to `ledger` `sign` times (+1 or -1).
void account_guest(StorageLedger& ledger, const GuestState& guest, int sign);
void account_backup(StorageLedger& ledger, const BackupScenario& backup, int sign);
void account_volume(StorageLedger& ledger, const VolumeScenario& volume, int sign);

// The ledger recomputed from scratch: one pass over every guest, backup and volume (on load, and
// the oracle the kept ledger is checked against).
StorageLedger tally_storage(const ClusterState& state);

// Debug builds: aborts, naming the first storage that differs, unless the state's ledger equals
// tally_storage (estates above kCheckedContent guests, backups and volumes are skipped: a pass
// per write would make their tests quadratic). Release builds: nothing.
inline constexpr size_t kCheckedContent = 5000;
void check_storage_ledger(const ClusterState& state);

}  // namespace pbx::proxmox
