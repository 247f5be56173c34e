// Views, lookups and errors shared by the Proxmox VE handler files (see pve_support.hpp).

#include "proxmox/pve_support.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>

#include "proxmox/handler_support.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;

int64_t guest_uptime(const GuestState& guest, int64_t now) {
  return guest.running() ? std::max<int64_t>(0, now - guest.started_at) : 0;
}

}  // namespace

ApiResult no_such_guest(std::string_view type, std::string_view node, int64_t vmid) {
  return ApiResult::error(
      500, fmt::format("Configuration file 'nodes/{}/{}/{}.conf' does not exist", node,
                       type == "lxc" ? "lxc" : "qemu-server", vmid));
}

ApiResult no_such_node(std::string_view node) {
  return ApiResult::error(
      500, fmt::format("hostname lookup '{}' failed - failed to get address info for: {}: Name "
                       "or service not known",
                       node, node));
}

std::string guest_kind_word(const GuestState& guest) {
  return guest.spec.type == "lxc" ? "CT" : "VM";
}

std::string display_name(const GuestState& guest) {
  if (!guest.spec.name.empty()) return guest.spec.name;
  return fmt::format("{}{}", guest.spec.type == "lxc" ? "CT" : "VM ", guest.spec.vmid);
}

int64_t guest_maxmem(const GuestState& guest) {
  return guest.spec.memory_mb * kMiB;
}
int64_t guest_maxdisk(const GuestState& guest) {
  return guest.spec.disk_gb * kGiB;
}

// Fields shared by the guest list, status/current and /cluster/resources.
json::object guest_metrics(const GuestState& guest, int64_t now) {
  const bool running = guest.running();
  const double cpu = running ? ClusterState::cpu_fraction(guest.spec.vmid) : 0.0;
  const int64_t maxmem = guest_maxmem(guest);
  const int64_t maxdisk = guest_maxdisk(guest);
  json::object out;
  out["vmid"] = guest.spec.vmid;
  out["name"] = display_name(guest);
  out["status"] = guest.spec.status == "paused" ? "running" : guest.spec.status;
  out["cpu"] = cpu;
  out["cpus"] = guest.spec.cores;
  out["maxmem"] = maxmem;
  out["mem"] = running ? static_cast<int64_t>(static_cast<double>(maxmem) * (0.25 + cpu)) : 0;
  out["maxdisk"] = maxdisk;
  // qemu cannot see inside its disks; lxc reports the root filesystem usage.
  out["disk"] = guest.spec.type == "lxc" && running ? maxdisk / 3 : 0;
  out["uptime"] = guest_uptime(guest, now);
  out["netin"] = running ? int64_t{guest.spec.vmid} * 4096 : 0;
  out["netout"] = running ? int64_t{guest.spec.vmid} * 1024 : 0;
  out["diskread"] = running ? int64_t{guest.spec.vmid} * 65536 : 0;
  out["diskwrite"] = running ? int64_t{guest.spec.vmid} * 16384 : 0;
  out["template"] = guest.spec.template_ ? 1 : 0;
  if (!guest.spec.tags.empty()) out["tags"] = join(guest.spec.tags, ";");
  if (guest.lock) out["lock"] = *guest.lock;
  if (running) out["pid"] = 10000 + guest.spec.vmid % 50000;
  return out;
}

NodeUsage node_usage(const ClusterState& state, const NodeState& node) {
  NodeUsage usage{2 * kGiB, 0.02};
  for (const auto& [vmid, guest] : state.guests()) {
    if (guest.spec.node != node.spec.name || !guest.running()) continue;
    usage.mem += guest_maxmem(guest) / 2;
    usage.cpu += ClusterState::cpu_fraction(vmid) * guest.spec.cores / std::max(1, node.spec.cpus);
  }
  usage.mem = std::min(usage.mem, node.spec.memory_bytes);
  usage.cpu = std::min(usage.cpu, 1.0);
  return usage;
}

json::object node_entry(const ClusterState& state, const NodeState& node, int64_t now) {
  json::object out{{"node", node.spec.name},
                   {"status", node.spec.status},
                   {"id", "node/" + node.spec.name},
                   {"type", "node"}};
  if (node.spec.status != "online") return out;  // offline nodes report no figures
  const NodeUsage usage = node_usage(state, node);
  out["cpu"] = usage.cpu;
  out["maxcpu"] = node.spec.cpus;
  out["mem"] = usage.mem;
  out["maxmem"] = node.spec.memory_bytes;
  out["disk"] = node.spec.disk_bytes / 5;
  out["maxdisk"] = node.spec.disk_bytes;
  out["uptime"] = now - node.booted_at;
  out["level"] = "";
  out["ssl_fingerprint"] =
      "5A:3C:11:8E:0F:22:47:91:AB:CD:EF:01:23:45:67:89:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:"
      "56:78";
  return out;
}

bool has_content(const StorageScenario& storage, std::string_view content) {
  return std::find(storage.content.begin(), storage.content.end(), content) !=
         storage.content.end();
}

bool disk_visible_on(const StorageScenario& storage, const GuestState& guest,
                     std::string_view node) {
  return storage.shared || guest.spec.node == node;
}

int64_t storage_used(const ClusterState& state, const StorageScenario& storage,
                     std::string_view node) {
  return state.storage_ledger().used(storage, node);
}

// The answer to a change of `guest`: the UPID of the task Proxmox runs for it.
ApiResult guest_task(ClusterState& state, const GuestState& guest, std::string_view task_type,
                     const ApiCall& call, std::string exitstatus) {
  return ApiResult::ok(state
                           .start_task(guest.spec.node, task_type, std::to_string(guest.spec.vmid),
                                       call.user, std::move(exitstatus))
                           .upid);
}

}  // namespace pbx::proxmox
