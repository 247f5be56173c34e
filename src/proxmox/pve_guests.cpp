// /nodes/{node}/qemu and /nodes/{node}/lxc: the guest life cycle (create, config, status
// actions, destroy) and snapshots.

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>

#include "proxmox/guest_disks.hpp"
#include "proxmox/handler_support.hpp"
#include "proxmox/pve_guest_config.hpp"
#include "proxmox/pve_support.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using Verb = http::Verb;

std::vector<Snapshot>::iterator snapshot_named(GuestState& guest, std::string_view name) {
  return std::find_if(guest.spec.snapshots.begin(), guest.spec.snapshots.end(),
                      [&](const Snapshot& snapshot) { return snapshot.name == name; });
}

struct GuestSnapshot {
  GuestState* guest = nullptr;
  std::vector<Snapshot>::iterator snapshot;
};

// The guest named by {node}/{vmid} and its snapshot {snapname}, or the answer explaining why not.
auto find_snapshot(ClusterState& state, const ApiCall& call, std::string_view type)
    -> common::Result<GuestSnapshot, ApiResult> {
  const auto lookup = find_guest(state, call, type);
  if (!lookup) return common::Failure{lookup.error()};
  GuestState* guest = *lookup;
  const std::string name = call.text("snapname");
  const auto snapshot = snapshot_named(*guest, name);
  if (snapshot == guest->spec.snapshots.end()) {
    return common::Failure{
        ApiResult::error(500, fmt::format("snapshot '{}' does not exist", name))};
  }
  return GuestSnapshot{guest, snapshot};
}

// The paths and task prefix of one guest type.
struct GuestKind {
  std::string type;  // "qemu" | "lxc"
  bool lxc = false;
  std::string base;    // "/nodes/{node}/qemu"
  std::string path;    // "/nodes/{node}/qemu/{vmid}"
  std::string prefix;  // task types: "qm..." | "vz..."
};

GuestKind guest_kind(const std::string& type) {
  const bool lxc = type == "lxc";
  const std::string base = "/nodes/{node}/" + type;
  return GuestKind{type, lxc, base, base + "/{vmid}", lxc ? "vz" : "qm"};
}

// POST /nodes/{node}/{qemu,lxc}: a new stopped guest with the config given (an LXC one with
// Proxmox's default root file system), started when asked; the create task's UPID.
ApiResult create_guest(ClusterState& state, const ApiCall& call, const std::string& type,
                       const std::string& prefix, bool lxc) {
  const std::string node = call.text("node");
  if (state.find_node(node) == nullptr) return no_such_node(node);
  const int64_t vmid = call.integer("vmid").value_or(0);
  if (const auto* existing = state.find_guest(static_cast<int>(vmid))) {
    return ApiResult::error(
        500, fmt::format("unable to create {} {} - {} {} already exists on node '{}'",
                         lxc ? "CT" : "VM", vmid, lxc ? "CT" : "VM", vmid, existing->spec.node));
  }
  GuestState guest;
  guest.spec.vmid = static_cast<int>(vmid);
  guest.spec.type = type;
  guest.spec.node = node;
  guest.spec.status = "stopped";
  guest.spec.memory_mb = 512;
  guest.spec.disk_gb = lxc ? 4 : 0;
  guest.spec.unprivileged = false;
  guest.spec.nics.clear();
  if (auto checked = apply_config(state, guest, call); !checked) return checked.error();
  if (lxc && disk_at(guest, "rootfs") == nullptr) {
    // Proxmox's default root file system: 4 GiB on the storage asked for.
    guest.spec.disks.push_back(DiskScenario{"rootfs", call.text("storage"), 4, "", ""});
    state.complete_guest(guest);
  }
  if (call.has("pool")) {
    guest.spec.pool = call.text("pool");
    state.pools().emplace(guest.spec.pool, "");
  }
  if (call.flag("start")) {
    guest.spec.status = "running";
    guest.started_at = ClusterState::now_seconds();
  }
  state.guests().emplace(guest.spec.vmid, std::move(guest));
  state.touch();
  return ApiResult::ok(
      state.start_task(node, prefix + "create", std::to_string(vmid), call.user).upid);
}

void add_guest_life_cycle(HandlerTable& table, const GuestKind& kind) {
  const bool lxc = kind.lxc;
  const std::string& type = kind.type;
  const std::string& base = kind.base;
  const std::string& guest_path = kind.path;
  const std::string& prefix = kind.prefix;

  table.add(Verb::get, base,
            reader(
                [type](const ClusterState& state, const ApiCall& call) -> ApiResult {
                  const std::string node = call.text("node");
                  if (state.find_node(node) == nullptr) return no_such_node(node);
                  const int64_t now = ClusterState::now_seconds();
                  json::array out;
                  for (const auto& [vmid, guest] : state.guests()) {
                    if (guest.spec.node != node || guest.spec.type != type) continue;
                    json::object entry = guest_metrics(guest, now);
                    if (type == "lxc") entry["type"] = "lxc";
                    out.push_back(std::move(entry));
                  }
                  return ApiResult::ok(std::move(out));
                },
                true));

  table.add(Verb::post, base,
            writer([type, prefix, lxc](ClusterState& state, const ApiCall& call) -> ApiResult {
              return create_guest(state, call, type, prefix, lxc);
            }));

  table.add(Verb::delete_, guest_path,
            writer([type, prefix](ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto lookup = find_guest(state, call, type);
              if (!lookup) return lookup.error();
              auto* guest = *lookup;
              if (guest->running()) {
                return ApiResult::error(
                    500, fmt::format("{} {} is running - destroy failed", guest_kind_word(*guest),
                                     guest->spec.vmid));
              }
              const std::string node = guest->spec.node;
              const int vmid = guest->spec.vmid;
              state.remove_guest(vmid);
              return ApiResult::ok(
                  state.start_task(node, prefix + "destroy", std::to_string(vmid), call.user).upid);
            }));

  table.add(Verb::get, guest_path + "/config",
            reader([type](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto lookup = find_guest(state, call, type);
              if (!lookup) return lookup.error();
              auto* guest = *lookup;
              return ApiResult::ok(guest_config(state, *guest));
            }));

  const auto update_config = [type, prefix](bool async) {
    return writer([type, prefix, async](ClusterState& state, const ApiCall& call) -> ApiResult {
      const auto lookup = find_guest(state, call, type);
      if (!lookup) return lookup.error();
      auto* guest = *lookup;
      if (call.has("digest") && call.text("digest") != config_digest(state, *guest)) {
        return ApiResult::error(
            500, "detected modified configuration - file changed by other user? Try again.");
      }
      if (auto checked = apply_config(state, *guest, call); !checked) return checked.error();
      state.touch();
      if (!async) return ApiResult::ok();
      return guest_task(state, *guest, prefix + "config", call);
    });
  };
  table.add(Verb::put, guest_path + "/config", update_config(false));
  // Only QEMU has the asynchronous variant; a container's config is written synchronously.
  if (!lxc) table.add(Verb::post, guest_path + "/config", update_config(true));
}

// Grows a disk ("+10G" or the new size "50G"); shrinking is refused as Proxmox does.
void add_guest_resize(HandlerTable& table, const GuestKind& kind) {
  const std::string& type = kind.type;
  const std::string& prefix = kind.prefix;
  table.add(Verb::put, kind.path + "/resize",
            writer([type, prefix](ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto lookup = find_guest(state, call, type);
              if (!lookup) return lookup.error();
              auto* found = *lookup;
              const std::string key = call.text("disk");
              auto& disks = found->spec.disks;
              const auto disk = std::find_if(disks.begin(), disks.end(),
                                             [&](const DiskScenario& d) { return d.key == key; });
              if (disk == disks.end()) {
                return ApiResult::error(500, fmt::format("disk '{}' does not exist", key));
              }
              const std::string size = call.text("size");
              const int64_t amount = size_in_gb(size.starts_with('+') ? size.substr(1) : size, 0);
              const int64_t wanted = size.starts_with('+') ? disk->size_gb + amount : amount;
              if (wanted < disk->size_gb) {
                return ApiResult::error(500, "shrinking disks is not supported");
              }
              disk->size_gb = wanted;
              state.complete_guest(*found);
              state.touch();
              return guest_task(state, *found, prefix + "resize", call);
            }));
}

// status/current and the status actions.
void add_guest_status(HandlerTable& table, const GuestKind& kind, const Release& release) {
  const std::string& type = kind.type;
  const std::string& guest_path = kind.path;
  const std::string& prefix = kind.prefix;
  table.add(Verb::get, guest_path + "/status/current",
            reader([type, release](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto lookup = find_guest(state, call, type);
              if (!lookup) return lookup.error();
              auto* guest = *lookup;
              json::object out = guest_metrics(*guest, ClusterState::now_seconds());
              out["ha"] = guest_ha_status(state, *guest);
              if (type == "qemu") {
                out["qmpstatus"] = guest->spec.status;
                out["agent"] = guest->spec.agent ? 1 : 0;
                if (guest->running()) out["running-qemu"] = release.qemu;
              } else {
                out["type"] = "lxc";
                out["maxswap"] = 512 * kMiB;
                out["swap"] = 0;
              }
              return ApiResult::ok(std::move(out));
            }));

  // status/start|stop|shutdown|reboot|suspend|resume: the change applies at once; the task
  // that reports it finishes shortly after, as a client polling the UPID expects.
  struct Action {
    const char* name;
    const char* task;
  };
  for (const Action action :
       {Action{"start", "start"}, Action{"stop", "stop"}, Action{"shutdown", "shutdown"},
        Action{"reboot", "reboot"}, Action{"suspend", "suspend"}, Action{"resume", "resume"}}) {
    const std::string name = action.name;
    const std::string task_type = prefix + action.task;
    table.add(
        Verb::post, guest_path + "/status/" + name,
        writer([type, name, task_type](ClusterState& state, const ApiCall& call) -> ApiResult {
          const auto lookup = find_guest(state, call, type);
          if (!lookup) return lookup.error();
          auto* guest = *lookup;
          const std::string word = guest_kind_word(*guest);
          const int vmid = guest->spec.vmid;
          std::string exitstatus = "OK";
          if (name == "start") {
            if (guest->spec.template_) {
              return ApiResult::error(500, "you can't start a vm if it's a template");
            }
            if (guest->running()) {
              exitstatus = fmt::format("{} {} already running", word, vmid);
            } else {
              guest->spec.status = "running";
              guest->started_at = ClusterState::now_seconds();
            }
          } else if (!guest->running()) {
            if (name == "reboot" || name == "suspend" || name == "resume") {
              return ApiResult::error(500, fmt::format("{} {} not running", word, vmid));
            }
            exitstatus = fmt::format("{} {} not running", word, vmid);
          } else if (name == "stop" || name == "shutdown") {
            guest->spec.status = "stopped";
            guest->started_at = 0;
          } else if (name == "reboot") {
            guest->spec.status = "running";
            guest->started_at = ClusterState::now_seconds();
          } else if (name == "suspend") {
            guest->spec.status = "paused";
          } else if (name == "resume") {
            guest->spec.status = "running";
          }
          state.touch();
          return guest_task(state, *guest, task_type, call, std::move(exitstatus));
        }));
  }
}

void add_guest_snapshots(HandlerTable& table, const GuestKind& kind) {
  const std::string& type = kind.type;
  const std::string& guest_path = kind.path;
  const std::string& prefix = kind.prefix;
  table.add(Verb::get, guest_path + "/snapshot",
            reader([type](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto lookup = find_guest(state, call, type);
              if (!lookup) return lookup.error();
              auto* guest = *lookup;
              json::array out;
              for (const auto& snapshot : guest->spec.snapshots) {
                json::object entry{{"name", snapshot.name},
                                   {"description", snapshot.description},
                                   {"snaptime", snapshot.snaptime}};
                if (!snapshot.parent.empty()) entry["parent"] = snapshot.parent;
                if (type == "qemu") entry["vmstate"] = snapshot.vmstate ? 1 : 0;
                out.push_back(std::move(entry));
              }
              json::object current{{"name", "current"},
                                   {"description", "You are here!"},
                                   {"running", guest->running() ? 1 : 0}};
              if (!guest->snapshot_parent.empty()) current["parent"] = guest->snapshot_parent;
              out.push_back(std::move(current));
              return ApiResult::ok(std::move(out));
            }));

  table.add(Verb::post, guest_path + "/snapshot",
            writer([type, prefix](ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto lookup = find_guest(state, call, type);
              if (!lookup) return lookup.error();
              auto* guest = *lookup;
              const std::string name = call.text("snapname");
              if (name == "current")
                return ApiResult::error(500, "invalid snapshot name 'current'");
              if (snapshot_named(*guest, name) != guest->spec.snapshots.end())
                return ApiResult::error(500, fmt::format("snapshot name '{}' already used", name));
              guest->spec.snapshots.push_back(
                  Snapshot{name, call.text("description"), guest->snapshot_parent,
                           ClusterState::now_seconds(), call.flag("vmstate") && guest->running()});
              guest->snapshot_parent = name;
              state.touch();
              return guest_task(state, *guest, prefix + "snapshot", call);
            }));

  table.add(Verb::delete_, guest_path + "/snapshot/{snapname}",
            writer([type, prefix](ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto lookup = find_snapshot(state, call, type);
              if (!lookup) return lookup.error();
              const GuestSnapshot& found = *lookup;
              GuestState* guest = found.guest;
              auto& snapshots = guest->spec.snapshots;
              const std::string name = found.snapshot->name;
              const std::string parent = found.snapshot->parent;
              snapshots.erase(found.snapshot);
              for (auto& snapshot : snapshots) {
                if (snapshot.parent == name) snapshot.parent = parent;
              }
              if (guest->snapshot_parent == name) guest->snapshot_parent = parent;
              state.touch();
              return guest_task(state, *guest, prefix + "delsnapshot", call);
            }));

  table.add(Verb::post, guest_path + "/snapshot/{snapname}/rollback",
            writer([type, prefix](ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto lookup = find_snapshot(state, call, type);
              if (!lookup) return lookup.error();
              const GuestSnapshot& found = *lookup;
              GuestState* guest = found.guest;
              guest->snapshot_parent = found.snapshot->name;
              if (!found.snapshot->vmstate) {
                guest->spec.status = "stopped";
                guest->started_at = 0;
              }
              state.touch();
              return guest_task(state, *guest, prefix + "rollback", call);
            }));
}

}  // namespace

void add_guest_handlers(HandlerTable& table, const std::string& type, const Release& release) {
  const GuestKind kind = guest_kind(type);
  add_guest_life_cycle(table, kind);
  add_guest_resize(table, kind);
  add_guest_status(table, kind, release);
  add_guest_snapshots(table, kind);
  add_guest_clone_handlers(table, type);
  add_guest_disk_handlers(table, type);
}

}  // namespace pbx::proxmox
