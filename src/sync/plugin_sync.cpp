#include "sync/plugin_sync.hpp"

#include <set>

#include "sync/engine.hpp"
#include "sync/json_util.hpp"
#include "sync/plugin_mapping.hpp"

namespace pbx::sync {
namespace json = boost::json;

namespace {

// NetBox virtual machine id → the endpoint whose guest it is (in refs.vms), and the guest.
struct VmOwner {
  const EndpointSnapshot* endpoint = nullptr;
  int vmid = 0;
};

std::map<int64_t, VmOwner> vm_owners(const std::vector<EndpointSnapshot>& endpoints,
                                     const References& refs) {
  std::map<int64_t, VmOwner> owners;
  for (const auto& endpoint : endpoints) {
    for (const auto& guest : endpoint.snapshot.guests) {
      const auto found =
          refs.vms.find(vm_key(endpoint.snapshot.cluster_name, guest.type, guest.vmid));
      if (found != refs.vms.end() && found->second > 0) {
        owners[found->second] = {&endpoint, guest.vmid};
      }
    }
  }
  return owners;
}

std::set<std::string> keys_of(const std::vector<DesiredObject>& desired) {
  std::set<std::string> keys;
  for (const auto& object : desired)
    keys.insert(object.key);
  return keys;
}

// Objects of a listing that answered but no longer name them: to be marked stale (a no-op for
// those already stale, since the diff compares only `status`).
void mark_stale(std::vector<DesiredObject>& desired, const std::vector<json::object>& current,
                const PluginStageContext::KeyOf& key_of) {
  const auto wanted = keys_of(desired);
  for (const auto& object : current) {
    std::string key = key_of(object);
    if (!wanted.count(key)) desired.push_back({std::move(key), json::object{{"status", "stale"}}});
  }
}

// The fields the task history and snapshot stages read (plugin_listings plans the same).
std::pair<std::string, std::string> task_fields(const std::vector<DesiredObject>& desired) {
  return fields_to_read(desired, {"virtual_machine", "upid"});
}
std::pair<std::string, std::string> snapshot_fields(const std::vector<DesiredObject>& desired) {
  return fields_to_read(desired, {"virtual_machine", "name", "status"});
}

// The plugin objects tagged by proxbox whose virtual machine is one of `vms`, with the fields
// `fields` (fields_to_read) names.
std::vector<json::object> owned_by_vms(PluginStageContext& context, const std::string& path,
                                       const std::map<int64_t, VmOwner>& vms,
                                       std::pair<std::string, std::string> fields) {
  std::vector<json::object> owned;
  if (vms.empty()) return owned;
  for (auto& object : context.list_tagged(path, {std::move(fields)})) {
    if (vms.count(nested_id(object, "virtual_machine"))) owned.push_back(std::move(object));
  }
  return owned;
}

class Stages {
 public:
  Stages(PluginStageContext& context, const std::vector<EndpointSnapshot>& endpoints)
      : context_(context), endpoints_(endpoints) {}

  void storage() {
    std::vector<std::string> cluster_ids;
    std::set<std::string> listed;  // clusters whose storage definitions answered
    for (const auto& [name, id] : context_.refs.clusters) {
      if (id > 0) cluster_ids.push_back(std::to_string(id));
    }
    for (const auto& endpoint : endpoints_) {
      if (endpoint.snapshot.plugin.listed.storages) listed.insert(endpoint.snapshot.cluster_name);
    }
    const auto desired = desired_storages(endpoints_, context_.refs);
    std::vector<json::object> current;
    if (!cluster_ids.empty()) {
      http::Params filters{fields_to_read(desired, {"cluster", "name"})};
      for (const auto& id : cluster_ids)
        filters.emplace_back("cluster_id", id);
      for (auto& object :
           list_tagged(context_.netbox, context_.refs, kPluginStoragePath, std::move(filters))) {
        if (listed.count(nested_name(object, "cluster"))) current.push_back(std::move(object));
      }
    }
    context_.sync_kind("storage", kPluginStoragePath, desired, std::move(current),
                       current_storage_key, true, {});
  }

  void task_history() {
    const auto owners = vm_owners(endpoints_, context_.refs);
    // An archive: tasks Proxmox has rotated out stay in NetBox, so only what is new is written.
    const auto desired = desired_task_history(endpoints_, context_.refs);
    context_.sync_kind("task_history", kPluginTaskHistoryPath, desired,
                       owned_by_vms(context_, kPluginTaskHistoryPath, owners, task_fields(desired)),
                       current_task_key, false, {});
  }

  void snapshots() {
    const auto owners = vm_owners(endpoints_, context_.refs);
    auto desired = desired_guest_snapshots(endpoints_, context_.refs);
    std::vector<json::object> known;  // of guests whose snapshot list answered
    for (auto& object :
         owned_by_vms(context_, kPluginSnapshotsPath, owners, snapshot_fields(desired))) {
      const VmOwner& owner = owners.at(nested_id(object, "virtual_machine"));
      if (owner.endpoint->snapshot.plugin.listed.snapshots_of.count(owner.vmid)) {
        known.push_back(std::move(object));
      }
    }
    const bool delete_gone = context_.options.delete_orphans;
    if (!delete_gone) mark_stale(desired, known, current_guest_snapshot_key);
    context_.sync_kind("snapshots", kPluginSnapshotsPath, desired, std::move(known),
                       current_guest_snapshot_key, delete_gone, {});
  }

  // Replications and backup routines: per plugin endpoint, stale when gone from a listing that
  // answered.
  void jobs(std::string_view kind, const char* path, bool PluginListings::*listed,
            std::vector<DesiredObject> (*map)(const std::vector<EndpointSnapshot>&,
                                              const References&, const PluginReferences&),
            const PluginStageContext::KeyOf& key_of, std::string_view id_field) {
    const PluginReferences& plugin_refs = plugin_references(kind);
    auto desired = map(endpoints_, context_.refs, plugin_refs);
    std::set<int64_t> known_endpoints;
    http::Params filters;
    for (const auto& endpoint : endpoints_) {
      const auto id = plugin_refs.endpoints.find(endpoint.snapshot.endpoint_name);
      if (id == plugin_refs.endpoints.end() || id->second <= 0) continue;
      filters.emplace_back("endpoint_id", std::to_string(id->second));
      if (endpoint.snapshot.plugin.listed.*listed) known_endpoints.insert(id->second);
    }
    std::vector<json::object> current;
    if (!filters.empty()) {
      filters.push_back(fields_to_read(desired, {"endpoint", id_field, "status"}));
      for (auto& object : context_.netbox.list(path, filters)) {
        if (known_endpoints.count(nested_id(object, "endpoint")))
          current.push_back(std::move(object));
      }
    }
    mark_stale(desired, current, key_of);
    context_.sync_kind(kind, path, desired, std::move(current), key_of, false, {});
  }

 private:
  // The plugin's ProxmoxEndpoint per endpoint, matched by name, then by domain, then the only
  // one there is; created (name, address, mode; no secret) for an endpoint that has none, so
  // that the jobs have the endpoint the plugin's models require. Read once per run.
  const PluginReferences& plugin_references(std::string_view kind) {
    if (plugin_refs_) return *plugin_refs_;
    plugin_refs_.emplace();
    auto existing = context_.netbox.list(kPluginEndpointsPath);
    std::set<int64_t> taken;
    for (const auto& endpoint : endpoints_) {
      const auto definition = plugin_endpoint_definition(endpoint, context_.refs);
      int64_t id = match_endpoint(existing, definition, taken);
      if (id == 0 && !context_.options.dry_run) {
        try {
          auto created = context_.netbox.create(kPluginEndpointsPath, {definition});
          if (!created.empty()) {
            id = json_int(field(created.front(), "id"));
            existing.push_back(created.front());
          }
        } catch (const std::exception& create_error) {
          context_.error(kind, endpoint.snapshot.endpoint_name,
                         std::string("the plugin's Proxmox endpoint could not be created: ") +
                             create_error.what());
        }
      }
      if (id > 0) taken.insert(id);
      plugin_refs_->endpoints[endpoint.snapshot.endpoint_name] = id;
    }
    // The plugin's node objects, where its node sync made them (optional links).
    try {
      for (const auto& node : context_.netbox.list(kPluginNodesPath)) {
        plugin_refs_->nodes[plugin_node_key(nested_id(node, "endpoint"),
                                            json_string(field(node, "name")))] =
            json_int(field(node, "id"));
      }
    } catch (const NetBoxError&) {
      // A plugin version without node objects: replications keep proxmox_node empty.
    }
    return *plugin_refs_;
  }

  // The plugin endpoint of one endpoint of this run: by name, else by address (domain and
  // port), else the only one NetBox has when this run reads a single endpoint; never one that
  // another endpoint of the run already has (job ids repeat across clusters).
  int64_t match_endpoint(const std::vector<json::object>& existing, const json::object& definition,
                         const std::set<int64_t>& taken) const {
    auto free = [&](const json::object& candidate) {
      return !taken.count(json_int(field(candidate, "id")));
    };
    auto same = [&](const json::object& candidate, const char* attribute) {
      const std::string wanted = json_string(definition.if_contains(attribute));
      return !wanted.empty() && json_string(field(candidate, attribute)) == wanted;
    };
    for (const auto& candidate : existing) {
      if (free(candidate) && same(candidate, "name")) return json_int(field(candidate, "id"));
    }
    for (const auto& candidate : existing) {
      if (free(candidate) && same(candidate, "domain") &&
          json_int(field(candidate, "port"), 8006) ==
              json_int(definition.if_contains("port"), 8006)) {
        return json_int(field(candidate, "id"));
      }
    }
    if (endpoints_.size() == 1 && existing.size() == 1 && free(existing.front())) {
      return json_int(field(existing.front(), "id"));
    }
    return 0;
  }

  PluginStageContext& context_;
  const std::vector<EndpointSnapshot>& endpoints_;
  std::optional<PluginReferences> plugin_refs_;
};

// Journal entries on the backups' virtual machines, when NetBox has the journal model.
bool has_journal(NetBoxClient& netbox) {
  try {
    netbox.list(kJournalEntriesPath, {{"id", "0"}});  // an empty page either way
    return true;
  } catch (const NetBoxError& missing) {
    if (missing.status() == 404) return false;
    throw;
  }
}

}  // namespace

PluginStages plugin_stages_of(SyncScope scope) {
  PluginStages stages;
  stages.storage = scope == SyncScope::storage || scope == SyncScope::full;
  stages.task_history = scope == SyncScope::task_history || scope == SyncScope::full;
  stages.snapshots = scope == SyncScope::snapshots || scope == SyncScope::full;
  stages.replications = scope == SyncScope::replications || scope == SyncScope::full;
  stages.backup_routines = scope == SyncScope::backup_routines || scope == SyncScope::full;
  return stages;
}

PluginReadSet plugin_reads_of(SyncScope scope) {
  const PluginStages stages = plugin_stages_of(scope);
  PluginReadSet reads;
  reads.storages = stages.storage;
  reads.tasks = stages.task_history;
  reads.snapshots = stages.snapshots;
  reads.replication = stages.replications;
  reads.backup_jobs = stages.backup_routines;
  return reads;
}

std::vector<PlannedListing> plugin_listings(const PluginStageContext& context,
                                            const PluginStages& stages,
                                            const std::vector<EndpointSnapshot>& endpoints) {
  std::vector<PlannedListing> listings;
  if (vm_owners(endpoints, context.refs).empty()) return listings;  // owned_by_vms lists nothing
  if (stages.task_history) {
    listings.push_back(
        {kPluginTaskHistoryPath, {task_fields(desired_task_history(endpoints, context.refs))}});
  }
  if (stages.snapshots) {
    listings.push_back({kPluginSnapshotsPath,
                        {snapshot_fields(desired_guest_snapshots(endpoints, context.refs))}});
  }
  return listings;
}

void sync_plugin_stages(PluginStageContext& context, const PluginStages& stages,
                        const std::vector<EndpointSnapshot>& endpoints) {
  Stages run(context, endpoints);
  if (stages.storage) guarded(context, "storage", [&] { run.storage(); });
  if (stages.task_history) guarded(context, "task_history", [&] { run.task_history(); });
  if (stages.snapshots) guarded(context, "snapshots", [&] { run.snapshots(); });
  if (stages.replications) {
    guarded(context, "replications", [&] {
      run.jobs("replications", kPluginReplicationsPath, &PluginListings::replication,
               desired_replications, current_replication_key, "replication_id");
    });
  }
  if (stages.backup_routines) {
    guarded(context, "backup_routines", [&] {
      run.jobs("backup_routines", kPluginBackupRoutinesPath, &PluginListings::backup_jobs,
               desired_backup_routines, current_backup_routine_key, "job_id");
    });
  }
}

void write_backups(PluginStageContext& context, const std::vector<EndpointSnapshot>& endpoints,
                   const std::vector<DesiredObject>& desired, std::vector<json::object> current,
                   const std::set<int64_t>& unlisted) {
  const auto owners = vm_owners(endpoints, context.refs);
  const auto wanted = keys_of(desired);
  struct Gone {
    int64_t id, vm;
    std::string volume, storage;
  };
  std::vector<Gone> gone;
  std::set<std::string> existing;
  std::vector<json::object> kept;
  for (auto& backup : current) {
    const std::string key = current_backup_key(backup);
    const int64_t vm = nested_id(backup, "virtual_machine");
    const std::string storage = json_string(field(backup, "storage"));
    const int64_t id = json_int(field(backup, "id"));
    if (!wanted.count(key) && owners.count(vm) && !unlisted.count(id)) {
      gone.push_back({id, vm, json_string(field(backup, "volume_id")), storage});
      continue;
    }
    existing.insert(key);
    kept.push_back(std::move(backup));
  }
  const auto ids = context.sync_kind(
      "backups", kPluginBackupsPath, desired, std::move(kept), current_backup_key, true,
      [&](const ObjectRef& backup) { return unlisted.count(backup.id) > 0; });
  if (context.options.dry_run || context.cancelled()) {
    if (!gone.empty()) {
      context.step("backups", std::to_string(gone.size()) +
                                  " backups gone from Proxmox would be deleted from NetBox");
    }
    return;
  }
  if (!gone.empty()) {
    std::vector<int64_t> gone_ids;
    for (const auto& backup : gone)
      gone_ids.push_back(backup.id);
    try {
      context.netbox.remove(kPluginBackupsPath, gone_ids);
      context.count_deleted("backups", gone.size());
      context.step("backups",
                   std::to_string(gone.size()) + " backups gone from Proxmox deleted from NetBox");
    } catch (const std::exception& delete_error) {
      context.error(
          "backups", "",
          std::string("deleting backups gone from Proxmox failed: ") + delete_error.what());
      gone.clear();
    }
  }

  std::vector<json::object> entries;
  for (const auto& object : desired) {
    const auto id = ids.find(object.key);
    if (existing.count(object.key) || id == ids.end() || id->second <= 0) continue;
    entries.push_back(vm_journal_entry(
        nested_id(object.fields, "virtual_machine"), "info",
        "Backup " + json_string(field(object.fields, "volume_id")) + " on storage " +
            json_string(field(object.fields, "storage")) + " synced from Proxmox by proxbox."));
  }
  for (const auto& backup : gone) {
    entries.push_back(vm_journal_entry(backup.vm, "warning",
                                       "Backup " + backup.volume + " on storage " + backup.storage +
                                           " no longer exists in Proxmox; proxbox deleted it "
                                           "from NetBox."));
  }
  if (entries.empty()) return;
  try {
    if (has_journal(context.netbox)) context.netbox.create(kJournalEntriesPath, entries);
  } catch (const std::exception& journal_error) {
    context.error("journal_entries", "",
                  std::string("journal entries for backups: ") + journal_error.what());
  }
}

}  // namespace pbx::sync
