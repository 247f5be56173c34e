// POST /nodes/{node}/{qemu|lxc}/{vmid}/clone and .../template: a clone is a new guest of the
// state (its config copied, new MACs, new volumes for a full clone, volumes on the template's
// base volumes for a linked one) reported by a qmclone/vzclone task; a template's disks become
// base volumes that linked clones build on.

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>

#include "proxmox/guest_disks.hpp"
#include "proxmox/pve_support.hpp"

namespace pbx::proxmox {
namespace {

using Verb = http::Verb;

// What a clone call asks for, read once.
struct CloneRequest {
  int newid = 0;
  std::string target;  // the node the clone goes to; empty: the source's node
  std::string storage;
  std::string pool;
  std::string snapname;
  bool full = true;
};

bool is_lvm_thin(const ClusterState& state, std::string_view storage_id) {
  const StorageScenario* storage = state.find_storage(storage_id);
  return storage != nullptr && storage->type == "lvmthin";
}

// The checks Proxmox makes before it forks the clone worker, in its order; the first failure.
Checked check_clone(const ClusterState& state, const GuestState& source,
                    const CloneRequest& request, const ApiCall& call) {
  const bool lxc = source.spec.type == "lxc";
  const std::string word = guest_kind_word(source);
  if (!request.pool.empty() && !state.pools().contains(request.pool)) {
    return common::Failure{
        ApiResult::error(500, fmt::format("pool '{}' does not exist", request.pool))};
  }
  if (!request.target.empty() && state.find_node(request.target) == nullptr) {
    return common::Failure{
        ApiResult::error(500, fmt::format("no such cluster node '{}'", request.target))};
  }
  if (!request.storage.empty()) {
    const StorageScenario* storage = state.find_storage(request.storage);
    if (storage == nullptr) {
      return common::Failure{
          ApiResult::error(500, fmt::format("storage '{}' does not exist", request.storage))};
    }
    for (const std::string& node : {source.spec.node, request.target}) {
      if (!node.empty() && !state.storage_on_node(*storage, node)) {
        return common::Failure{ApiResult::error(
            500, fmt::format("storage '{}' is not available on node '{}'", request.storage, node))};
      }
    }
    if (!request.target.empty() && !storage->shared) {
      return common::Failure{ApiResult::error(
          500, fmt::format("can't clone to non-shared storage '{}'", request.storage))};
    }
  }
  if (source.lock)
    return common::Failure{
        ApiResult::error(500, fmt::format("{} is locked ({})", word, *source.lock))};
  if (!request.snapname.empty() &&
      std::none_of(source.spec.snapshots.begin(), source.spec.snapshots.end(),
                   [&](const Snapshot& snapshot) { return snapshot.name == request.snapname; })) {
    return common::Failure{
        ApiResult::error(500, fmt::format("snapshot '{}' does not exist", request.snapname))};
  }
  if (!request.full && !request.storage.empty()) {
    return common::Failure{
        ApiResult::error(500, "parameter 'storage' not allowed for linked clones")};
  }
  if (!request.full && call.has("format")) {
    return common::Failure{
        ApiResult::error(500, "parameter 'format' not allowed for linked clones")};
  }
  if (const GuestState* existing = state.find_guest(request.newid)) {
    if (!lxc) {
      return common::Failure{ApiResult::error(
          500, fmt::format("unable to create VM {}: config file already exists", request.newid))};
    }
    return common::Failure{ApiResult::error(
        500, fmt::format("{} {} already exists on node '{}'", guest_kind_word(*existing),
                         request.newid, existing->spec.node))};
  }
  bool shared = true;
  for (const auto& disk : source.spec.disks) {
    if (is_unused_key(disk.key)) continue;
    // A linked clone needs a base volume (a template's) or a snapshot to build on.
    if (!request.full && !source.spec.template_ && request.snapname.empty()) {
      if (lxc) {
        return common::Failure{ApiResult::error(
            500, fmt::format("Linked clone feature for '{}' is not available", volume_id(disk)))};
      }
      return common::Failure{ApiResult::error(
          500, fmt::format("Linked clone feature is not supported for drive '{}'", disk.key))};
    }
    const StorageScenario* storage =
        state.find_storage(request.storage.empty() ? disk.storage : request.storage);
    if (storage == nullptr || !storage->shared) shared = false;
  }
  if (lxc && request.full && source.running() && request.snapname.empty()) {
    return common::Failure{
        ApiResult::error(500, "Cannot do full clones on a running container without snapshots")};
  }
  if (!request.target.empty() && !shared) {
    return common::Failure{
        ApiResult::error(500, fmt::format("can't clone {} to node '{}' ({} uses local storage)",
                                          word, request.target, word))};
  }
  return {};
}

// The new guest: the source's config without its snapshots, unused volumes, template flag and
// MACs; each disk a new volume (full) or one on the source's base volume (linked).
GuestState cloned_guest(const ClusterState& state, const GuestState& source,
                        const CloneRequest& request, const ApiCall& call) {
  const bool lxc = source.spec.type == "lxc";
  GuestState clone;
  clone.spec = source.spec;
  clone.extra_config = source.extra_config;
  auto& spec = clone.spec;
  spec.vmid = request.newid;
  spec.node = request.target.empty() ? source.spec.node : request.target;
  spec.status = "stopped";
  spec.template_ = false;
  spec.snapshots.clear();
  spec.pool = request.pool;
  const std::string name_key = lxc ? "hostname" : "name";
  if (call.has(name_key)) {
    spec.name = call.text(name_key);
  } else if (!lxc) {
    spec.name = "Copy-of-VM-" +
                (source.spec.name.empty() ? std::to_string(source.spec.vmid) : source.spec.name);
  }
  if (call.has("description")) spec.description = call.text("description");
  for (auto& nic : spec.nics)
    nic.mac.clear();  // always a new MAC
  std::erase_if(spec.disks, [](const DiskScenario& disk) { return is_unused_key(disk.key); });
  for (auto& disk : spec.disks) {
    if (request.full && !request.storage.empty()) disk.storage = request.storage;
    disk.volume.clear();
  }
  state.complete_guest(clone);  // MACs and the new volumes' names
  if (!request.full) {
    // LVM-thin names a thin snapshot like any volume; other storages keep the base in the name.
    for (size_t i = 0; i < spec.disks.size(); ++i) {
      DiskScenario& disk = spec.disks[i];
      if (is_lvm_thin(state, disk.storage)) continue;
      const DiskScenario* base = disk_at(source, disk.key);
      if (base != nullptr) disk.volume = base->volume + "/" + disk.volume;
    }
  }
  return clone;
}

HandlerSpec clone_handler(const std::string& type) {
  return writer([type](ClusterState& state, const ApiCall& call) -> ApiResult {
    const auto lookup = find_guest(state, call, type);
    if (!lookup) return lookup.error();
    auto* source = *lookup;
    CloneRequest request;
    request.newid = static_cast<int>(call.integer("newid").value_or(0));
    request.target = call.text("target");
    if (request.target == source->spec.node || request.target == "localhost")
      request.target.clear();
    request.storage = call.text("storage");
    request.pool = call.text("pool");
    request.snapname = call.text("snapname");
    request.full = call.has("full") ? call.flag("full") : !source->spec.template_;
    if (auto checked = check_clone(state, *source, request, call); !checked) return checked.error();
    GuestState clone = cloned_guest(state, *source, request, call);
    const std::string node = source->spec.node;
    const int vmid = source->spec.vmid;
    state.guests().emplace(clone.spec.vmid, std::move(clone));
    state.touch();
    // The task is the source's (qmclone:100), on the node the call went to.
    return ApiResult::ok(state
                             .start_task(node, type == "lxc" ? "vzclone" : "qmclone",
                                         std::to_string(vmid), call.user)
                             .upid);
  });
}

// POST .../template: the guest becomes a template and its disks base volumes. Answers null while
// the qmtemplate/vztemplate task runs, as Proxmox does.
HandlerSpec template_handler(const std::string& type) {
  return writer([type](ClusterState& state, const ApiCall& call) -> ApiResult {
    const auto lookup = find_guest(state, call, type);
    if (!lookup) return lookup.error();
    auto* guest = *lookup;
    const std::string word = guest_kind_word(*guest);
    if (guest->lock)
      return ApiResult::error(500, fmt::format("{} is locked ({})", word, *guest->lock));
    const std::string only = call.text("disk");  // qemu: convert just this disk
    if (guest->spec.template_ && only.empty()) {
      return ApiResult::error(500, "you can't convert a template to a template");
    }
    if (guest->running()) {
      return ApiResult::error(500, type == "lxc"
                                       ? "you can't convert a CT to template if the CT is running"
                                       : "you can't convert a VM to template if VM is running");
    }
    for (auto& disk : guest->spec.disks) {
      if (is_unused_key(disk.key) || (!only.empty() && disk.key != only)) continue;
      disk.volume = base_volume_name(disk.volume);
    }
    guest->spec.template_ = true;
    state.touch();
    (void)state.start_task(guest->spec.node, type == "lxc" ? "vztemplate" : "qmtemplate",
                           std::to_string(guest->spec.vmid), call.user);
    return ApiResult::ok();
  });
}

}  // namespace

void add_guest_clone_handlers(HandlerTable& table, const std::string& type) {
  const std::string path = "/nodes/{node}/" + type + "/{vmid}";
  table.add(Verb::post, path + "/clone", clone_handler(type));
  table.add(Verb::post, path + "/template", template_handler(type));
}

}  // namespace pbx::proxmox
