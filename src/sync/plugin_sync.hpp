#pragma once
// The sync stages that write the netbox-proxbox plugin's own objects (plugin stages 2 storage,
// 4 task history, 7 snapshots, 12 replications, 13 backup routines) and the backups stage's
// deletions and journal entries (stage 6). Each stage is diff-based and bulk through the
// engine's sync_kind, so an unchanged re-sync writes nothing.
//
// A Proxmox listing that failed in this run is unknown: the NetBox objects it would have listed
// are left out of the diff, so they are neither marked stale nor deleted. Jobs (replications,
// backup routines) and snapshots that Proxmox no longer lists are marked `stale` as upstream
// does (snapshots are deleted instead when the run deletes orphans); storages follow the
// engine's orphan rule; task history is an archive and is never removed; backups gone from a
// storage whose listing succeeded are deleted.

#include <boost/json/object.hpp>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sync/diff.hpp"
#include "sync/listing_prefetch.hpp"
#include "sync/mapping.hpp"
#include "sync/netbox_client.hpp"
#include "sync/proxmox_reader_plugin.hpp"

namespace pbx::sync {

struct SyncOptions;
enum class SyncScope;

// The plugin stages a scope runs, and the Proxmox reads they need.
struct PluginStages {
  bool storage = false;
  bool task_history = false;
  bool snapshots = false;
  bool replications = false;
  bool backup_routines = false;
};
PluginStages plugin_stages_of(SyncScope scope);
PluginReadSet plugin_reads_of(SyncScope scope);

// What the stages use of the engine's run.
struct PluginStageContext {
  using KeyOf = std::function<std::string(const boost::json::object&)>;
  NetBoxClient& netbox;
  const SyncOptions& options;
  const References& refs;
  using Unknown = std::function<bool(const ObjectRef&)>;
  // The engine's load-diff-write of one kind (writes, then returns key → id); orphans are
  // queued for the engine's end-of-run deletion when `orphans_deletable`, except those
  // `unknown` names (their listing failed).
  std::function<std::map<std::string, int64_t>(
      std::string_view kind, const std::string& path, const std::vector<DesiredObject>& desired,
      std::vector<boost::json::object> current, const KeyOf& key_of, bool orphans_deletable,
      const Unknown& unknown)>
      sync_kind;
  std::function<void(std::string_view kind, const std::string& object, const std::string& message)>
      error;
  std::function<void(std::string_view kind, std::string message)> step;
  std::function<void(std::string_view kind, size_t deleted)> count_deleted;
  std::function<bool()> cancelled;  // the run's stop or deadline
  // The proxbox-tagged objects of `path` matching `filters` (mapping.hpp's list_tagged), served
  // from the run's ListingPrefetch when the listing was planned (listing_prefetch.hpp).
  std::function<std::vector<boost::json::object>(const std::string& path, http::Params filters)>
      list_tagged;
};

// The big listings (task history, snapshots) the stages of `stages` will make after the virtual
// machines' stage, in the order they make them, without the tag filter list_tagged adds: what
// the engine plans ahead (listing_prefetch.hpp). The stages compute the same filters.
std::vector<PlannedListing> plugin_listings(const PluginStageContext& context,
                                            const PluginStages& stages,
                                            const std::vector<EndpointSnapshot>& endpoints);

// Runs one stage; a NetBox failure of one stage (a plugin model missing, NetBox down) is that
// stage's error and the others still run.
template <typename Fn>
void guarded(PluginStageContext& context, std::string_view kind, Fn&& stage) {
  if (context.cancelled()) return;
  try {
    stage();
  } catch (const std::exception& stage_error) {
    context.error(kind, "", stage_error.what());
  }
}

// Runs the stages of `stages` in the plugin's order (storage, task history, snapshots,
// replications, backup routines). Never throws for a stage's problem: it becomes an error.
void sync_plugin_stages(PluginStageContext& context, const PluginStages& stages,
                        const std::vector<EndpointSnapshot>& endpoints);

// The backups stage's writes: `current` are the NetBox backups of the virtual machines in
// scope, `unlisted` the ids among them whose listing failed in this run
// (read_coverage.hpp's backups_not_listed). Backups of guests this run read that Proxmox no
// longer lists, and that are not unlisted, are deleted now (a full update's rule, whatever
// delete_orphans says); the rest is diffed as usual. When NetBox has the journal-entries model,
// each backup created or deleted gets a journal entry on its virtual machine.
void write_backups(PluginStageContext& context, const std::vector<EndpointSnapshot>& endpoints,
                   const std::vector<DesiredObject>& desired,
                   std::vector<boost::json::object> current, const std::set<int64_t>& unlisted);

}  // namespace pbx::sync
