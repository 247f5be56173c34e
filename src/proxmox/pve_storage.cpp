// /storage (the storage configuration) and /nodes/{node}/storage (status and content per node).

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>

#include "proxmox/handler_support.hpp"
#include "proxmox/pve_support.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using Verb = http::Verb;

json::object storage_config(const StorageScenario& storage) {
  json::object out{{"storage", storage.id},
                   {"type", storage.type},
                   {"content", join(storage.content, ",")},
                   {"shared", storage.shared ? 1 : 0},
                   {"digest", "4f1c2b7e9d0a3c5b8e6f1a2d3c4b5a697e8d9c0b"}};
  if (!storage.nodes.empty()) out["nodes"] = join(storage.nodes, ",");
  return out;
}

json::array storage_content(const ClusterState& state, const StorageScenario& storage,
                            std::string_view node, const ApiCall& call) {
  const std::string content_filter = call.text("content");
  const auto vmid_filter = call.integer("vmid");
  const auto wanted = [&](std::string_view content, int vmid) {
    return (content_filter.empty() || content_filter == content) &&
           (!vmid_filter || *vmid_filter == vmid);
  };
  json::array out;
  for (const auto& backup : state.backups()) {
    if (backup.storage != storage.id) continue;
    if (!storage.shared && !backup.node.empty() && backup.node != node) continue;
    if (!wanted("backup", backup.vmid)) continue;
    const auto* guest = state.find_guest(backup.vmid);
    json::object entry{
        {"volid", backup.volid},
        {"content", "backup"},
        {"format", backup.format},
        {"size", backup.size},
        {"ctime", backup.ctime},
        {"vmid", backup.vmid},
        {"subtype", guest ? guest->spec.type
                          : (backup.format.find("tar") != std::string::npos ? "lxc" : "qemu")}};
    if (!backup.notes.empty()) entry["notes"] = backup.notes;
    if (backup.protected_) entry["protected"] = 1;
    if (!backup.verification.empty()) {
      entry["verification"] = json::object{
          {"state", backup.verification},
          {"upid", fmt::format("UPID:{}:00001234:00A00000:{:08X}:verify:{}:root@pam:", node,
                               backup.ctime + 600, storage.id)}};
    }
    out.push_back(std::move(entry));
  }
  for (const auto& [vmid, guest] : state.guests()) {
    if (!disk_visible_on(storage, guest, node)) continue;
    const std::string content = guest.spec.type == "lxc" ? "rootdir" : "images";
    if (!wanted(content, vmid) && !(content_filter == "images" && wanted("images", vmid))) continue;
    for (const auto& disk : guest.spec.disks) {
      if (disk.storage != storage.id) continue;
      const int64_t size = disk.size_gb * kGiB;
      out.push_back(json::object{{"volid", disk.storage + ":" + disk.volume},
                                 {"content", content},
                                 {"format", "raw"},
                                 {"size", size},
                                 {"used", size / 2},
                                 {"vmid", vmid}});
    }
  }
  for (const auto& volume : state.volumes()) {
    if (volume.storage != storage.id) continue;
    if (!storage.shared && !volume.node.empty() && volume.node != node) continue;
    if (!wanted(volume.content, volume.vmid)) continue;
    json::object entry{{"volid", volume.volid},
                       {"content", volume.content},
                       {"format", volume.format},
                       {"size", volume.size},
                       {"ctime", volume.ctime}};
    if (volume.vmid != 0) entry["vmid"] = volume.vmid;
    out.push_back(std::move(entry));
  }
  return out;
}

// /storage: the storage configuration.
void add_storage_config_handlers(HandlerTable& table) {
  table.add(Verb::get, "/storage",
            reader(
                [](const ClusterState& state, const ApiCall& call) {
                  const std::string type = call.text("type");
                  json::array out;
                  for (const auto& storage : state.storages()) {
                    if (type.empty() || storage.type == type)
                      out.push_back(storage_config(storage));
                  }
                  return ApiResult::ok(std::move(out));
                },
                true));
  table.add(Verb::get, "/storage/{storage}",
            reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto* storage = state.find_storage(call.text("storage"));
              if (storage == nullptr) {
                return ApiResult::error(
                    500, fmt::format("storage '{}' does not exist", call.text("storage")));
              }
              return ApiResult::ok(storage_config(*storage));
            }));
  table.add(Verb::post, "/storage",
            writer([](ClusterState& state, const ApiCall& call) -> ApiResult {
              const std::string id = call.text("storage");
              if (state.find_storage(id) != nullptr) {
                return ApiResult::error(
                    500, fmt::format("create storage failed: storage ID '{}' already defined", id));
              }
              StorageScenario storage;
              storage.id = id;
              storage.type = call.text("type", "dir");
              if (call.has("content")) storage.content = split_list(call.text("content"), ", ");
              storage.shared = call.flag("shared");
              if (call.has("nodes")) storage.nodes = split_list(call.text("nodes"), ", ");
              state.storages().push_back(storage);
              state.touch();
              return ApiResult::ok(json::object{{"storage", id}, {"type", storage.type}});
            }));
  table.add(Verb::delete_, "/storage/{storage}",
            writer([](ClusterState& state, const ApiCall& call) -> ApiResult {
              const std::string id = call.text("storage");
              if (std::erase_if(state.storages(), [&](const auto& s) { return s.id == id; }) == 0) {
                return ApiResult::error(500, fmt::format("storage '{}' does not exist", id));
              }
              state.erase_backups([&](const BackupScenario& b) { return b.storage == id; });
              state.erase_volumes([&](const VolumeScenario& v) { return v.storage == id; });
              state.touch();
              return ApiResult::ok();
            }));
}

// /nodes/{node}/storage: per-node status, usage and content.
void add_node_storage_handlers(HandlerTable& table) {
  table.add(
      Verb::get, "/nodes/{node}/storage",
      reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
        const std::string node = call.text("node");
        if (state.find_node(node) == nullptr) return no_such_node(node);
        const std::string content = call.text("content");
        const std::string only = call.text("storage");
        const StorageLedger& usage = state.storage_ledger();
        json::array out;
        for (const auto& storage : state.storages()) {
          if (!state.storage_on_node(storage, node)) continue;
          if (!only.empty() && storage.id != only) continue;
          if (!content.empty() &&
              !std::any_of(storage.content.begin(), storage.content.end(),
                           [&](const auto& c) { return content.find(c) != std::string::npos; })) {
            continue;
          }
          const int64_t used = usage.used(storage, node);
          out.push_back(json::object{
              {"storage", storage.id},
              {"type", storage.type},
              {"content", join(storage.content, ",")},
              {"shared", storage.shared ? 1 : 0},
              {"active", 1},
              {"enabled", 1},
              {"total", storage.total_bytes},
              {"used", used},
              {"avail", storage.total_bytes - used},
              {"used_fraction", static_cast<double>(used) / static_cast<double>(std::max<int64_t>(
                                                                1, storage.total_bytes))}});
        }
        return ApiResult::ok(std::move(out));
      }));

  table.add(Verb::get, "/nodes/{node}/storage/{storage}/status",
            reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const std::string node = call.text("node");
              const auto lookup = node_storage(state, call);
              if (!lookup) return lookup.error();
              auto* storage = *lookup;
              const int64_t used = storage_used(state, *storage, node);
              return ApiResult::ok(json::object{{"type", storage->type},
                                                {"content", join(storage->content, ",")},
                                                {"shared", storage->shared ? 1 : 0},
                                                {"active", 1},
                                                {"enabled", 1},
                                                {"total", storage->total_bytes},
                                                {"used", used},
                                                {"avail", storage->total_bytes - used}});
            }));

  table.add(Verb::get, "/nodes/{node}/storage/{storage}/content",
            reader(
                [](const ClusterState& state, const ApiCall& call) -> ApiResult {
                  const auto lookup = node_storage(state, call);
                  if (!lookup) return lookup.error();
                  auto* storage = *lookup;
                  return ApiResult::ok(storage_content(state, *storage, call.text("node"), call));
                },
                true));
}

}  // namespace

// The storage {storage} as {node} sees it, or the answer explaining why not.
common::Result<const StorageScenario*, ApiResult> node_storage(const ClusterState& state,
                                                               const ApiCall& call) {
  const std::string node = call.text("node");
  if (state.find_node(node) == nullptr) return common::Failure{no_such_node(node)};
  const auto* storage = state.find_storage(call.text("storage"));
  if (storage == nullptr || !state.storage_on_node(*storage, node)) {
    return common::Failure{
        ApiResult::error(500, fmt::format("storage '{}' does not exist", call.text("storage")))};
  }
  return storage;
}

void add_storage_handlers(HandlerTable& table) {
  add_storage_config_handlers(table);
  add_node_storage_handlers(table);
}

}  // namespace pbx::proxmox
