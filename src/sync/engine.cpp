#include "sync/engine.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <iterator>
#include <map>
#include <mutex>
#include <set>

#include "common/clock.hpp"
#include "sync/guest_tags.hpp"
#include "sync/json_util.hpp"
#include "sync/listing_prefetch.hpp"
#include "sync/network_sync.hpp"
#include "sync/parallel.hpp"
#include "sync/plugin_sync.hpp"
#include "sync/read_coverage.hpp"

namespace pbx::sync {
namespace json = boost::json;

namespace {

constexpr const char* kCustomFieldsPath = "/extras/custom-fields/";
constexpr const char* kTagsPath = "/extras/tags/";
constexpr const char* kClusterTypesPath = "/virtualization/cluster-types/";
constexpr const char* kManufacturersPath = "/dcim/manufacturers/";
constexpr const char* kDeviceTypesPath = "/dcim/device-types/";
constexpr const char* kRolesPath = "/dcim/device-roles/";
constexpr const char* kSitesPath = "/dcim/sites/";
constexpr const char* kClustersPath = "/virtualization/clusters/";
constexpr const char* kDevicesPath = "/dcim/devices/";
constexpr const char* kVmsPath = "/virtualization/virtual-machines/";
constexpr const char* kBackupsPath = "/plugins/proxbox/backups/";

http::Params filter_values(std::string_view name, const std::vector<std::string>& values) {
  http::Params params;
  for (const auto& value : values)
    params.emplace_back(std::string(name), value);
  return params;
}

std::vector<std::string> keys_of(const std::vector<DesiredObject>& objects) {
  std::vector<std::string> keys;
  for (const auto& object : objects)
    keys.push_back(object.key);
  return keys;
}

}  // namespace

KindCounts SyncSummary::totals() const {
  KindCounts total;
  for (const auto& [name, counts] : kinds) {
    total.created += counts.created;
    total.updated += counts.updated;
    total.unchanged += counts.unchanged;
    total.deleted += counts.deleted;
    total.orphans += counts.orphans;
    total.errors += counts.errors;
    total.unknown += counts.unknown;
  }
  total.errors = std::max(total.errors, errors.size());
  return total;
}

namespace {

json::object counts_json(const KindCounts& counts) {
  return json::object{{"created", counts.created},     {"updated", counts.updated},
                      {"unchanged", counts.unchanged}, {"deleted", counts.deleted},
                      {"orphans", counts.orphans},     {"errors", counts.errors},
                      {"unknown", counts.unknown}};
}

}  // namespace

json::object SyncSummary::to_json() const {
  json::object summary = counts_json(totals());
  json::object per_kind;
  for (const auto& [name, counts] : kinds)
    per_kind[name] = counts_json(counts);
  summary["kinds"] = std::move(per_kind);
  json::array messages;
  for (const auto& message : errors)
    messages.push_back(json::string(message));
  summary["error_messages"] = std::move(messages);
  summary["dry_run"] = dry_run;
  summary["cancelled"] = cancelled;
  summary["timed_out"] = timed_out;
  summary["ok"] = ok();
  summary["scope"] = scope;
  summary["duration_ms"] = duration.count();
  summary["proxmox_read_ms"] = proxmox_read.count();
  summary["proxmox_requests"] = proxmox_requests;
  summary["guests_read"] = guests_read;
  summary["guests_cached"] = guests_cached;
  summary["netbox_requests"] = json::object{{"get", netbox_requests.get},
                                            {"post", netbox_requests.post},
                                            {"patch", netbox_requests.patch},
                                            {"delete", netbox_requests.del}};
  return summary;
}

// The state of one run: summary, references resolved so far, orphans to delete at the end.
struct SyncEngine::Run {
  NetBoxClient& netbox;
  const SyncOptions& options;
  const EventCallback& on_event;
  SyncSummary summary;
  References refs;
  std::mutex mutex;
  struct PendingDelete {
    std::string kind, path;
    std::vector<int64_t> ids;
  };
  std::vector<PendingDelete> deletions;  // in layer order; executed in reverse
  // The listings of the stages after the virtual machines', while those stages run.
  std::optional<ListingPrefetch> prefetch;
  std::chrono::steady_clock::time_point phase_started = std::chrono::steady_clock::now();

  // The caller's stop or the process shutdown, combined by run(); and the run's deadline.
  std::stop_token stop;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();

  bool timed_out() const { return std::chrono::steady_clock::now() >= deadline; }
  bool cancelled() const { return stop.stop_requested() || timed_out(); }

  // NetBox refusing one item (4xx) is that item's error; NetBox failing (5xx, no answer, circuit
  // open) is the run's: rethrown, never retried item by item.
  static void rethrow_unless_refusal(const std::exception& failure) {
    const auto* refusal = dynamic_cast<const NetBoxError*>(&failure);
    if (!refusal || refusal->status() >= 500) throw;
  }

  // Where a run's time goes, at debug level (sync_bench --log-level debug shows it).
  void phase_done(std::string_view phase) {
    const auto now = std::chrono::steady_clock::now();
    spdlog::debug(
        "sync phase {}: {} ms", phase,
        std::chrono::duration_cast<std::chrono::milliseconds>(now - phase_started).count());
    phase_started = now;
  }

  void emit(std::string type, json::object data) {
    if (on_event) on_event({std::move(type), std::move(data)});
  }

  void step(std::string_view name, std::string message) {
    emit("step", json::object{{"step", name}, {"message", std::move(message)}});
  }

  void error(std::string_view kind, const std::string& object, const std::string& message) {
    std::lock_guard lock(mutex);
    summary.kinds[std::string(kind)].errors++;
    summary.errors.push_back(object.empty() ? message : object + ": " + message);
    emit("error", json::object{{"step", kind}, {"object", object}, {"message", message}});
  }

  // Writes in bulk, up to NetBoxClient::kWritesInFlight chunks at once (the items of one write
  // never refer to each other); when NetBox refuses a chunk (all-or-nothing), writes its items
  // one by one so that one bad object does not hold back the others. A cancellation takes effect
  // between chunks: a chunk sent is one NetBox transaction, so nothing is left half-written.
  std::vector<json::object> write_isolating(std::string_view kind, const std::string& path,
                                            http::Verb verb, const std::vector<json::object>& items,
                                            const std::vector<std::string>& labels) {
    // Per chunk, so that the written objects keep the items' order.
    std::vector<std::vector<json::object>> written(NetBoxClient::write_chunk_count(items.size()));
    size_t done = 0;  // items answered, under `mutex`
    NetBoxClient::for_each_write_chunk(items.size(), [&](size_t index, size_t start, size_t end) {
      if (cancelled()) return;
      written[index] = write_chunk(kind, path, verb, items, labels, start, end);
      std::lock_guard lock(mutex);
      done += end - start;
      if (items.size() > NetBoxClient::kWriteChunk) {
        step(kind, std::string(kind) + ": " + std::to_string(done) + " of " +
                       std::to_string(items.size()) +
                       (verb == http::Verb::post ? " created" : " updated"));
      }
      // Per batch, for the API's `item_progress` events: how far this kind's writes are.
      emit("item_progress",
           json::object{{"phase", kind},
                        {"operation", verb == http::Verb::post ? "create" : "update"},
                        {"current", done},
                        {"total", items.size()},
                        {"item", labels[end - 1]}});
    });
    std::vector<json::object> all;
    all.reserve(items.size());
    for (auto& chunk : written)
      std::move(chunk.begin(), chunk.end(), std::back_inserter(all));
    return all;
  }

  // items[start, end) as one bulk write, or item by item when NetBox refuses the chunk.
  std::vector<json::object> write_chunk(std::string_view kind, const std::string& path,
                                        http::Verb verb, const std::vector<json::object>& items,
                                        const std::vector<std::string>& labels, size_t start,
                                        size_t end) {
    auto write = [&](const std::vector<json::object>& batch) {
      return verb == http::Verb::post ? netbox.create(path, batch) : netbox.update(path, batch);
    };
    const std::vector<json::object> chunk(items.begin() + start, items.begin() + end);
    try {
      return write(chunk);
    } catch (const std::exception& chunk_error) {
      rethrow_unless_refusal(chunk_error);
      if (chunk.size() == 1) {
        error(kind, labels[start], chunk_error.what());
        return {};
      }
    }
    std::vector<json::object> written;
    for (size_t i = start; i < end && !cancelled(); ++i) {
      try {
        auto result = write({items[i]});
        written.insert(written.end(), result.begin(), result.end());
      } catch (const std::exception& item_error) {
        rethrow_unless_refusal(item_error);
        error(kind, labels[i], item_error.what());
      }
    }
    return written;
  }

  // Loads, diffs and writes one kind. Returns key → id of every desired object that exists
  // afterwards, and 0 for those a dry run of a written layer would create (a layer only read
  // for its ids has no entry for objects NetBox does not hold).
  std::map<std::string, int64_t> sync_kind(
      std::string_view kind, const std::string& path, const std::vector<DesiredObject>& desired,
      std::vector<json::object> current_objects,
      const std::function<std::string(const json::object&)>& key_of, bool write,
      bool orphans_deletable, const DiffOptions& diff_options = {},
      const std::function<bool(const ObjectRef&)>& unknown = {}) {
    std::vector<CurrentObject> current;
    current.reserve(current_objects.size());
    for (auto& object : current_objects) {
      const int64_t id = json_int(field(object, "id"));
      std::string key = key_of(object);
      current.push_back({id, std::move(key), std::move(object)});
    }
    current_objects.clear();
    phase_done(std::string(kind) + " load");
    Plan plan = diff(desired, current, diff_options);
    current.clear();
    KindCounts& counts = summary.kinds[std::string(kind)];
    if (unknown) {
      // Not orphans: the read that would have listed them failed. Kept as they are.
      std::erase_if(plan.orphans, [&](const ObjectRef& orphan) {
        return unknown(orphan) && ++counts.unknown > 0;
      });
    }
    phase_done(std::string(kind) + " diff");
    std::map<std::string, int64_t> ids;
    for (const auto& object : plan.unchanged)
      ids[object.key] = object.id;
    for (const auto& update : plan.updates)
      ids[update.key] = update.id;
    counts.unchanged += plan.unchanged.size();
    if (orphans_deletable) counts.orphans += plan.orphans.size();

    if (!write) {
      // Read only for its ids (e.g. the virtual machines of the backups route): nothing to report.
    } else if (options.dry_run) {
      counts.created += plan.creates.size();
      counts.updated += plan.updates.size();
      for (const auto& create : plan.creates)
        ids.emplace(create.key, 0);
    } else {
      if (!plan.creates.empty()) {
        std::vector<json::object> items;
        std::vector<std::string> labels;
        for (const auto& create : plan.creates) {
          items.push_back(create.fields);
          labels.push_back(create.key);
        }
        for (const auto& created : write_isolating(kind, path, http::Verb::post, items, labels)) {
          ids[key_of(created)] = json_int(field(created, "id"));
          counts.created++;
        }
      }
      if (!plan.updates.empty()) {
        std::vector<json::object> items;
        std::vector<std::string> labels;
        for (const auto& update : plan.updates) {
          items.push_back(update.patch);
          labels.push_back(update.key);
        }
        counts.updated += write_isolating(kind, path, http::Verb::patch, items, labels).size();
      }
    }
    phase_done(std::string(kind) + " write");
    if (orphans_deletable && !plan.orphans.empty()) {
      PendingDelete pending{std::string(kind), path, {}};
      for (const auto& orphan : plan.orphans)
        pending.ids.push_back(orphan.id);
      deletions.push_back(std::move(pending));
    }
    // For the API's `phase_summary` events: the plan of this kind (a dry run's would-be counts).
    emit("phase_summary", json::object{{"phase", kind},
                                       {"result", json::object{{"created", plan.creates.size()},
                                                               {"updated", plan.updates.size()},
                                                               {"unchanged", plan.unchanged.size()},
                                                               {"orphans", plan.orphans.size()}}}});
    step(kind, std::string(kind) + ": " + std::to_string(plan.creates.size()) + " new, " +
                   std::to_string(plan.updates.size()) + " changed, " +
                   std::to_string(plan.unchanged.size()) + " unchanged, " +
                   std::to_string(plan.orphans.size()) + " orphaned");
    return ids;
  }

  // Objects matched by slug (tags, types, roles, sites): shared with whatever else lives in
  // NetBox, so never deleted.
  std::map<std::string, int64_t> ensure_by_slug(std::string_view kind, const std::string& path,
                                                const std::vector<DesiredObject>& desired,
                                                bool write) {
    if (desired.empty() || cancelled()) return {};
    http::Params filters = filter_values("slug", keys_of(desired));
    filters.push_back(fields_to_read(desired, {"slug"}));
    return sync_kind(kind, path, desired, netbox.list(path, filters), slug_key, write, false);
  }

  // What the plugin stages (plugin_sync.hpp) use of this run.
  PluginStageContext plugin_context() {
    return {netbox,
            options,
            refs,
            [this](std::string_view kind, const std::string& path,
                   const std::vector<DesiredObject>& desired, std::vector<json::object> current,
                   const PluginStageContext::KeyOf& key_of, bool orphans_deletable,
                   const PluginStageContext::Unknown& unknown) {
              return sync_kind(kind, path, desired, std::move(current), key_of, true,
                               orphans_deletable, {}, unknown);
            },
            [this](std::string_view kind, const std::string& object, const std::string& message) {
              error(kind, object, message);
            },
            [this](std::string_view kind, std::string message) { step(kind, std::move(message)); },
            [this](std::string_view kind, size_t deleted) {
              summary.kinds[std::string(kind)].deleted += deleted;
            },
            [this] { return cancelled(); },
            [this](const std::string& path, http::Params filters) {
              return list_tagged_ahead(path, std::move(filters));
            }};
  }

  // list_tagged (mapping.hpp), served by the prefetch while one runs.
  std::vector<json::object> list_tagged_ahead(const std::string& path, http::Params filters) {
    if (refs.tag <= 0) return {};
    filters.emplace_back("tag", kTagSlug);
    return prefetch ? prefetch->take(path, filters) : netbox.list(path, filters);
  }

  // Starts the big listings of the stages after the virtual machines' (listing_prefetch.hpp).
  // Each kind there is written by its own stage alone, so a listing made now is the one its
  // stage would make.
  void plan_listings(PluginStageContext& context, const std::vector<EndpointSnapshot>& endpoints,
                     const NetBoxVersion& version, bool plugin_objects,
                     const std::optional<http::Params>& backup_filters) {
    if (options.listings_ahead == 0 || refs.tag <= 0) return;
    std::vector<PlannedListing> listings;
    if (plugin_objects)
      listings = plugin_listings(context, plugin_stages_of(options.scope), endpoints);
    for (auto& listing :
         network_listings(context, network_stages_of(options.scope), endpoints, version))
      listings.push_back(std::move(listing));
    if (backup_filters) listings.push_back({kBackupsPath, *backup_filters});
    for (auto& listing : listings)
      listing.filters.emplace_back("tag", kTagSlug);
    prefetch.emplace([this](const std::string& path,
                            const http::Params& filters) { return netbox.list(path, filters); },
                     options.listings_ahead);
    prefetch->plan(std::move(listings));
  }

  void delete_orphans() {
    for (auto it = deletions.rbegin(); it != deletions.rend(); ++it) {
      if (!options.delete_orphans || options.dry_run || cancelled()) continue;
      try {
        netbox.remove(it->path, it->ids);
        summary.kinds[it->kind].deleted += it->ids.size();
      } catch (const std::exception& delete_error) {
        error(it->kind, "", std::string("deleting orphans failed: ") + delete_error.what());
      }
    }
  }

  static http::Params backup_filters(const std::vector<DesiredObject>& backups) {
    return {fields_to_read(backups, {"virtual_machine", "volume_id", "storage"})};
  }

  // NetBox, layer by layer (the ids of one layer feed the next); returns early when cancelled.
  void sync_netbox(const std::vector<EndpointSnapshot>& endpoints) {
    const NetBoxStatus status = netbox.status();
    MappingContext context{status.version, common::utc_now_iso8601()};
    const bool write_vms =
        options.scope == SyncScope::virtual_machines || options.scope == SyncScope::full;
    // The other stages read devices and virtual machines only for their ids.
    const bool write_devices = options.scope == SyncScope::devices || write_vms;
    const bool sync_backups =
        options.scope == SyncScope::backups || options.scope == SyncScope::full;

    if (!options.dry_run) ensure_custom_fields(netbox, status);
    const auto tag_ids = ensure_by_slug("tags", kTagsPath, {{kTagSlug, tag_definition()}}, true);
    refs.tag = tag_ids.count(kTagSlug) ? tag_ids.at(kTagSlug) : 0;
    if (endpoints.empty()) return;

    ensure_references(endpoints, write_devices);
    if (cancelled()) return;

    const auto clusters = desired_clusters(endpoints, refs, context);
    http::Params cluster_filters = filter_values("name", keys_of(clusters));
    cluster_filters.push_back(fields_to_read(clusters, {"name"}));
    refs.clusters =
        sync_kind("clusters", kClustersPath, clusters, netbox.list(kClustersPath, cluster_filters),
                  current_cluster_key, write_devices, false);
    if (cancelled()) return;

    std::vector<std::string> cluster_ids;
    for (const auto& [name, id] : refs.clusters) {
      if (id > 0) cluster_ids.push_back(std::to_string(id));
    }
    const auto devices = desired_devices(endpoints, refs);
    refs.devices =
        sync_kind("devices", kDevicesPath, devices,
                  owned_in_clusters(cluster_ids, kDevicesPath, devices, {"cluster", "name"}),
                  current_device_key, write_devices, write_devices);
    if (options.scope == SyncScope::devices || cancelled()) return;
    phase_done("devices");

    const OwnedVms owned = sync_vms(endpoints, context, cluster_ids, write_vms);
    if (cancelled()) return;
    auto plugin = plugin_context();
    // The plugin's own objects (storage, snapshots, task history, replications, backup routines,
    // backups) live in its API; a NetBox without the plugin has nowhere to put them.
    const bool plugin_objects = status.proxbox_plugin;
    if (!plugin_objects) {
      step("plugin", std::string("skipped the netbox-proxbox plugin's objects: /api/status/ of "
                                 "NetBox lists no ") +
                         kProxboxPluginName);
    }
    const bool backups_listed = sync_backups && plugin_objects && !owned.ids.empty();
    // The backups' mapping errors are reported when the backups stage maps them again.
    plan_listings(plugin, endpoints, context.version, plugin_objects,
                  backups_listed
                      ? std::optional(backup_filters(desired_backups(endpoints, refs).objects))
                      : std::nullopt);
    struct EndPrefetch {
      std::optional<ListingPrefetch>& prefetch;
      size_t& served;
      ~EndPrefetch() {
        if (!prefetch) return;
        served = prefetch->served();
        prefetch.reset();  // joins what is still listing
      }
    } end_prefetch{prefetch, summary.listings_served_ahead};
    if (plugin_objects) sync_plugin_stages(plugin, plugin_stages_of(options.scope), endpoints);
    sync_network_stages(plugin, network_stages_of(options.scope), endpoints, context.version);
    if (!sync_backups || !plugin_objects || cancelled()) return;
    phase_done("virtual_machines");

    sync_backup_volumes(endpoints, backups_listed, owned);
  }

  // The shared references every device and virtual machine points at: cluster types, the
  // manufacturer, device roles, the device type and the sites.
  void ensure_references(const std::vector<EndpointSnapshot>& endpoints, bool write_devices) {
    refs.cluster_types = ensure_by_slug("cluster_types", kClusterTypesPath,
                                        desired_cluster_types(endpoints, refs), write_devices);
    refs.manufacturer =
        ensure_by_slug("manufacturers", kManufacturersPath, {desired_manufacturer(refs)},
                       write_devices)[kManufacturerSlug];
    const auto roles =
        ensure_by_slug("device_roles", kRolesPath, desired_roles(refs), write_devices);
    auto role = [&](const char* slug) { return roles.count(slug) ? roles.at(slug) : 0; };
    refs.node_role = role(kNodeRoleSlug);
    refs.qemu_role = role(kQemuRoleSlug);
    refs.lxc_role = role(kLxcRoleSlug);
    refs.device_type = ensure_by_slug("device_types", kDeviceTypesPath, {desired_device_type(refs)},
                                      write_devices)[kDeviceTypeSlug];
    refs.sites = ensure_by_slug("sites", kSitesPath, desired_sites(endpoints, refs), write_devices);
  }

  // The objects at `path` proxbox owns (tagged) in the clusters `cluster_ids`; none without one.
  std::vector<json::object> owned_in_clusters(const std::vector<std::string>& cluster_ids,
                                              const char* path,
                                              const std::vector<DesiredObject>& desired,
                                              std::initializer_list<std::string_view> key_fields) {
    if (cluster_ids.empty()) return std::vector<json::object>{};
    http::Params filters = filter_values("cluster_id", cluster_ids);
    filters.push_back(fields_to_read(desired, key_fields));
    return list_tagged(netbox, refs, path, std::move(filters));
  }

  // Every virtual machine proxbox owns in the clusters (orphans included) by id, with its
  // cluster's name: whose backups are ours to judge.
  struct OwnedVms {
    std::set<int64_t> ids;
    std::map<int64_t, std::string> clusters;
  };

  // The guest tags and the virtual machines; returns the virtual machines proxbox owns.
  OwnedVms sync_vms(const std::vector<EndpointSnapshot>& endpoints, const MappingContext& context,
                    const std::vector<std::string>& cluster_ids, bool write_vms) {
    refs.guest_tags =
        ensure_by_slug("guest_tags", kTagsPath, desired_guest_tags(endpoints), write_vms);
    const auto [vms, mapping_errors] = desired_vms(endpoints, refs, context);
    for (const auto& mapping_error : mapping_errors) {
      error("virtual_machines", mapping_error.endpoint + " " + mapping_error.object,
            mapping_error.message);
    }
    phase_done("map virtual_machines");
    auto current_vms = owned_in_clusters(cluster_ids, kVmsPath, vms, {"cluster", "custom_fields"});
    // Backups of every virtual machine proxbox owns in these clusters are ours to judge,
    // orphans included.
    OwnedVms owned;
    std::set<int64_t>& vm_ids = owned.ids;
    std::map<int64_t, std::string>& vm_clusters = owned.clusters;
    // Guests Proxmox listed without a desired virtual machine (unreadable, unmappable) keep
    // theirs untouched; its id still links the guest's backups.
    const auto kept_guests = guests_without_desired_vm(endpoints, vms);
    std::map<std::string, int64_t> kept_vm_ids;
    for (const auto& vm : current_vms) {
      const int64_t id = json_int(field(vm, "id"));
      vm_ids.insert(id);
      vm_clusters[id] = nested_name(vm, "cluster");
      if (const auto key = current_vm_key(vm); kept_guests.count(key)) kept_vm_ids[key] = id;
    }
    DiffOptions vm_diff;
    vm_diff.volatile_custom_fields.insert(kLastUpdatedField);
    refs.vms = sync_kind("virtual_machines", kVmsPath, vms, std::move(current_vms), current_vm_key,
                         write_vms, write_vms, vm_diff,
                         [&](const ObjectRef& vm) { return kept_guests.count(vm.key) > 0; });
    refs.vms.insert(kept_vm_ids.begin(), kept_vm_ids.end());
    for (const auto& [key, id] : refs.vms)
      vm_ids.insert(id);
    return owned;
  }

  // The backups stage: the listed backups of the virtual machines proxbox owns against the
  // backups Proxmox holds.
  void sync_backup_volumes(const std::vector<EndpointSnapshot>& endpoints, bool backups_listed,
                           const OwnedVms& owned) {
    for (const auto& endpoint : endpoints) {
      for (const auto& failure : endpoint.snapshot.backup_coverage.failures) {
        error("backups", endpoint.snapshot.endpoint_name,
              failure + "; the backups it holds are kept in NetBox as they are");
      }
    }
    const auto [backups, backup_errors] = desired_backups(endpoints, refs);
    for (const auto& mapping_error : backup_errors) {
      error("backups", mapping_error.endpoint + " " + mapping_error.object, mapping_error.message);
    }
    phase_done("map backups");
    std::vector<json::object> current_backups;
    if (backups_listed) {
      for (auto& backup : list_tagged_ahead(kBackupsPath, backup_filters(backups))) {
        const auto* vm = backup.if_contains("virtual_machine");
        const int64_t vm_id =
            vm && vm->is_object() ? json_int(field(vm->as_object(), "id")) : json_int(vm);
        if (owned.ids.count(vm_id)) current_backups.push_back(std::move(backup));
      }
    }
    const auto unlisted = backups_not_listed(endpoints, current_backups, owned.clusters);
    auto backups_context = plugin_context();
    write_backups(backups_context, endpoints, backups, std::move(current_backups), unlisted);
  }
};

SyncEngine::SyncEngine(NetBoxClient& netbox, std::vector<ProxmoxSource> sources,
                       SyncOptions options, EventCallback on_event)
    : netbox_(netbox),
      sources_(std::move(sources)),
      options_(std::move(options)),
      on_event_(std::move(on_event)) {}

SyncSummary SyncEngine::run() {
  const auto started = std::chrono::steady_clock::now();
  const NetBoxWriteCounts counts_before = netbox_.counts();
  Run run{netbox_, options_, on_event_};
  // The run's own stop: the caller's or the process shutdown, whichever comes first. Every
  // request of the run carries it and the deadline, so neither waits out a silent server.
  std::stop_source stop;
  std::stop_callback stop_on_request(options_.stop, [&] { stop.request_stop(); });
  std::stop_callback stop_on_shutdown(options_.limits.shutdown, [&] { stop.request_stop(); });
  run.stop = stop.get_token();
  run.deadline = started + options_.limits.run_timeout;
  struct ControlScope {
    NetBoxClient& netbox;
    ~ControlScope() { netbox.set_control({}); }
  } control_scope{netbox_};
  netbox_.set_control({run.deadline, run.stop});
  run.summary.dry_run = options_.dry_run;
  run.summary.scope = std::string(to_string(options_.scope));
  run.step("proxmox", "reading " + std::to_string(sources_.size()) + " Proxmox endpoint" +
                          (sources_.size() == 1 ? "" : "s"));

  // 1. Proxmox: every endpoint at once, each with its own bounded pool.
  ReaderOptions reader_options = options_.reader;
  reader_options.stop = run.stop;
  reader_options.plugin = plugin_reads_of(options_.scope);
  reader_options.read_node_network = network_stages_of(options_.scope).node_interfaces;
  reader_options.read_sdn = network_stages_of(options_.scope).sdn;
  reader_options.deadline = run.deadline;
  std::vector<std::optional<EndpointSnapshot>> read(sources_.size());
  parallel_for(sources_.size(), sources_.size(), [&](size_t i) {
    const auto& source = sources_[i];
    try {
      ProxmoxReader reader(*source.transport, source.credentials, reader_options);
      EndpointSnapshot endpoint{reader.read(source.name), source.site_name, source.tenant_id};
      std::lock_guard lock(run.mutex);
      run.summary.proxmox_requests += endpoint.snapshot.requests;
      run.summary.guests_read += endpoint.snapshot.guests_read;
      run.summary.guests_cached += endpoint.snapshot.guests_cached;
      read[i] = std::move(endpoint);
    } catch (const std::exception& read_error) {
      run.error("proxmox", source.name, read_error.what());
    }
  });
  run.phase_done("proxmox read");
  run.summary.proxmox_read = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  std::vector<EndpointSnapshot> endpoints;
  for (auto& endpoint : read) {
    if (!endpoint) continue;
    run.step("proxmox", "read " + endpoint->snapshot.endpoint_name + ": cluster " +
                            endpoint->snapshot.cluster_name + ", " +
                            std::to_string(endpoint->snapshot.nodes.size()) + " nodes, " +
                            std::to_string(endpoint->snapshot.guests.size()) + " guests, " +
                            std::to_string(endpoint->snapshot.backups.size()) + " backups");
    endpoints.push_back(std::move(*endpoint));
  }

  // 2. NetBox. A snapshot read while a stop was requested may be partial: never diff it.
  if (!run.cancelled()) {
    try {
      run.sync_netbox(endpoints);
    } catch (const std::exception& netbox_error) {
      // A request cut short by the stop or the deadline ends the run, not the summary.
      if (!run.cancelled()) throw;
      spdlog::warn("sync ({}) stopped during a NetBox request: {}", run.summary.scope,
                   netbox_error.what());
    }
  }
  run.phase_done("netbox");
  run.delete_orphans();

  const NetBoxWriteCounts counts_after = netbox_.counts();
  run.summary.netbox_requests = {
      counts_after.get - counts_before.get, counts_after.post - counts_before.post,
      counts_after.patch - counts_before.patch, counts_after.del - counts_before.del};
  run.summary.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  run.summary.cancelled = run.stop.stop_requested();
  run.summary.timed_out = !run.summary.cancelled && run.timed_out();
  if (run.summary.timed_out) {
    run.error("sync", "",
              "the run's deadline of " + std::to_string(options_.limits.run_timeout.count()) +
                  " ms passed: stopped there, no orphan deleted; the next run finishes the job");
  }
  if (run.summary.cancelled) {
    const KindCounts totals = run.summary.totals();
    spdlog::warn(
        "sync ({}) cancelled after {} ms: stopped between write batches with {} created, {} "
        "updated, {} NetBox writes; no orphans deleted",
        run.summary.scope, run.summary.duration.count(), totals.created, totals.updated,
        run.summary.netbox_requests.writes());
  }
  run.emit("complete", run.summary.to_json());
  return std::move(run.summary);
}

std::vector<json::object> ensure_custom_fields(NetBoxClient& netbox, const NetBoxStatus& status) {
  auto current = read_custom_fields(netbox, status);
  std::vector<json::object> missing, widened;
  for (auto& state : compare_custom_fields(status, current)) {
    if (!state.current) {
      missing.push_back(std::move(state.wanted));
      continue;
    }
    // A field someone else created (the plugin creates some for VMs only) must also cover the
    // object types we write it on, or NetBox refuses those objects: add ours, keep theirs. Its
    // other attributes are reconcile's to change, not the sync's.
    if (auto* types = state.patch.if_contains("object_types")) {
      widened.push_back(
          json::object{{"id", state.current->at("id")}, {"object_types", std::move(*types)}});
    }
  }
  if (!widened.empty()) {
    std::map<std::string, size_t> present;  // name -> index in `current`
    for (size_t i = 0; i < current.size(); ++i)
      present.emplace(json_string(field(current[i], "name")), i);
    for (auto& object : netbox.update(kCustomFieldsPath, widened)) {
      const auto found = present.find(json_string(field(object, "name")));
      if (found != present.end()) current[found->second] = std::move(object);
    }
  }
  if (!missing.empty()) {
    auto created = netbox.create(kCustomFieldsPath, missing);
    current.insert(current.end(), created.begin(), created.end());
  }
  const auto tags = netbox.list(kTagsPath, {{"slug", kTagSlug}});
  if (tags.empty()) netbox.create(kTagsPath, {tag_definition()});
  return current;
}

}  // namespace pbx::sync
