#pragma once
// Proxmox snapshot → the netbox-proxbox plugin's own objects (storage, snapshots, task history,
// replications, backup routines) in the plugin API's write form, as the upstream backend
// writes them. Pure functions like mapping.hpp: ids come in as arguments.

#include <boost/json/object.hpp>
#include <map>
#include <string>
#include <vector>

#include "sync/diff.hpp"
#include "sync/mapping.hpp"

namespace pbx::sync {

inline constexpr const char* kPluginBackupsPath = "/plugins/proxbox/backups/";
inline constexpr const char* kPluginStoragePath = "/plugins/proxbox/storage/";
inline constexpr const char* kPluginSnapshotsPath = "/plugins/proxbox/snapshots/";
inline constexpr const char* kPluginTaskHistoryPath = "/plugins/proxbox/task-history/";
inline constexpr const char* kPluginReplicationsPath = "/plugins/proxbox/replications/";
inline constexpr const char* kPluginBackupRoutinesPath = "/plugins/proxbox/backup-routines/";
inline constexpr const char* kPluginEndpointsPath = "/plugins/proxbox/endpoints/proxmox/";
inline constexpr const char* kPluginNodesPath = "/plugins/proxbox/nodes/";
inline constexpr const char* kJournalEntriesPath = "/extras/journal-entries/";

// Plugin objects the jobs refer to: the plugin's ProxmoxEndpoint per configured endpoint
// (ProxmoxSnapshot::endpoint_name) and its ProxmoxNode objects, where the plugin has them.
struct PluginReferences {
  std::map<std::string, int64_t> endpoints;  // by endpoint name
  std::map<std::string, int64_t> nodes;      // by plugin_node_key
};

std::string plugin_node_key(int64_t endpoint_id, std::string_view node);
std::string storage_key(std::string_view cluster, std::string_view storage);
std::string guest_snapshot_key(int64_t vm_id, std::string_view name);
std::string job_key(int64_t endpoint_id, std::string_view job_id);

// The same keys from the plugin API's read form.
std::string current_storage_key(const boost::json::object& storage);
std::string current_guest_snapshot_key(const boost::json::object& snapshot);
std::string current_task_key(const boost::json::object& task);
std::string current_replication_key(const boost::json::object& replication);
std::string current_backup_routine_key(const boost::json::object& routine);

// "QEMU 100 - Start", "CT 101 - Backup": the task history description upstream writes.
std::string task_description(std::string_view guest_type, std::string_view task_id,
                             std::string_view task_type);
// "keep-last=3,keep-daily=7" → keep_last 3, keep_daily 7, ...; "keep-all=1" → keep_all true.
// Every keep_* field is present (null when the string does not set it).
boost::json::object retention_fields(std::string_view prune_backups);

std::vector<DesiredObject> desired_storages(const std::vector<EndpointSnapshot>& endpoints,
                                            const References& refs);
// Snapshots of guests with a virtual machine in NetBox.
std::vector<DesiredObject> desired_guest_snapshots(const std::vector<EndpointSnapshot>& endpoints,
                                                   const References& refs);
// Finished tasks of guests with a virtual machine in NetBox (the model needs one).
std::vector<DesiredObject> desired_task_history(const std::vector<EndpointSnapshot>& endpoints,
                                                const References& refs);
// Replication jobs of guests with a virtual machine in NetBox, per endpoint with a plugin
// endpoint object.
std::vector<DesiredObject> desired_replications(const std::vector<EndpointSnapshot>& endpoints,
                                                const References& refs,
                                                const PluginReferences& plugin_refs);
// The guests a backup job backs up: its `vmid` list, or with `all=1` every guest (of its `node`)
// but those in `exclude`, ascending.
std::vector<int> backup_job_selection(const ProxmoxJob& job,
                                      const std::vector<ProxmoxGuest>& guests);
std::vector<DesiredObject> desired_backup_routines(const std::vector<EndpointSnapshot>& endpoints,
                                                   const References& refs,
                                                   const PluginReferences& plugin_refs);

// The plugin's ProxmoxEndpoint object for an endpoint that has none yet: its name, address and
// mode, never a secret (the plugin keeps those encrypted; proxbox-api holds its own).
boost::json::object plugin_endpoint_definition(const EndpointSnapshot& endpoint,
                                               const References& refs);

// Journal entries (extras/journal-entries) on a virtual machine.
boost::json::object vm_journal_entry(int64_t vm_id, std::string_view kind, std::string comments);

}  // namespace pbx::sync
