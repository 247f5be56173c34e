#include "sync/plugin_mapping.hpp"

#include <boost/json/parse.hpp>
#include <cctype>
#include <ctime>
#include <set>
#include <unordered_map>

#include "common/clock.hpp"
#include "common/text.hpp"
#include "sync/json_util.hpp"

namespace pbx::sync {
namespace json = boost::json;

namespace {

json::array owned_tags(const References& refs) {
  return json::array{refs.tag};
}

// Plugin text fields that are nullable: null where Proxmox sends nothing, as upstream writes.
json::value text_or_null(const std::string& text) {
  return text.empty() ? json::value(nullptr) : json::value(text);
}

json::value time_or_null(int64_t unix_seconds) {
  return unix_seconds > 0 ? json::value(common::utc_iso8601(static_cast<std::time_t>(unix_seconds)))
                          : json::value(nullptr);
}

const std::string* setting(const ProxmoxJob& job, const std::string& key) {
  const auto found = job.settings.find(key);
  return found == job.settings.end() ? nullptr : &found->second;
}

std::string setting_or(const ProxmoxJob& job, const std::string& key, std::string fallback = {}) {
  const auto* value = setting(job, key);
  return value ? *value : fallback;
}

// A non-negative whole number, or null (absent, empty or not a number).
json::value count_or_null(const std::string* text) {
  if (!text || text->empty()) return nullptr;
  for (const char c : *text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return nullptr;
  }
  const auto count = common::parse_number<int64_t>(*text);
  return count ? json::value(*count) : json::value(nullptr);
}

// A number as Proxmox writes it (strtod's form), or null (absent, empty or not a number).
json::value number_or_null(const std::string* text) {
  const auto number =
      text ? common::parse_number<double>(*text, common::kLeadingNumber) : std::nullopt;
  return number ? json::value(*number) : json::value(nullptr);
}

json::value flag_or_null(const std::string* text) {
  if (!text || text->empty()) return nullptr;
  return json::value(*text != "0" && *text != "false");
}

bool flag(const ProxmoxJob& job, const std::string& key, bool fallback) {
  const json::value value = flag_or_null(setting(job, key));
  return value.is_bool() ? value.as_bool() : fallback;
}

json::value raw_config(const ProxmoxJob& job) {
  boost::system::error_code error;
  json::value parsed = json::parse(job.raw_json, error);
  return error || !parsed.is_object() ? json::value(json::object{}) : parsed;
}

// Every guest of an endpoint by vmid, and its virtual machine id in NetBox (0: none yet).
struct GuestIndex {
  std::unordered_map<int, const ProxmoxGuest*> guests;

  explicit GuestIndex(const ProxmoxSnapshot& snapshot) {
    for (const auto& guest : snapshot.guests)
      guests.emplace(guest.vmid, &guest);
  }

  const ProxmoxGuest* find(int vmid) const {
    const auto found = guests.find(vmid);
    return found == guests.end() ? nullptr : found->second;
  }

  static int64_t vm_id(const ProxmoxSnapshot& snapshot, const ProxmoxGuest& guest,
                       const References& refs) {
    const auto found = refs.vms.find(vm_key(snapshot.cluster_name, guest.type, guest.vmid));
    return found == refs.vms.end() ? 0 : found->second;
  }
};

int parse_vmid(std::string_view text) {
  int vmid = 0;
  for (const char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return 0;
    vmid = vmid * 10 + (c - '0');
    if (vmid > 999999999) return 0;
  }
  return vmid;
}

int64_t endpoint_of(const EndpointSnapshot& endpoint, const PluginReferences& plugin_refs) {
  const auto found = plugin_refs.endpoints.find(endpoint.snapshot.endpoint_name);
  return found == plugin_refs.endpoints.end() ? 0 : found->second;
}

}  // namespace

std::string plugin_node_key(int64_t endpoint_id, std::string_view node) {
  return std::to_string(endpoint_id) + "/" + std::string(node);
}

std::string storage_key(std::string_view cluster, std::string_view storage) {
  return std::string(cluster) + "/" + std::string(storage);
}

std::string guest_snapshot_key(int64_t vm_id, std::string_view name) {
  return std::to_string(vm_id) + "/" + std::string(name);
}

std::string job_key(int64_t endpoint_id, std::string_view job_id) {
  return std::to_string(endpoint_id) + "/" + std::string(job_id);
}

std::string current_storage_key(const json::object& storage) {
  return storage_key(nested_name(storage, "cluster"), json_string(field(storage, "name")));
}

std::string current_guest_snapshot_key(const json::object& snapshot) {
  return guest_snapshot_key(nested_id(snapshot, "virtual_machine"),
                            json_string(field(snapshot, "name")));
}

std::string current_task_key(const json::object& task) {
  return json_string(field(task, "upid"));
}

std::string current_replication_key(const json::object& replication) {
  return job_key(nested_id(replication, "endpoint"),
                 json_string(field(replication, "replication_id")));
}

std::string current_backup_routine_key(const json::object& routine) {
  return job_key(nested_id(routine, "endpoint"), json_string(field(routine, "job_id")));
}

std::string task_description(std::string_view guest_type, std::string_view task_id,
                             std::string_view task_type) {
  // The first action word the task type contains, in upstream's order; else the type itself
  // capitalised ("vzdump" → "Vzdump").
  static const std::vector<std::pair<std::string_view, std::string_view>> actions{
      {"start", "Start"},     {"shutdown", "Shutdown"}, {"reboot", "Reboot"},
      {"stop", "Stop"},       {"pause", "Pause"},       {"resume", "Resume"},
      {"suspend", "Suspend"}, {"delete", "Delete"},     {"create", "Create"},
      {"clone", "Clone"},     {"move", "Move"},         {"backup", "Backup"},
      {"restore", "Restore"}, {"snapshot", "Snapshot"}, {"rollback", "Rollback"},
      {"migrate", "Migrate"}, {"convert", "Convert"}};
  const std::string lower = common::to_lower(task_type);
  std::string action;
  for (const auto& [word, label] : actions) {
    if (lower.find(word) != std::string::npos) {
      action = label;
      break;
    }
  }
  if (action.empty()) {
    action = lower;
    if (!action.empty()) action.front() = static_cast<char>(std::toupper(action.front()));
  }
  std::string guest = guest_type == "lxc" ? "CT" : guest_type == "qemu" ? "QEMU" : "";
  if (guest.empty()) {
    for (const char c : guest_type)
      guest.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return task_id.empty() ? guest + " - " + action
                         : guest + " " + std::string(task_id) + " - " + action;
}

json::object retention_fields(std::string_view prune_backups) {
  json::object fields{{"keep_last", nullptr},    {"keep_daily", nullptr},  {"keep_weekly", nullptr},
                      {"keep_monthly", nullptr}, {"keep_yearly", nullptr}, {"keep_all", nullptr}};
  while (!prune_backups.empty()) {
    const size_t comma = prune_backups.find(',');
    std::string_view part = prune_backups.substr(0, comma);
    prune_backups =
        comma == std::string_view::npos ? std::string_view{} : prune_backups.substr(comma + 1);
    while (!part.empty() && part.front() == ' ')
      part.remove_prefix(1);
    const size_t equals = part.find('=');
    const std::string key(part.substr(0, equals));
    const std::string value(equals == std::string_view::npos ? "1" : part.substr(equals + 1));
    if (key == "keep-all") {
      fields["keep_all"] = value != "0";
    } else if (key.starts_with("keep-")) {
      std::string name = "keep_" + key.substr(5);
      if (fields.contains(name)) fields[name] = count_or_null(&value);
    }
  }
  return fields;
}

std::vector<DesiredObject> desired_storages(const std::vector<EndpointSnapshot>& endpoints,
                                            const References& refs) {
  std::vector<DesiredObject> storages;
  std::set<std::string> seen;  // one object per (cluster, storage), however many endpoints
  for (const auto& endpoint : endpoints) {
    const auto& snapshot = endpoint.snapshot;
    const auto cluster = refs.clusters.find(snapshot.cluster_name);
    if (cluster == refs.clusters.end()) continue;
    for (const auto& storage : snapshot.plugin.storages) {
      const std::string key = storage_key(snapshot.cluster_name, storage.name);
      if (!seen.insert(key).second) continue;
      storages.push_back({key,
                          {{"cluster", id_or_null(cluster->second)},
                           {"name", storage.name},
                           {"storage_type", text_or_null(storage.type)},
                           {"content", text_or_null(storage.content)},
                           {"path", text_or_null(storage.path)},
                           {"nodes", text_or_null(storage.nodes)},
                           {"shared", storage.shared},
                           {"enabled", storage.enabled},
                           {"tags", owned_tags(refs)}}});
    }
  }
  return storages;
}

std::vector<DesiredObject> desired_guest_snapshots(const std::vector<EndpointSnapshot>& endpoints,
                                                   const References& refs) {
  std::vector<DesiredObject> snapshots;
  for (const auto& endpoint : endpoints) {
    const auto& snapshot = endpoint.snapshot;
    const GuestIndex guests(snapshot);
    for (const auto& item : snapshot.plugin.snapshots) {
      const ProxmoxGuest* guest = guests.find(item.vmid);
      const int64_t vm = guest ? GuestIndex::vm_id(snapshot, *guest, refs) : 0;
      if (vm <= 0) continue;
      snapshots.push_back({guest_snapshot_key(vm, item.name),
                           {{"virtual_machine", vm},
                            {"name", item.name},
                            {"description", item.description},
                            {"vmid", item.vmid},
                            {"node", item.node},
                            {"snaptime", time_or_null(item.snaptime)},
                            {"parent", text_or_null(item.parent)},
                            {"subtype", item.guest_type},
                            {"status", "active"},
                            {"tags", owned_tags(refs)}}});
    }
  }
  return snapshots;
}

std::vector<DesiredObject> desired_task_history(const std::vector<EndpointSnapshot>& endpoints,
                                                const References& refs) {
  std::vector<DesiredObject> tasks;
  std::set<std::string> seen;
  for (const auto& endpoint : endpoints) {
    const auto& snapshot = endpoint.snapshot;
    const GuestIndex guests(snapshot);
    for (const auto& task : snapshot.plugin.tasks) {
      const ProxmoxGuest* guest = guests.find(parse_vmid(task.id));
      const int64_t vm = guest ? GuestIndex::vm_id(snapshot, *guest, refs) : 0;
      if (vm <= 0 || !seen.insert(task.upid).second) continue;
      tasks.push_back({task.upid,
                       {{"virtual_machine", vm},
                        {"vm_type", guest->type},
                        {"upid", task.upid},
                        {"node", task.node},
                        {"pid", task.pid},
                        {"task_id", text_or_null(task.id)},
                        {"task_type", task.type},
                        {"username", task.user},
                        {"start_time", time_or_null(task.starttime)},
                        {"end_time", time_or_null(task.endtime)},
                        {"description", task_description(guest->type, task.id, task.type)},
                        {"status", task.status},
                        {"task_state", "stopped"},
                        {"exitstatus", task.status},
                        {"tags", owned_tags(refs)}}});
    }
  }
  return tasks;
}

std::vector<DesiredObject> desired_replications(const std::vector<EndpointSnapshot>& endpoints,
                                                const References& refs,
                                                const PluginReferences& plugin_refs) {
  std::vector<DesiredObject> replications;
  for (const auto& endpoint : endpoints) {
    const auto& snapshot = endpoint.snapshot;
    const int64_t endpoint_id = endpoint_of(endpoint, plugin_refs);
    if (endpoint_id <= 0) continue;
    const GuestIndex guests(snapshot);
    for (const auto& job : snapshot.plugin.replication_jobs) {
      const int vmid = parse_vmid(setting_or(job, "guest", job.id.substr(0, job.id.find('-'))));
      const ProxmoxGuest* guest = guests.find(vmid);
      const int64_t vm = guest ? GuestIndex::vm_id(snapshot, *guest, refs) : 0;
      if (vm <= 0) continue;
      const std::string target = setting_or(job, "target");
      const auto node = plugin_refs.nodes.find(plugin_node_key(endpoint_id, target));
      const std::string* rate = setting(job, "rate");
      const json::value jobnum = count_or_null(setting(job, "jobnum"));  // null counts as 0
      replications.push_back(
          {job_key(endpoint_id, job.id),
           {{"replication_id", job.id},
            {"endpoint", endpoint_id},
            {"virtual_machine", vm},
            {"proxmox_node",
             node == plugin_refs.nodes.end() ? json::value(nullptr) : json::value(node->second)},
            {"guest", vmid},
            {"target", target},
            {"job_type", setting_or(job, "type", "local")},
            {"schedule", setting_or(job, "schedule")},
            {"rate", number_or_null(rate)},
            {"comment", text_or_null(setting_or(job, "comment"))},
            {"disable", flag(job, "disable", false)},
            {"source", text_or_null(setting_or(job, "source"))},
            {"jobnum", json_int(&jobnum)},
            {"remove_job", text_or_null(setting_or(job, "remove_job"))},
            {"raw_config", raw_config(job)},
            {"status", "active"},
            {"tags", owned_tags(refs)}}});
    }
  }
  return replications;
}

// The guests a backup job backs up, as Proxmox decides them: its `vmid` list; with `all=1`
// every guest (of its `node` when it names one) but those in `exclude`. The plugin's model
// refuses an empty selection, so an all-guests job must list them. A pool job's guests are not
// read (the selection stays empty).
std::vector<int> backup_job_selection(const ProxmoxJob& job,
                                      const std::vector<ProxmoxGuest>& guests) {
  const auto vmids_of = [](const std::string& list) {
    std::vector<int> vmids;
    for (const auto& item : common::split_list(list, ",", " "))
      if (const int vmid = parse_vmid(item); vmid > 0) vmids.push_back(vmid);
    return vmids;
  };
  if (!flag(job, "all", false)) return vmids_of(setting_or(job, "vmid"));
  const auto excluded = vmids_of(setting_or(job, "exclude"));
  const std::string node = setting_or(job, "node");
  std::vector<int> selected;
  for (const auto& guest : guests) {
    if (!node.empty() && guest.node != node) continue;
    if (std::find(excluded.begin(), excluded.end(), guest.vmid) != excluded.end()) continue;
    selected.push_back(guest.vmid);
  }
  std::sort(selected.begin(), selected.end());
  return selected;
}

std::vector<DesiredObject> desired_backup_routines(const std::vector<EndpointSnapshot>& endpoints,
                                                   const References& refs,
                                                   const PluginReferences& plugin_refs) {
  std::vector<DesiredObject> routines;
  for (const auto& endpoint : endpoints) {
    const int64_t endpoint_id = endpoint_of(endpoint, plugin_refs);
    if (endpoint_id <= 0) continue;
    for (const auto& job : endpoint.snapshot.plugin.backup_jobs) {
      json::array selection;
      for (const int vmid : backup_job_selection(job, endpoint.snapshot.guests))
        selection.push_back(vmid);
      json::object fields{
          {"job_id", job.id},
          {"endpoint", endpoint_id},
          {"enabled", flag(job, "enabled", true)},
          {"schedule", setting_or(job, "schedule")},
          // Nullable relations upstream leaves empty: Proxmox names them by text.
          {"node", nullptr},
          {"storage", nullptr},
          {"fleecing_storage", nullptr},
          {"selection", std::move(selection)},
          {"comment", setting_or(job, "comment")},
          {"notes_template", setting_or(job, "notes-template")},
          {"bwlimit", count_or_null(setting(job, "bwlimit"))},
          {"zstd", count_or_null(setting(job, "zstd"))},
          {"io_workers", count_or_null(setting(job, "io-workers"))},
          {"fleecing", setting_or(job, "fleecing")},
          {"repeat_missed", flag_or_null(setting(job, "repeat-missed"))},
          {"pbs_change_detection_mode", setting_or(job, "pbs-change-detection-mode")},
          {"raw_config", raw_config(job)},
          {"status", "active"},
          {"tags", owned_tags(refs)}};
      for (auto& [name, value] : retention_fields(setting_or(job, "prune-backups")))
        fields[name] = std::move(value);
      routines.push_back({job_key(endpoint_id, job.id), std::move(fields)});
    }
  }
  return routines;
}

json::object plugin_endpoint_definition(const EndpointSnapshot& endpoint, const References& refs) {
  const auto& snapshot = endpoint.snapshot;
  json::object fields{{"name", snapshot.endpoint_name},
                      {"mode", snapshot.cluster_mode == "cluster" ? "cluster" : "standalone"},
                      {"version", text_or_null(snapshot.version)},
                      {"tags", owned_tags(refs)}};
  // "https://pve.example.com:8006/api2/json" → domain "pve.example.com", port 8006.
  std::string_view url = snapshot.plugin.base_url;
  if (const size_t scheme = url.find("://"); scheme != std::string_view::npos) {
    url.remove_prefix(scheme + 3);
  }
  url = url.substr(0, url.find('/'));
  std::string_view host = url;
  int64_t port = 8006;
  if (!url.empty() && url.front() == '[') {  // [::1]:8006
    host = url.substr(1, url.find(']') - 1);
    url.remove_prefix(std::min(url.size(), url.find(']') + 1));
    if (!url.empty() && url.front() == ':') port = parse_vmid(url.substr(1));
  } else if (const size_t colon = url.rfind(':'); colon != std::string_view::npos) {
    host = url.substr(0, colon);
    port = parse_vmid(url.substr(colon + 1));
  }
  if (!host.empty()) fields["domain"] = std::string(host);
  if (port > 0) fields["port"] = port;
  return fields;
}

json::object vm_journal_entry(int64_t vm_id, std::string_view kind, std::string comments) {
  return json::object{{"assigned_object_type", "virtualization.virtualmachine"},
                      {"assigned_object_id", vm_id},
                      {"kind", kind},
                      {"comments", std::move(comments)}};
}

}  // namespace pbx::sync
