#pragma once
// One sync run: read every Proxmox endpoint concurrently, load NetBox's current state once per
// kind, diff in memory, then bulk-create and bulk-patch only what changed, layer by layer
// (the ids of one layer feed the next). Orphans are deleted last, deepest first, and only when
// asked. A guest that cannot be mapped, or an item NetBox rejects, is an `error` event; the
// rest of the run continues. The backups scope writes no virtual machines: a backup whose guest
// is not in NetBox yet is skipped with one `error` event per guest saying so.

#include <boost/json/object.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "common/enum_names.hpp"
#include "sync/mapping.hpp"
#include "sync/netbox_client.hpp"
#include "sync/proxmox_reader.hpp"
#include "sync/transport.hpp"

namespace pbx::sync {

// The plugin's stages: devices (1), storage (2), virtual machines (3), task history (4),
// backups (6), snapshots (7), replications (12), backup routines (13); `full` runs them all.
enum class SyncScope {
  devices,
  virtual_machines,
  backups,
  full,
  storage,
  task_history,
  snapshots,
  replications,
  backup_routines,
  virtual_disks,    // 5 (network_sync.hpp)
  node_interfaces,  // 8
  vm_interfaces,    // 9
  ip_addresses,     // 10
  sdn               // 11
};
BOOST_DESCRIBE_ENUM(SyncScope, devices, virtual_machines, backups, full, storage, task_history,
                    snapshots, replications, backup_routines, virtual_disks, node_interfaces,
                    vm_interfaces, ip_addresses, sdn)
// The enumerator's name ("virtual_machines"): the scope's one spelling in reports and the API.
inline std::string_view to_string(SyncScope scope) {
  return common::enum_name(scope);
}

struct ProxmoxSource {
  std::string name;  // for messages ("pve1" or the endpoint's name)
  ProxmoxCredentials credentials;
  std::shared_ptr<Transport> transport;
  std::string site_name;  // empty: the default site per cluster
  std::optional<int64_t> tenant_id;
};

// Bounds of a run, set by whoever runs syncs (the service, the CLI) for all of them.
struct RunLimits {
  // No request of the run is sent or waited for after `run_timeout` from its start; the run
  // then ends like a cancelled one (nothing deleted) with `timed_out` and an error.
  std::chrono::milliseconds run_timeout{std::chrono::hours(1)};
  // The process is stopping (SIGTERM): requests in flight are aborted, the run ends at once
  // and its summary says `cancelled`.
  std::stop_token shutdown;
};

struct SyncOptions {
  SyncScope scope = SyncScope::full;
  RunLimits limits;
  bool delete_orphans = false;
  bool dry_run = false;
  ReaderOptions reader;
  // How many of the big NetBox listings after the virtual machines' stage (task history,
  // snapshots, disks, VM interfaces, MACs, addresses, backups) are listed ahead of their stage
  // and held at once (listing_prefetch.hpp); 0: each stage lists when it comes to it.
  size_t listings_ahead = 2;
  // A stop request (the SSE client went away, the service stops) ends the run at the next
  // phase or write batch: a batch already sent completes, nothing after it is written and no
  // orphan is deleted. The summary then says `cancelled`.
  std::stop_token stop;
};

// `orphans`: objects Proxmox no longer has (deleted with delete_orphans). `unknown`: objects
// whose Proxmox read failed in this run; kept as they are (never updated, never deleted) and
// each reported as an error.
struct KindCounts {
  size_t created = 0, updated = 0, unchanged = 0, deleted = 0, orphans = 0, errors = 0, unknown = 0;
};

struct SyncSummary {
  std::map<std::string, KindCounts> kinds;  // "devices", "virtual_machines", ...
  std::vector<std::string> errors;
  size_t proxmox_requests = 0;
  // Guests whose config (and agent) was requested in this run, and those served from the read
  // cache without a request (ReaderOptions::read_cache).
  size_t guests_read = 0, guests_cached = 0;
  NetBoxWriteCounts netbox_requests;
  // Listings a stage took from the prefetch (SyncOptions::listings_ahead); not in to_json().
  size_t listings_served_ahead = 0;
  std::chrono::milliseconds duration{0};
  std::chrono::milliseconds proxmox_read{0};  // part of `duration` spent reading Proxmox
  bool dry_run = false;
  bool cancelled = false;
  bool timed_out = false;  // the run's deadline ended it
  std::string scope;

  KindCounts totals() const;
  // Everything was read and written: no error, no unknown object, not cancelled or timed out.
  bool ok() const { return errors.empty() && !cancelled && !timed_out; }
  boost::json::object to_json() const;
};

// `type` is "step", "error", "item_progress" (per write batch: phase, operation, current, total,
// item), "phase_summary" (per kind: phase, result counts of its plan) or "complete"; `data` is
// the event's JSON payload.
struct SyncEvent {
  std::string type;
  boost::json::object data;
};
using EventCallback = std::function<void(const SyncEvent&)>;

class SyncEngine {
 public:
  SyncEngine(NetBoxClient& netbox, std::vector<ProxmoxSource> sources, SyncOptions options,
             EventCallback on_event = {});
  // Never throws for per-object problems; throws NetBoxError / TransportError only when NetBox
  // itself cannot be read or written (nothing sensible can be done then: NetBox answering 5xx or
  // not at all stops the run, no per-item fallback). A run that is stopped or passes its
  // deadline returns its summary instead, also when that cut a NetBox request short.
  SyncSummary run();

 private:
  struct Run;
  NetBoxClient& netbox_;
  std::vector<ProxmoxSource> sources_;
  SyncOptions options_;
  EventCallback on_event_;
};

// Creates the custom fields this NetBox can hold (custom_fields_for) and the `proxbox` tag the
// sync writes, when missing, and adds our object types to a field that exists without them
// (idempotent; other attributes are left to `reconcile`). Returns the custom field objects as
// NetBox holds them.
std::vector<boost::json::object> ensure_custom_fields(NetBoxClient& netbox,
                                                      const NetBoxStatus& status);

}  // namespace pbx::sync
