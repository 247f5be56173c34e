#pragma once
// The routes the netbox-proxbox plugin calls besides keys and endpoints: every sync stage of
// plugin_stages.hpp (JSON and SSE, per-VM variants), full-update, the custom-field bootstrap,
// the virtual machines as NetBox holds them, and a 501 naming the route for each route the
// plugin calls that this service does not implement yet. Registered by the Service through the
// narrow hooks below, so this file knows nothing of keys, endpoint storage or the sync slot.

#include <boost/json/object.hpp>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/route_doc.hpp"
#include "common/result.hpp"
#include "http/message.hpp"
#include "sync/engine.hpp"
#include "sync/netbox_client.hpp"

namespace pbx::api {

// A client for the configured NetBox (the transport it talks through lives as long).
struct NetBoxConnection {
  std::shared_ptr<sync::Transport> transport;
  std::unique_ptr<sync::NetBoxClient> client;
};

// The Proxmox endpoints a request selects.
using ProxmoxSources = std::vector<sync::ProxmoxSource>;

// A value, or the HTTP answer refusing the request ({"detail": ...}; README, error policy).
template <class T>
using OrRefusal = common::Result<T, http::Response>;

// One sync request as a stage route asks for it.
struct StageRun {
  std::string stage;  // the plugin's sync type ("devices"), or "full-update"
  sync::SyncScope scope = sync::SyncScope::full;
  bool stream = false;
  std::string delete_flag;           // a query flag meaning delete_orphans for this stage
  boost::json::object extra_result;  // added to the answer's result (the VM of a per-VM run)
  // The endpoints to read instead of those the request selects (a single-object sync reads
  // only the endpoint that holds the object).
  std::optional<std::vector<sync::ProxmoxSource>> sources;
  // False: never delete, whatever the query says (single-object syncs are create/update only).
  bool allow_delete = true;  // Set when the sources' /cluster/resources lists this one guest only
                             // (a single-guest sync): it
  // is read fresh, and the read cache keeps what it holds of every guest the listing omits.
  std::optional<int> only_guest;
};

struct PluginRouteHooks {
  // Registers a route with its documentation (the key check and error catching included).
  std::function<void(RouteDoc, std::function<http::Response(http::Request&)>)> add;
  // Runs a sync and answers (JSON summary, or the SSE stream with the plugin's payloads).
  std::function<http::Response(http::Request&, StageRun)> run_stage;
  // The configured NetBox, or nullopt.
  std::function<std::optional<NetBoxConnection>()> netbox;
  // The Proxmox endpoints a request selects (`proxmox_endpoint_ids`, else all), or the answer
  // refusing it (none configured, malformed or unknown ids).
  std::function<OrRefusal<ProxmoxSources>(const http::Request&)> proxmox_sources;
};

// Runs `answer` with the endpoints the request selects, or answers their refusal (none
// configured, malformed or unknown ids).
http::Response with_sources(const PluginRouteHooks& hooks, const http::Request& request,
                            const std::function<http::Response(const ProxmoxSources&)>& answer);

void add_plugin_routes(const PluginRouteHooks& hooks);
// The /proxmox/... reads (plugin_proxmox_reads.cpp), called by add_plugin_routes.
void add_proxmox_reads(const PluginRouteHooks& hooks);
// /sync/individual/<kind> (plugin_individual.cpp), called by add_plugin_routes.
void add_individual_routes(const PluginRouteHooks& hooks);
// GET /proxmox and the /proxmox/firewall/... reads and writes (plugin_firewall.cpp).
void add_firewall_routes(const PluginRouteHooks& hooks);
// GET /proxmox/datacenter/cpu-models (plugin_datacenter.cpp).
void add_datacenter_reads(const PluginRouteHooks& hooks);

// One authenticated GET of an endpoint's Proxmox API ("/cluster/status"): its `data`. Throws
// when the endpoint cannot be read or refuses.
boost::json::value proxmox_read(const sync::ProxmoxSource& source, const std::string& path);

// Makes `entry` the answer for an endpoint (or firewall zone) that could not be read: status
// "error" and what failed, and no lists — what could not be read is never reported as empty.
void mark_unreadable(boost::json::object& entry, const std::exception& error);

// The name upstream gives an endpoint's session and the plugin matches its clusters by: the
// name /cluster/status gives (sync::parse_cluster_status: the cluster's, a standalone node's),
// else the endpoint's name. Throws when /cluster/status cannot be read.
std::string proxmox_cluster_name(const sync::ProxmoxSource& source);

// {"detail": message} with `status`: the error shape of every proxbox-api route.
http::Response detail_response(http::Status status, std::string message);

// detail_response(status, message) as the failure of an OrRefusal.
common::Failure<http::Response> refuse(http::Status status, std::string message);

// An id from a path or query ("12"); nullopt unless it is a whole positive integer.
std::optional<int64_t> parse_positive_id(std::string_view text);

}  // namespace pbx::api
