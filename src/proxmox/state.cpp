#include "proxmox/state.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "common/clock.hpp"
#include "proxmox/guest_disks.hpp"

namespace pbx::proxmox {
namespace {

constexpr size_t kMaxTasks = 5000;  // the real task index is bounded too; keeps memory flat

std::string guest_type_of_backup(const BackupScenario& backup,
                                 const std::map<int, GuestState>& guests) {
  if (const auto it = guests.find(backup.vmid); it != guests.end()) return it->second.spec.type;
  return backup.format.find("tar") != std::string::npos ? "lxc" : "qemu";
}

// A node without configured interfaces: two NICs (the second unused) and vmbr0 on the first,
// carrying the node's address.
std::vector<InterfaceScenario> default_interfaces(const NodeScenario& node) {
  const std::string address = node.ip.empty() ? "192.0.2.10" : node.ip;
  InterfaceScenario eno1{.iface = "eno1", .type = "eth", .mac = generated_node_mac(node.name, 1)};
  InterfaceScenario eno2{.iface = "eno2", .type = "eth", .mac = generated_node_mac(node.name, 2)};
  eno2.active = false;
  eno2.autostart = false;
  InterfaceScenario bridge{.iface = "vmbr0", .type = "bridge"};
  bridge.cidr = address + "/24";
  bridge.gateway = address.substr(0, address.rfind('.')) + ".1";
  bridge.bridge_ports = "eno1";
  return {eno1, eno2, bridge};
}

bool is_qemu_disk_key(std::string_view key) {
  for (const std::string_view bus : {"scsi", "virtio", "sata", "ide"}) {
    if (key.starts_with(bus) && key.size() > bus.size() &&
        std::all_of(key.begin() + static_cast<long>(bus.size()), key.end(),
                    [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string generated_mac(int vmid, size_t nic_index) {
  return fmt::format("BC:24:11:{:02X}:{:02X}:{:02X}", (vmid >> 12) & 0xFF, ((vmid >> 4) & 0xFF),
                     ((vmid & 0xF) << 4) | (nic_index & 0xF));
}

std::string generated_node_mac(std::string_view node, int port) {
  uint32_t hash = 2166136261u;  // FNV-1a: the same name gives the same MAC on every platform
  for (const char c : node) {
    hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
  }
  return fmt::format("3C:EC:EF:{:02X}:{:02X}:{:02X}", (hash >> 16) & 0xFF, (hash >> 8) & 0xFF,
                     ((hash & 0xF0) | (port & 0x0F)) & 0xFF);
}

bool is_disk_key(std::string_view guest_type, std::string_view key) {
  if (guest_type == "lxc") {
    return key == "rootfs" || (key.starts_with("mp") && key.size() > 2 &&
                               std::all_of(key.begin() + 2, key.end(), [](char c) {
                                 return std::isdigit(static_cast<unsigned char>(c)) != 0;
                               }));
  }
  return is_qemu_disk_key(key);
}

std::string generated_volid(const BackupScenario& backup, std::string_view guest_type) {
  const std::string stamp =
      common::format_utc(static_cast<std::time_t>(backup.ctime), "%Y_%m_%d-%H_%M_%S");
  return fmt::format("{}:backup/vzdump-{}-{}-{}.{}", backup.storage, guest_type, backup.vmid, stamp,
                     backup.format);
}

boost::json::object Task::to_json(std::chrono::steady_clock::time_point now) const {
  boost::json::object out{
      {"upid", upid},           {"node", node}, {"pid", pid}, {"pstart", pstart},
      {"starttime", starttime}, {"type", type}, {"id", id},   {"user", user}};
  if (running(now)) {
    out["status"] = "running";
  } else {
    out["status"] = "stopped";
    out["exitstatus"] = exitstatus;
  }
  return out;
}

boost::json::object Task::list_entry(std::chrono::steady_clock::time_point now) const {
  boost::json::object entry = to_json(now);
  if (!running(now)) {
    entry["endtime"] = endtime != 0 ? endtime : starttime + 1;
    entry["status"] = exitstatus;
    entry.erase("exitstatus");
  }
  return entry;
}

ClusterState::ClusterState(const ClusterScenario& scenario, Service service,
                           std::chrono::milliseconds task_duration)
    : service_(service),
      name_(scenario.name),
      mode_(scenario.mode),
      task_duration_(task_duration),
      storages_(scenario.storages),
      volumes_(scenario.volumes),
      datastores_(scenario.datastores),
      backup_jobs_(scenario.backup_jobs),
      replication_jobs_(scenario.replication_jobs),
      ha_resources_(scenario.ha_resources),
      sdn_zones_(scenario.sdn_zones),
      sdn_vnets_(scenario.sdn_vnets),
      sdn_subnets_(scenario.sdn_subnets),
      cpu_models_(scenario.cpu_models),
      firewall_(FirewallState::from_json(scenario.firewall)) {
  const int64_t now = now_seconds();
  for (const auto& node : scenario.nodes) {
    NodeState state{node, now - 86400};
    if (state.spec.interfaces.empty()) state.spec.interfaces = default_interfaces(node);
    nodes_.push_back(std::move(state));
  }
  for (const auto& guest : scenario.guests) {
    GuestState state;
    state.spec = guest;
    load_guest_disks(state);
    if (!guest.snapshots.empty()) state.snapshot_parent = guest.snapshots.back().name;
    // Spread start times so uptimes differ between guests, as on a real cluster.
    if (state.running()) state.started_at = now - 3600 - guest.vmid % 86400;
    if (!guest.pool.empty()) pools_.emplace(guest.pool, "");
    guests_.emplace(guest.vmid, std::move(state));
  }
  for (const auto& backup : scenario.backups) {
    BackupScenario stored = backup;
    if (stored.ctime == 0) stored.ctime = now - 86400;
    if (stored.volid.empty())
      stored.volid = generated_volid(stored, guest_type_of_backup(stored, guests_));
    backups_.push_back(std::move(stored));
  }
  for (auto& volume : volumes_) {
    if (volume.ctime == 0) volume.ctime = now - 86400;
  }
  load_tasks(scenario.tasks);
  storage_ledger_ = tally_storage(*this);
  const auto backup_storage = std::find_if(storages_.begin(), storages_.end(), [](const auto& s) {
    return std::find(s.content.begin(), s.content.end(), "backup") != s.content.end();
  });
  if (service == Service::pve && backup_jobs_.empty() && backup_storage != storages_.end() &&
      !guests_.empty()) {
    backup_jobs_.push_back(Job{"backup-daily",
                               {{"id", "backup-daily"},
                                {"type", "vzdump"},
                                {"enabled", 1},
                                {"schedule", "21:00"},
                                {"storage", backup_storage->id},
                                {"mode", "snapshot"},
                                {"compress", "zstd"},
                                {"all", 1}}});
  }
}

void ClusterState::account_guest_storage(int vmid, int sign) {
  if (const GuestState* guest = find_guest(vmid)) account_guest(storage_ledger_, *guest, sign);
}

void ClusterState::add_volume(VolumeScenario volume) {
  account_volume(storage_ledger_, volume, +1);
  volumes_.push_back(std::move(volume));
}

void ClusterState::replace_volume(size_t index, VolumeScenario volume) {
  account_volume(storage_ledger_, volumes_.at(index), -1);
  account_volume(storage_ledger_, volume, +1);
  volumes_[index] = std::move(volume);
}

size_t ClusterState::erase_backups(const std::function<bool(const BackupScenario&)>& erase) {
  return std::erase_if(backups_, [&](const BackupScenario& backup) {
    if (!erase(backup)) return false;
    account_backup(storage_ledger_, backup, -1);
    return true;
  });
}

size_t ClusterState::erase_volumes(const std::function<bool(const VolumeScenario&)>& erase) {
  return std::erase_if(volumes_, [&](const VolumeScenario& volume) {
    if (!erase(volume)) return false;
    account_volume(storage_ledger_, volume, -1);
    return true;
  });
}

BackupScenario* ClusterState::find_backup(const std::function<bool(const BackupScenario&)>& match) {
  const auto found = std::find_if(backups_.begin(), backups_.end(), match);
  return found == backups_.end() ? nullptr : &*found;
}

GuestStorageEdit::GuestStorageEdit(ClusterState& state, std::vector<int> vmids)
    : state_(state), vmids_(std::move(vmids)) {
  std::sort(vmids_.begin(), vmids_.end());
  vmids_.erase(std::unique(vmids_.begin(), vmids_.end()), vmids_.end());
  for (const int vmid : vmids_)
    state_.account_guest_storage(vmid, -1);
}

GuestStorageEdit::~GuestStorageEdit() {
  for (const int vmid : vmids_)
    state_.account_guest_storage(vmid, +1);
}

void ClusterState::load_tasks(const std::vector<TaskScenario>& tasks) {
  std::vector<TaskScenario> ordered = tasks;  // oldest first, so the history reads newest first
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& a, const auto& b) { return a.starttime < b.starttime; });
  for (const auto& finished : ordered) {
    Task task;
    task.node = finished.node;
    task.type = finished.type;
    task.id = finished.id;
    task.user = finished.user;
    task.starttime = finished.starttime;
    task.endtime = std::max(finished.endtime, finished.starttime);
    task.exitstatus = finished.status;
    task.ends_at = std::chrono::steady_clock::time_point::min();
    add_task(std::move(task));
  }
}

void ClusterState::complete_guest(GuestState& guest) const {
  auto& spec = guest.spec;
  const bool lxc = spec.type == "lxc";
  for (size_t i = 0; i < spec.nics.size(); ++i) {
    auto& nic = spec.nics[i];
    if (nic.mac.empty()) nic.mac = generated_mac(spec.vmid, i);
    if (lxc && nic.key.empty()) nic.key = fmt::format("net{}", i);
  }
  for (auto& disk : spec.disks) {
    if (disk.storage.empty()) {
      const StorageScenario* storage = default_disk_storage(spec);
      disk.storage = storage != nullptr ? storage->id : "local";
    }
    if (disk.volume.empty()) disk.volume = free_volume_name(guest, disk.storage);
  }
  // maxdisk is the first attached disk's size; unusedN volumes are not the guest's disk.
  const auto attached =
      std::find_if(spec.disks.begin(), spec.disks.end(),
                   [](const DiskScenario& disk) { return !is_unused_key(disk.key); });
  spec.disk_gb = attached == spec.disks.end() ? 0 : attached->size_gb;
}

void ClusterState::load_guest_disks(GuestState& guest) const {
  auto& spec = guest.spec;
  if (spec.disks.empty() && spec.disk_gb > 0) {
    spec.disks.push_back(
        DiskScenario{spec.type == "lxc" ? "rootfs" : "scsi0", "", spec.disk_gb, "", ""});
  }
  for (auto& disk : spec.disks) {
    if (spec.type == "qemu" && disk.key.starts_with("scsi") && disk.options.empty()) {
      disk.options = "iothread=1";
    }
  }
  complete_guest(guest);
}

const StorageScenario* ClusterState::default_disk_storage(const GuestScenario& guest) const {
  const std::string_view wanted = guest.type == "lxc" ? "rootdir" : "images";
  for (const auto& storage : storages_) {
    if (!storage_on_node(storage, guest.node)) continue;
    if (std::find(storage.content.begin(), storage.content.end(), wanted) !=
        storage.content.end()) {
      return &storage;
    }
  }
  return nullptr;
}

ClusterScenario ClusterState::export_scenario() const {
  ClusterScenario out;
  out.name = name_;
  out.mode = mode_;
  for (const auto& node : nodes_)
    out.nodes.push_back(node.spec);
  for (const auto& [vmid, guest] : guests_)
    out.guests.push_back(guest.spec);
  out.storages = storages_;
  out.backups = backups_;
  out.volumes = volumes_;
  out.datastores = datastores_;
  out.backup_jobs = backup_jobs_;
  out.replication_jobs = replication_jobs_;
  const auto now = std::chrono::steady_clock::now();
  for (const auto& upid : task_order_) {
    const Task& task = tasks_.at(upid);
    const int64_t ended = task.endtime != 0 ? task.endtime : task.starttime + 1;
    out.tasks.push_back(TaskScenario{task.node, task.type, task.id, task.user, task.starttime,
                                     ended, task.running(now) ? "OK" : task.exitstatus});
  }
  out.ha_resources = ha_resources_;
  out.sdn_zones = sdn_zones_;
  out.sdn_vnets = sdn_vnets_;
  out.sdn_subnets = sdn_subnets_;
  out.cpu_models = cpu_models_;
  out.firewall = firewall_.to_json();
  return out;
}

const HaResourceScenario* ClusterState::find_ha_resource(std::string_view sid) const {
  const auto it = std::find_if(ha_resources_.begin(), ha_resources_.end(),
                               [&](const HaResourceScenario& r) { return r.sid == sid; });
  return it == ha_resources_.end() ? nullptr : &*it;
}

NodeState* ClusterState::find_node(std::string_view name) {
  if (service_ == Service::pbs && name == "localhost" && !nodes_.empty()) return &nodes_.front();
  const auto it = std::find_if(nodes_.begin(), nodes_.end(),
                               [&](const NodeState& node) { return node.spec.name == name; });
  return it == nodes_.end() ? nullptr : &*it;
}

const NodeState* ClusterState::find_node(std::string_view name) const {
  return const_cast<ClusterState*>(this)->find_node(name);
}

GuestState* ClusterState::find_guest(int vmid) {
  const auto it = guests_.find(vmid);
  return it == guests_.end() ? nullptr : &it->second;
}

const GuestState* ClusterState::find_guest(int vmid) const {
  const auto it = guests_.find(vmid);
  return it == guests_.end() ? nullptr : &it->second;
}

const StorageScenario* ClusterState::find_storage(std::string_view id) const {
  const auto it = std::find_if(storages_.begin(), storages_.end(),
                               [&](const StorageScenario& storage) { return storage.id == id; });
  return it == storages_.end() ? nullptr : &*it;
}

bool ClusterState::storage_on_node(const StorageScenario& storage, std::string_view node) const {
  return storage.nodes.empty() ||
         std::find(storage.nodes.begin(), storage.nodes.end(), node) != storage.nodes.end();
}

const Task& ClusterState::start_task(std::string_view node, std::string_view type,
                                     std::string_view id, std::string_view user,
                                     std::string exitstatus) {
  Task task;
  task.node = std::string(node);
  task.type = std::string(type);
  task.id = std::string(id);
  task.user = std::string(user);
  task.starttime = now_seconds();
  task.ends_at = std::chrono::steady_clock::now() + task_duration_;
  task.exitstatus = std::move(exitstatus);
  return add_task(std::move(task));
}

Task& ClusterState::add_task(Task task) {
  task.pid = next_pid_++;
  task.pstart = 0x00A0'0000u + task.pid * 7;
  if (service_ == Service::pbs) {
    // PBS UPIDs carry a task counter between pstart and starttime.
    task.upid =
        fmt::format("UPID:{}:{:08X}:{:08X}:{:08X}:{:08X}:{}:{}:{}:", task.node, task.pid,
                    task.pstart, task.pid - 0x1000, task.starttime, task.type, task.id, task.user);
  } else {
    task.upid = fmt::format("UPID:{}:{:08X}:{:08X}:{:08X}:{}:{}:{}:", task.node, task.pid,
                            task.pstart, task.starttime, task.type, task.id, task.user);
  }
  task_order_.push_back(task.upid);
  const std::string key = task.upid;
  Task& stored = tasks_.emplace(key, std::move(task)).first->second;
  while (task_order_.size() > kMaxTasks) {
    tasks_.erase(task_order_.front());
    task_order_.pop_front();
  }
  touch();
  return stored;
}

const Task* ClusterState::find_task(std::string_view upid) const {
  const auto it = tasks_.find(std::string(upid));
  return it == tasks_.end() ? nullptr : &it->second;
}

std::vector<const Task*> ClusterState::tasks_of(std::string_view node) const {
  std::vector<const Task*> out;
  for (auto it = task_order_.rbegin(); it != task_order_.rend(); ++it) {
    const Task& task = tasks_.at(*it);
    if (task.node == node) out.push_back(&task);
  }
  return out;
}

std::vector<const Task*> ClusterState::all_tasks() const {
  std::vector<const Task*> out;
  out.reserve(task_order_.size());
  for (auto it = task_order_.rbegin(); it != task_order_.rend(); ++it)
    out.push_back(&tasks_.at(*it));
  return out;
}

void ClusterState::remove_guest(int vmid) {
  if (const auto it = guests_.find(vmid); it != guests_.end()) {
    const std::string sid = it->second.ha_sid();
    std::erase_if(ha_resources_, [&](const HaResourceScenario& r) { return r.sid == sid; });
  }
  guests_.erase(vmid);
  const std::string guest_id = std::to_string(vmid);
  // Proxmox removes the guest's <vmid>.fw with it.
  firewall_.zones.erase("qemu/" + guest_id);
  firewall_.zones.erase("lxc/" + guest_id);
  std::erase_if(replication_jobs_, [&](const Job& job) {
    const auto it = job.settings.find("guest");
    return it != job.settings.end() && it->value().is_string() &&
           it->value().as_string() == guest_id;
  });
  touch();
}

double ClusterState::cpu_fraction(int vmid) {
  // A small, stable, per-guest figure in [0.01, 0.30].
  return 0.01 + static_cast<double>((static_cast<uint32_t>(vmid) * 2654435761u) % 30) / 100.0;
}

int64_t ClusterState::now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace pbx::proxmox
