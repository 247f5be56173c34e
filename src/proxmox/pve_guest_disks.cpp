// The disk operations of /nodes/{node}/{qemu|lxc}/{vmid} beside config writes: unlink (qemu),
// move_disk (qemu) and move_volume (lxc), to another storage or to another guest. Volumes live
// in the guests' disks (guest_disks.hpp), so storage content and usage follow every move.

#include <fmt/format.h>

#include <boost/json.hpp>

#include "proxmox/guest_disks.hpp"
#include "proxmox/handler_support.hpp"
#include "proxmox/pve_guest_config.hpp"
#include "proxmox/pve_support.hpp"

namespace pbx::proxmox {
namespace {

using Verb = http::Verb;

ApiResult parameter_problem() {
  return ApiResult::error(400, "Parameter verification failed.");
}

Checked check_unlocked(const GuestState& guest) {
  if (!guest.lock) return {};
  return common::Failure{
      ApiResult::error(500, fmt::format("{} is locked ({})", guest_kind_word(guest), *guest.lock))};
}

// The names one guest type gives the move's parameters and answers.
struct MoveWords {
  std::string key_parameter;  // "disk" | "volume"
  std::string target_key;     // "target-disk" | "target-volume"
  std::string noun;           // "disk" | "volume"
  std::string task;           // "qmmove" | "move_volume"
};

MoveWords move_words(bool lxc) {
  if (lxc) return {"volume", "target-volume", "volume", "move_volume"};
  return {"disk", "target-disk", "disk", "qmmove"};
}

// Moves the volume of `key` to `storage_id`: a new volume there; the old one stays as unusedN
// unless `remove` frees it. A template's moved disk becomes a base volume again.
Checked move_to_storage(ClusterState& state, GuestState& guest, const std::string& key,
                        const std::string& storage_id, bool remove, const MoveWords& words) {
  const bool lxc = guest.spec.type == "lxc";
  if (lxc && guest.running()) {
    return common::Failure{ApiResult::error(500, "cannot move volumes of a running container")};
  }
  if (is_unused_key(key)) {
    return common::Failure{ApiResult::error(
        500, fmt::format("cannot move {} '{}', only configured {}s can be moved to another storage",
                         words.noun, key, words.noun))};
  }
  const StorageScenario* storage = state.find_storage(storage_id);
  if (storage == nullptr || !state.storage_on_node(*storage, guest.spec.node)) {
    return common::Failure{
        ApiResult::error(500, fmt::format("storage '{}' does not exist", storage_id))};
  }
  DiskScenario* disk = disk_at(guest, key);
  if (disk == nullptr)
    return common::Failure{ApiResult::error(500, fmt::format("disk '{}' does not exist", key))};
  if (disk->storage == storage_id) {
    return common::Failure{
        ApiResult::error(500, "you can't move to the same storage with same format")};
  }
  if (remove && !guest.spec.snapshots.empty()) {
    return common::Failure{ApiResult::error(
        500, fmt::format("you can't move a {} with snapshots and delete the source", words.noun))};
  }
  DiskScenario moved = *disk;
  moved.storage = storage_id;
  moved.volume = free_volume_name(guest, storage_id, guest.spec.template_ ? "base" : "vm");
  if (remove) {
    free_disk(guest, key);
  } else {
    detach_disk(guest, key);
  }
  guest.spec.disks.push_back(std::move(moved));
  return {};
}

// Hands the volume of `key` to `target` (same node) under `target_key`, renamed for its owner.
Checked reassign(GuestState& source, GuestState& target, const std::string& key,
                 const std::string& target_key, const MoveWords& words) {
  const std::string word = guest_kind_word(source);
  if (source.spec.node != target.spec.node) {
    return common::Failure{
        ApiResult::error(500, fmt::format("Both {}s need to be on the same node ({} != {})", word,
                                          source.spec.node, target.spec.node))};
  }
  if (auto checked = check_unlocked(source); !checked) return checked;
  if (auto checked = check_unlocked(target); !checked) return checked;
  if (source.spec.template_ || target.spec.template_) {
    return common::Failure{ApiResult::error(
        500, fmt::format("Can't move {}s from or to template {}s", words.noun, word))};
  }
  const DiskScenario* disk = disk_at(source, key);
  if (disk == nullptr) {
    return common::Failure{ApiResult::error(
        500, fmt::format("Disk '{}' for {} '{}' does not exist", key, word, source.spec.vmid))};
  }
  if (disk_at(target, target_key) != nullptr) {
    return common::Failure{
        ApiResult::error(500, fmt::format("Target {} key '{}' is already in use for {} '{}'",
                                          words.noun, target_key, word, target.spec.vmid))};
  }
  if (source.running() && !is_unused_key(key)) {
    return common::Failure{ApiResult::error(
        500,
        fmt::format("Cannot move {} to another {} while the source {} is running - detach first",
                    words.noun, word, word))};
  }
  DiskScenario moved = *disk;
  moved.key = target_key;
  moved.volume = free_volume_name(target, moved.storage);
  if (is_unused_key(target_key)) {
    moved.options.clear();
    moved.mountpoint.clear();
  }
  free_disk(source, key);
  target.spec.disks.push_back(std::move(moved));
  return {};
}

HandlerSpec move_handler(const std::string& type) {
  return writer([type](ClusterState& state, const ApiCall& call) -> ApiResult {
    const MoveWords words = move_words(type == "lxc");
    const auto lookup = find_guest(state, call, type);
    if (!lookup) return lookup.error();
    auto* guest = *lookup;
    if (auto checked = check_unlocked(*guest); !checked) return checked.error();
    if (call.has("digest") && call.text("digest") != config_digest(state, *guest)) {
      return ApiResult::error(
          500, "detected modified configuration - file changed by other user? Try again.");
    }
    const std::string key = call.text(words.key_parameter);
    const std::string storage = call.text("storage");
    const auto target_vmid = call.integer("target-vmid");
    // Exactly one of the two: another storage, or another guest.
    if (target_vmid.has_value() == !storage.empty()) return parameter_problem();
    const int vmid = guest->spec.vmid;
    std::string task_id = std::to_string(vmid);
    if (target_vmid) {
      if (*target_vmid == vmid) return parameter_problem();
      GuestState* target = state.find_guest(static_cast<int>(*target_vmid));
      if (target == nullptr || target->spec.type != type) {
        return ApiResult::error(
            500, fmt::format("could not find target {} {}", guest_kind_word(*guest), *target_vmid));
      }
      const std::string target_key = call.text(words.target_key, key);
      if (auto checked = reassign(*guest, *target, key, target_key, words); !checked)
        return checked.error();
      state.complete_guest(*target);
      task_id = fmt::format("{}-{}>{}-{}", vmid, key, *target_vmid, target_key);
    } else if (auto moved =
                   move_to_storage(state, *guest, key, storage, call.flag("delete"), words);
               !moved) {
      return moved.error();
    }
    state.complete_guest(*guest);
    state.touch();
    return ApiResult::ok(state.start_task(guest->spec.node, words.task, task_id, call.user).upid);
  });
}

}  // namespace

void add_guest_disk_handlers(HandlerTable& table, const std::string& type) {
  const std::string path = "/nodes/{node}/" + type + "/{vmid}";
  if (type == "lxc") {
    table.add(Verb::post, path + "/move_volume", move_handler(type));
    return;
  }
  table.add(Verb::post, path + "/move_disk", move_handler(type));
  // unlink: `delete` of the listed keys; synchronous, answers null.
  table.add(Verb::put, path + "/unlink",
            writer([type](ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto lookup = find_guest(state, call, type);
              if (!lookup) return lookup.error();
              auto* guest = *lookup;
              if (auto checked = check_unlocked(*guest); !checked) return checked.error();
              delete_config_keys(state, *guest, call.text("idlist"), call.flag("force"));
              state.touch();
              return ApiResult::ok();
            }));
}

}  // namespace pbx::proxmox
