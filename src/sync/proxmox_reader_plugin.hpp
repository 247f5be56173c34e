#pragma once
// The reads behind the netbox-proxbox plugin's own objects: storage definitions (/storage), guest
// snapshots (/nodes/{node}/{type}/{vmid}/snapshot), finished tasks
// (/cluster/tasks and /nodes/{node}/tasks), replication jobs (/cluster/replication) and backup
// jobs (/cluster/backup). Each listing records whether it answered (PluginListings): a failed
// read is unknown, never empty, so the sync never marks stale or deletes what it could not see.

#include <boost/json/value.hpp>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>

#include "sync/snapshot.hpp"

namespace pbx::sync {

// Which plugin objects a run needs (the engine asks only for those its scope writes).
struct PluginReadSet {
  bool storages = false;
  bool snapshots = false;
  bool tasks = false;
  bool replication = false;
  bool backup_jobs = false;

  bool any() const { return storages || snapshots || tasks || replication || backup_jobs; }
};

// GET of an API path below /api2/json, answering the `data` member; throws on failure.
using ProxmoxGet = std::function<boost::json::value(const std::string& path)>;

// Fills snapshot.plugin from the endpoint (nodes and guests must already be in `snapshot`), and
// each guest's `snapshots` that is not set yet (the read cache sets those of unchanged guests).
// Never throws for a failed listing: it is recorded as not listed, with a warning.
void read_plugin_objects(const ProxmoxGet& get, const PluginReadSet& what, size_t max_in_flight,
                         const std::stop_token& stop, ProxmoxSnapshot& snapshot);

// Moves each guest's snapshot list into snapshot.plugin.snapshots and names the guest in
// listed.snapshots_of (when `listed`: the run lists snapshots); the guests keep none, so the
// lists are held once. Called after the read cache took its copies.
void collect_guest_snapshots(ProxmoxSnapshot& snapshot, bool listed);

// The parts of a task's UPID ("UPID:node:pid:pstart:starttime:type:id:user:"); nullopt when the
// text is not one.
struct Upid {
  std::string node, type, id, user;
  int64_t pid = 0, starttime = 0;
};
std::optional<Upid> parse_upid(std::string_view text);

}  // namespace pbx::sync
