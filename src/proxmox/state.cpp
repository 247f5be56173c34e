#include "proxmox/state.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "common/clock.hpp"

namespace pbx::proxmox {
namespace {

constexpr size_t kMaxTasks = 5000;  // the real task index is bounded too; keeps memory flat

std::string guest_type_of_backup(const BackupScenario& backup,
                                 const std::map<int, GuestState>& guests) {
  if (const auto it = guests.find(backup.vmid); it != guests.end()) return it->second.spec.type;
  return backup.format.find("tar") != std::string::npos ? "lxc" : "qemu";
}

std::vector<InterfaceState> default_interfaces(const NodeScenario& node) {
  const std::string address = node.ip.empty() ? "192.0.2.10" : node.ip;
  std::string gateway = address.substr(0, address.rfind('.')) + ".1";
  return {
      {"eno1", "eth", "", "", "", "", true, true},
      {"eno2", "eth", "", "", "", "", false, false},
      {"vmbr0", "bridge", address, "255.255.255.0", gateway, "eno1", true, true},
  };
}

}  // namespace

std::string generated_mac(int vmid, size_t nic_index) {
  return fmt::format("BC:24:11:{:02X}:{:02X}:{:02X}", (vmid >> 12) & 0xFF, ((vmid >> 4) & 0xFF),
                     ((vmid & 0xF) << 4) | (nic_index & 0xF));
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

ClusterState::ClusterState(const ClusterScenario& scenario, Service service,
                           std::chrono::milliseconds task_duration)
    : service_(service),
      name_(scenario.name),
      mode_(scenario.mode),
      task_duration_(task_duration),
      storages_(scenario.storages),
      datastores_(scenario.datastores) {
  const int64_t now = now_seconds();
  for (const auto& node : scenario.nodes) {
    NodeState state{node, now - 86400, default_interfaces(node)};
    nodes_.push_back(std::move(state));
  }
  for (const auto& guest : scenario.guests) {
    GuestState state;
    state.spec = guest;
    for (size_t i = 0; i < state.spec.nics.size(); ++i) {
      if (state.spec.nics[i].mac.empty()) state.spec.nics[i].mac = generated_mac(guest.vmid, i);
    }
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
  const auto backup_storage = std::find_if(storages_.begin(), storages_.end(), [](const auto& s) {
    return std::find(s.content.begin(), s.content.end(), "backup") != s.content.end();
  });
  if (service == Service::pve && backup_storage != storages_.end() && !guests_.empty()) {
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
  out.datastores = datastores_;
  return out;
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
  task.pid = next_pid_++;
  task.pstart = 0x00A0'0000u + task.pid * 7;
  task.starttime = now_seconds();
  task.ends_at = std::chrono::steady_clock::now() + task_duration_;
  task.exitstatus = std::move(exitstatus);
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
  const Task& stored = tasks_.emplace(key, std::move(task)).first->second;
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

void ClusterState::remove_guest(int vmid) {
  guests_.erase(vmid);
  const std::string guest_id = std::to_string(vmid);
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
