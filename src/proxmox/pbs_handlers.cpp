// Hand-written Proxmox Backup Server behaviour: datastores, backup groups and snapshots, all
// derived from the cluster's backups (BackupScenario.storage names the datastore).

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <map>

#include "proxmox/handlers.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using Verb = http::Verb;

std::string backup_type(const ClusterState& state, const BackupScenario& backup) {
  if (const auto* guest = state.find_guest(backup.vmid))
    return guest->spec.type == "lxc" ? "ct" : "vm";
  const bool container = backup.format.find("tar") != std::string::npos ||
                         backup.format.find("pxar") != std::string::npos;
  return container ? "ct" : "vm";
}

json::array backup_files(std::string_view type) {
  if (type == "ct") return {"pct.conf.blob", "root.pxar.didx", "index.json.blob"};
  return {"qemu-server.conf.blob", "drive-scsi0.img.fidx", "index.json.blob"};
}

const DatastoreScenario* find_datastore(const ClusterState& state, std::string_view name) {
  const auto& stores = state.datastores();
  const auto it = std::find_if(stores.begin(), stores.end(),
                               [&](const DatastoreScenario& store) { return store.name == name; });
  return it == stores.end() ? nullptr : &*it;
}

ApiResult no_such_datastore(std::string_view name) {
  return ApiResult::error(400, fmt::format("datastore '{}' does not exist", name));
}

std::string node_name(const ClusterState& state) {
  return state.nodes().empty() ? "localhost" : state.nodes().front().spec.name;
}

int64_t datastore_used(const ClusterState& state, std::string_view store) {
  int64_t used = 0;
  for (const auto& backup : state.backups()) {
    if (backup.storage == store) used += backup.size;
  }
  return used;
}

constexpr int64_t kDatastoreBytes = int64_t{4} << 40;

json::object snapshot_entry(const ClusterState& state, const BackupScenario& backup) {
  const std::string type = backup_type(state, backup);
  json::object entry{{"backup-type", type},           {"backup-id", std::to_string(backup.vmid)},
                     {"backup-time", backup.ctime},   {"files", backup_files(type)},
                     {"size", backup.size},           {"owner", "root@pam"},
                     {"protected", backup.protected_}};
  if (!backup.notes.empty()) entry["comment"] = backup.notes;
  if (!backup.verification.empty()) {
    entry["verification"] = json::object{
        {"state", backup.verification},
        {"upid",
         fmt::format("UPID:{}:00001234:00A00000:00000001:{:08X}:verificationjob:{}:root@pam:",
                     node_name(state), backup.ctime + 600, backup.storage)}};
  }
  return entry;
}

// The server and the datastore configuration.
void add_server_handlers(HandlerTable& table, const Release& release) {
  table.add(Verb::get, "/version", reader([release](const ClusterState&, const ApiCall&) {
              return ApiResult::ok(json::object{{"version", release.version},
                                                {"release", release.release},
                                                {"repoid", release.repoid}});
            }));

  table.add(Verb::get, "/nodes", reader([](const ClusterState& state, const ApiCall&) {
              json::array out;
              for (const auto& node : state.nodes())
                out.push_back(json::object{{"node", node.spec.name}});
              return ApiResult::ok(std::move(out));
            }));

  table.add(Verb::get, "/admin/datastore", reader([](const ClusterState& state, const ApiCall&) {
              json::array out;
              for (const auto& store : state.datastores())
                out.push_back(json::object{{"store", store.name}});
              return ApiResult::ok(std::move(out));
            }));

  table.add(Verb::get, "/config/datastore", reader([](const ClusterState& state, const ApiCall&) {
              json::array out;
              for (const auto& store : state.datastores()) {
                out.push_back(json::object{
                    {"name", store.name},
                    {"path", store.path.empty() ? "/mnt/datastore/" + store.name : store.path}});
              }
              return ApiResult::ok(std::move(out));
            }));

  table.add(Verb::get, "/config/datastore/{name}",
            reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const auto* store = find_datastore(state, call.text("name"));
              if (store == nullptr) return no_such_datastore(call.text("name"));
              return ApiResult::ok(json::object{
                  {"name", store->name},
                  {"path", store->path.empty() ? "/mnt/datastore/" + store->name : store->path}});
            }));

  table.add(Verb::post, "/config/datastore",
            writer([](ClusterState& state, const ApiCall& call) -> ApiResult {
              const std::string name = call.text("name");
              if (find_datastore(state, name) != nullptr) {
                return ApiResult::error(400, fmt::format("datastore '{}' already exists.", name));
              }
              state.datastores().push_back(DatastoreScenario{name, call.text("path"), {}});
              state.touch();
              return ApiResult::ok(
                  state.start_task(node_name(state), "create-datastore", name, call.user).upid);
            }));

  table.add(
      Verb::delete_, "/config/datastore/{name}",
      writer([](ClusterState& state, const ApiCall& call) -> ApiResult {
        const std::string name = call.text("name");
        if (std::erase_if(state.datastores(), [&](const auto& s) { return s.name == name; }) == 0) {
          return no_such_datastore(name);
        }
        state.erase_backups([&](const BackupScenario& b) { return b.storage == name; });
        state.touch();
        return ApiResult::ok(
            state.start_task(node_name(state), "delete-datastore", name, call.user).upid);
      }));
}

// The backup groups (type and id) of `store`, of one type when `type_filter` names one.
json::array backup_groups(const ClusterState& state, const std::string& store,
                          const std::string& type_filter) {
  struct Group {
    std::string type;
    int64_t last = 0;
    int64_t count = 0;
  };
  std::map<std::pair<std::string, int>, Group> groups;
  for (const auto& backup : state.backups()) {
    if (backup.storage != store) continue;
    const std::string type = backup_type(state, backup);
    if (!type_filter.empty() && type != type_filter) continue;
    Group& group = groups[{type, backup.vmid}];
    group.type = type;
    group.last = std::max(group.last, backup.ctime);
    ++group.count;
  }
  json::array out;
  for (const auto& [key, group] : groups) {
    out.push_back(json::object{{"backup-type", group.type},
                               {"backup-id", std::to_string(key.second)},
                               {"last-backup", group.last},
                               {"backup-count", group.count},
                               {"owner", "root@pam"},
                               {"files", backup_files(group.type)}});
  }
  return out;
}

// Backup groups, snapshots and usage, derived from the backups in each datastore.
void add_datastore_content_handlers(HandlerTable& table) {
  table.add(Verb::get, "/admin/datastore/{store}/groups",
            reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const std::string store = call.text("store");
              if (find_datastore(state, store) == nullptr) return no_such_datastore(store);
              return ApiResult::ok(backup_groups(state, store, call.text("backup-type")));
            }));

  table.add(Verb::get, "/admin/datastore/{store}/snapshots",
            reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const std::string store = call.text("store");
              if (find_datastore(state, store) == nullptr) return no_such_datastore(store);
              const std::string type_filter = call.text("backup-type");
              const std::string id_filter = call.text("backup-id");
              json::array out;
              for (const auto& backup : state.backups()) {
                if (backup.storage != store) continue;
                if (!type_filter.empty() && backup_type(state, backup) != type_filter) continue;
                if (!id_filter.empty() && std::to_string(backup.vmid) != id_filter) continue;
                out.push_back(snapshot_entry(state, backup));
              }
              return ApiResult::ok(std::move(out));
            }));

  table.add(Verb::delete_, "/admin/datastore/{store}/snapshots",
            writer([](ClusterState& state, const ApiCall& call) -> ApiResult {
              const std::string store = call.text("store");
              if (find_datastore(state, store) == nullptr) return no_such_datastore(store);
              const std::string type = call.text("backup-type");
              const std::string id = call.text("backup-id");
              const int64_t time = call.integer("backup-time").value_or(-1);
              const auto named = [&](const BackupScenario& b) {
                return b.storage == store && std::to_string(b.vmid) == id && b.ctime == time &&
                       backup_type(state, b) == type;
              };
              const BackupScenario* found = state.find_backup(named);
              if (found == nullptr) {
                return ApiResult::error(
                    400, fmt::format("backup snapshot '{}/{}/{}' does not exist", type, id, time));
              }
              if (found->protected_) {
                return ApiResult::error(400, "cannot remove protected snapshot");
              }
              bool erased = false;  // the first one named, as found
              state.erase_backups([&](const BackupScenario& b) {
                if (erased || !named(b)) return false;
                erased = true;
                return true;
              });
              state.touch();
              return ApiResult::ok();
            }));

  table.add(Verb::get, "/admin/datastore/{store}/status",
            reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const std::string store = call.text("store");
              if (find_datastore(state, store) == nullptr) return no_such_datastore(store);
              const int64_t used = datastore_used(state, store);
              return ApiResult::ok(json::object{
                  {"total", kDatastoreBytes}, {"used", used}, {"avail", kDatastoreBytes - used}});
            }));

  table.add(Verb::get, "/status/datastore-usage",
            reader([](const ClusterState& state, const ApiCall&) {
              json::array out;
              for (const auto& store : state.datastores()) {
                const int64_t used = datastore_used(state, store.name);
                out.push_back(json::object{{"store", store.name},
                                           {"total", kDatastoreBytes},
                                           {"used", used},
                                           {"avail", kDatastoreBytes - used},
                                           {"mount-status", "nonremovable"}});
              }
              return ApiResult::ok(std::move(out));
            }));
}

}  // namespace

HandlerTable pbs_handlers(const Release& release) {
  HandlerTable table;
  add_task_handlers(table);
  add_server_handlers(table, release);
  add_datastore_content_handlers(table);
  return table;
}

}  // namespace pbx::proxmox
