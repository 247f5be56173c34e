#pragma once
// The mutable model behind one mock endpoint: what a Proxmox cluster (or PBS server) holds right
// now. Built from a ClusterScenario, exported back to one, and shared by every hand-written
// handler so that each write shows up in every view. Not synchronised: the Engine guards it.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxmox/access_state.hpp"
#include "proxmox/firewall_state.hpp"
#include "proxmox/scenario.hpp"
#include "proxmox/storage_ledger.hpp"

namespace pbx::proxmox {

using Snapshot = SnapshotScenario;
// A cluster job (/cluster/backup, /cluster/replication): an id plus its settings as sent.
using Job = JobScenario;

// The guest's state is its scenario (nics, disks, snapshots included) plus what only exists
// while the mock runs.
struct GuestState {
  GuestScenario spec;
  int64_t started_at = 0;  // unix seconds of the last start, while running
  // Config keys a client set that the model does not interpret; echoed back by GET config.
  std::map<std::string, std::string> extra_config;
  std::string snapshot_parent;  // the snapshot "current" derives from
  std::optional<std::string> lock;

  bool running() const { return spec.status == "running" || spec.status == "paused"; }
  std::string resource_id() const { return spec.type + "/" + std::to_string(spec.vmid); }
  // "vm:100" / "ct:101", as HA names guests.
  std::string ha_sid() const {
    return (spec.type == "lxc" ? "ct:" : "vm:") + std::to_string(spec.vmid);
  }
  // The config key of NIC `index` ("net0"): qemu names it, lxc keeps it beside the name.
  const std::string& nic_key(const NicScenario& nic) const {
    return spec.type == "lxc" ? nic.key : nic.name;
  }
};

struct NodeState {
  NodeScenario spec;  // spec.interfaces: the node's network configuration
  int64_t booted_at = 0;
};

struct Task {
  std::string upid;
  std::string node;
  std::string type;  // qmstart, vzcreate, ...
  std::string id;    // vmid or object id
  std::string user;
  uint32_t pid = 0;
  uint32_t pstart = 0;
  int64_t starttime = 0;
  std::chrono::steady_clock::time_point ends_at;
  std::string exitstatus = "OK";
  int64_t endtime = 0;  // unix seconds; 0 while running (then starttime + 1 once stopped)

  bool running(std::chrono::steady_clock::time_point now) const { return now < ends_at; }
  boost::json::object to_json(std::chrono::steady_clock::time_point now) const;
  // As task lists show it: a stopped task's exit status as "status", with its endtime.
  boost::json::object list_entry(std::chrono::steady_clock::time_point now) const;
};

class ClusterState {
 public:
  ClusterState(const ClusterScenario& scenario, Service service,
               std::chrono::milliseconds task_duration);

  // The state as a scenario again (round-trips through Scenario::from_json).
  ClusterScenario export_scenario() const;

  Service service() const { return service_; }
  const std::string& name() const { return name_; }
  const std::string& mode() const { return mode_; }
  // Bumped on every write; serialised views are cached against it.
  uint64_t version() const { return version_; }
  void touch() { ++version_; }

  std::vector<NodeState>& nodes() { return nodes_; }
  const std::vector<NodeState>& nodes() const { return nodes_; }
  NodeState* find_node(std::string_view name);
  const NodeState* find_node(std::string_view name) const;

  std::map<int, GuestState>& guests() { return guests_; }
  const std::map<int, GuestState>& guests() const { return guests_; }
  GuestState* find_guest(int vmid);
  const GuestState* find_guest(int vmid) const;

  std::vector<StorageScenario>& storages() { return storages_; }
  const std::vector<StorageScenario>& storages() const { return storages_; }
  const StorageScenario* find_storage(std::string_view id) const;
  bool storage_on_node(const StorageScenario& storage, std::string_view node) const;

  const std::vector<BackupScenario>& backups() const { return backups_; }
  // Storage content that is neither a guest's disk nor a backup (ISOs, templates, ...).
  const std::vector<VolumeScenario>& volumes() const { return volumes_; }

  // Used bytes per storage and node (storage_ledger.hpp), kept as what occupies storage
  // changes. Every such change goes through account_guest_storage (guests' disks, sizes,
  // storages, node; the engine brackets each write with GuestStorageEdit for the guests it
  // names) or the backup and volume functions below; debug builds compare the ledger with a
  // full recomputation after every write.
  const StorageLedger& storage_ledger() const { return storage_ledger_; }
  // Takes the guest's share out of the ledger (sign -1) or puts it back (+1); no guest, no-op.
  void account_guest_storage(int vmid, int sign);
  void add_volume(VolumeScenario volume);
  // Sets volumes_[index] to `volume` (an upload over a file of the same name).
  void replace_volume(size_t index, VolumeScenario volume);
  // Erases the backups (volumes) for which `erase` holds; how many.
  size_t erase_backups(const std::function<bool(const BackupScenario&)>& erase);
  size_t erase_volumes(const std::function<bool(const VolumeScenario&)>& erase);
  // Backup attributes that occupy no storage (protection, notes, verification) may change here.
  BackupScenario* find_backup(const std::function<bool(const BackupScenario&)>& match);

  std::vector<DatastoreScenario>& datastores() { return datastores_; }
  const std::vector<DatastoreScenario>& datastores() const { return datastores_; }

  std::map<std::string, std::string>& pools() { return pools_; }  // poolid → comment
  const std::map<std::string, std::string>& pools() const { return pools_; }

  std::vector<Job>& backup_jobs() { return backup_jobs_; }
  const std::vector<Job>& backup_jobs() const { return backup_jobs_; }
  std::vector<Job>& replication_jobs() { return replication_jobs_; }
  const std::vector<Job>& replication_jobs() const { return replication_jobs_; }

  std::vector<HaResourceScenario>& ha_resources() { return ha_resources_; }
  const std::vector<HaResourceScenario>& ha_resources() const { return ha_resources_; }
  const HaResourceScenario* find_ha_resource(std::string_view sid) const;

  std::vector<SdnZoneScenario>& sdn_zones() { return sdn_zones_; }
  const std::vector<SdnZoneScenario>& sdn_zones() const { return sdn_zones_; }
  std::vector<SdnVnetScenario>& sdn_vnets() { return sdn_vnets_; }
  const std::vector<SdnVnetScenario>& sdn_vnets() const { return sdn_vnets_; }
  std::vector<SdnSubnetScenario>& sdn_subnets() { return sdn_subnets_; }
  const std::vector<SdnSubnetScenario>& sdn_subnets() const { return sdn_subnets_; }

  // Users, tokens, realms, groups, roles and ACL (user.cfg, domains.cfg). Not part of
  // export_scenario(): the engine sets it from the scenario's AccessConfig and exports it.
  AccessState& access() { return access_; }
  const AccessState& access() const { return access_; }

  // Custom CPU models (scenario data: no API the mock serves writes them).
  const std::vector<CpuModelScenario>& cpu_models() const { return cpu_models_; }

  // The firewall: rules, options, IP sets, aliases per zone and the security groups
  // (pve_firewall*.cpp); exported as the scenario's `firewall`.
  FirewallState& firewall() { return firewall_; }
  const FirewallState& firewall() const { return firewall_; }

  // Fills what a write may leave open (NIC MACs and keys, disk storages, new volumes' names) and
  // keeps disk_gb equal to the first attached disk's size (0 without one). Called on load and
  // after every write that changes devices.
  void complete_guest(GuestState& guest) const;
  // On load: a scenario guest with only `disk_gb` gets that disk (scsi0 / rootfs), scsi disks
  // without options get iothread=1, then complete_guest.
  void load_guest_disks(GuestState& guest) const;
  // The storage a new disk of the guest goes to when none is named: the first one on its node
  // for images (qemu) or rootdir (lxc).
  const StorageScenario* default_disk_storage(const GuestScenario& guest) const;

  // Starts a task that finishes (exitstatus OK unless given) after the configured duration.
  const Task& start_task(std::string_view node, std::string_view type, std::string_view id,
                         std::string_view user, std::string exitstatus = "OK");
  const Task* find_task(std::string_view upid) const;
  // Newest first, like the real /nodes/{node}/tasks.
  std::vector<const Task*> tasks_of(std::string_view node) const;
  // Every node's tasks, newest first (/cluster/tasks).
  std::vector<const Task*> all_tasks() const;

  // Removes a guest and everything that only exists because of it (pool membership, jobs, HA).
  void remove_guest(int vmid);

  // Deterministic per-object "load" figures so repeated reads agree.
  static double cpu_fraction(int vmid);
  static int64_t now_seconds();

 private:
  Service service_;
  std::string name_;
  std::string mode_;
  uint64_t version_ = 1;
  std::chrono::milliseconds task_duration_;
  std::vector<NodeState> nodes_;
  std::map<int, GuestState> guests_;
  std::vector<StorageScenario> storages_;
  std::vector<BackupScenario> backups_;
  std::vector<VolumeScenario> volumes_;
  StorageLedger storage_ledger_;
  std::vector<DatastoreScenario> datastores_;
  std::map<std::string, std::string> pools_;
  std::vector<Job> backup_jobs_;
  std::vector<Job> replication_jobs_;
  std::vector<HaResourceScenario> ha_resources_;
  std::vector<SdnZoneScenario> sdn_zones_;
  std::vector<SdnVnetScenario> sdn_vnets_;
  std::vector<SdnSubnetScenario> sdn_subnets_;
  AccessState access_;
  std::vector<CpuModelScenario> cpu_models_;
  FirewallState firewall_;
  std::unordered_map<std::string, Task> tasks_;
  std::deque<std::string> task_order_;
  uint32_t next_pid_ = 0x1000;

  Task& add_task(Task task);
  void load_tasks(const std::vector<TaskScenario>& tasks);
};

// While it lives, the guests `vmids` may change in any way that moves storage (disks added,
// resized, moved or freed; created, cloned, destroyed): their shares leave the ledger when it is
// made and come back, as the guests then are, when it ends.
class GuestStorageEdit {
 public:
  GuestStorageEdit(ClusterState& state, std::vector<int> vmids);
  ~GuestStorageEdit();
  GuestStorageEdit(const GuestStorageEdit&) = delete;
  GuestStorageEdit& operator=(const GuestStorageEdit&) = delete;

 private:
  ClusterState& state_;
  std::vector<int> vmids_;
};

// "BC:24:11:00:00:64" from a vmid and NIC index: stable, unique per cluster, Proxmox's OUI.
std::string generated_mac(int vmid, size_t nic_index);
// Whether `key` names a disk in a guest config of this type: qemu scsiN/virtioN/sataN/ideN, lxc
// rootfs/mpN.
bool is_disk_key(std::string_view guest_type, std::string_view key);
// A node NIC's hardware address from the node's name and port: stable per name.
std::string generated_node_mac(std::string_view node, int port);
// "backup:backup/vzdump-qemu-100-2026_01_01-00_00_00.vma.zst"
std::string generated_volid(const BackupScenario& backup, std::string_view guest_type);

}  // namespace pbx::proxmox
