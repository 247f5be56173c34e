#pragma once
// The Service's state and route registration, shared by its sources (private to src/api):
// service.cpp (construction, the key check, endpoint selection, the meta and key routes),
// service_endpoints.cpp (the NetBox and Proxmox endpoint routes) and service_sync.cpp (the sync
// slot, stage runs, /sync/status, the custom-field route and the plugin's routes).

#include <boost/json/object.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/endpoint_store.hpp"
#include "api/keys.hpp"
#include "api/plugin_routes.hpp"
#include "api/route_doc.hpp"
#include "api/service.hpp"
#include "common/result.hpp"
#include "common/sqlite.hpp"
#include "http/router.hpp"

namespace pbx::api {

// The body as a JSON object, or nullopt when it is not one.
std::optional<boost::json::object> parse_object(const std::string& body);

struct Service::Impl {
  ServiceOptions options;
  std::mutex database_mutex;
  common::Database database;
  KeyStore keys;
  EndpointStore endpoints;
  KeyGuard key_guard;
  http::Router router;
  std::vector<RouteDoc> docs;
  // What earlier syncs read of each guest (sync/guest_read_cache.hpp), kept in `database`.
  std::shared_ptr<sync::GuestReadCache> read_cache;

  // One sync at a time: two would race on the same NetBox objects. A second request while one
  // runs is answered 409 at once rather than queued: the plugin and cron would otherwise pile
  // up blocked requests that time out on their side while still holding their place here.
  struct SyncState {
    std::mutex mutex;
    bool running = false;
    std::string scope, started_at;
    std::optional<boost::json::object> last_run;  // summary of the last run that finished
  };
  std::shared_ptr<SyncState> sync_state = std::make_shared<SyncState>();

  // Held for as long as a sync runs; whoever owns the run last (the handler, or the SSE producer
  // thread) releases it, also when the run throws or the stream is never started.
  class SyncSlot {
   public:
    explicit SyncSlot(std::shared_ptr<SyncState> state) : state_(std::move(state)) {}
    SyncSlot(const SyncSlot&) = delete;
    SyncSlot& operator=(const SyncSlot&) = delete;
    ~SyncSlot() {
      std::lock_guard lock(state_->mutex);
      state_->running = false;
    }
    void finished(boost::json::object summary) {
      std::lock_guard lock(state_->mutex);
      state_->last_run = std::move(summary);
    }

   private:
    std::shared_ptr<SyncState> state_;
  };

  PluginRouteHooks plugin_hooks;

  explicit Impl(ServiceOptions service_options);

  // service.cpp
  // A cache that cannot be loaded is started empty (the next sync reads every guest).
  void load_read_cache();
  void save_read_cache();
  // Registers a route with its documentation: the key check (when the route needs a key) and a
  // 500 {"detail"} for whatever the handler throws.
  void add(RouteDoc doc, std::function<http::Response(http::Request&)> handler);
  // Done when the request carries a stored key, else the 401/429 to answer.
  common::Result<void, http::Response> authenticate(const http::Request& request);
  std::shared_ptr<sync::Transport> transport_for(const RemoteTarget& target);
  std::optional<NetBoxConnection> netbox_connection();
  // Proxmox endpoints selected by `proxmox_endpoint_ids` (all when absent), or the refusal: 422
  // for a malformed id, 400 when none is configured or none of the ids exists.
  OrRefusal<ProxmoxSources> sources_for(const http::Request& request);
  void register_routes();
  void add_meta_routes();
  void add_key_routes();
  boost::json::object openapi_document() const { return build_openapi(docs); }

  // service_endpoints.cpp: /netbox/endpoint, /netbox/status, /proxmox/endpoints.
  void add_endpoint_routes();

  // service_sync.cpp
  std::shared_ptr<SyncSlot> try_start_sync(sync::SyncScope scope);
  boost::json::object sync_status();
  // One stage run (see plugin_routes.hpp): JSON answers the engine's summary (plus what the
  // route adds); a stream sends the plugin's payloads (plugin_events.hpp), ending in `complete`.
  http::Response run_stage(http::Request& request, StageRun stage);
  // /sync/status, the custom-field creation route and the plugin's routes (plugin_routes.hpp).
  void add_sync_routes();
};

}  // namespace pbx::api
