#include "api/plugin_routes.hpp"

#include <boost/json/parse.hpp>

#include "api/plugin_stages.hpp"
#include "common/text.hpp"
#include "sync/custom_fields.hpp"
#include "sync/mapping.hpp"

namespace pbx::api {
namespace json = boost::json;
using http::Response;
using http::Status;
using V = http::Verb;

Response detail_response(Status status, std::string message) {
  return Response::json(status, json::object{{"detail", std::move(message)}});
}

std::optional<int64_t> parse_positive_id(std::string_view text) {
  const auto id = common::parse_number<int64_t>(text);
  if (!id || *id <= 0) return std::nullopt;
  return id;
}

common::Failure<Response> refuse(Status status, std::string message) {
  return common::Failure{detail_response(status, std::move(message))};
}

Response with_sources(const PluginRouteHooks& hooks, const http::Request& request,
                      const std::function<Response(const ProxmoxSources&)>& answer) {
  const auto selected = hooks.proxmox_sources(request);
  if (!selected) return selected.error();
  return answer(*selected);
}

namespace {

constexpr const char* kVmsPath = "/virtualization/virtual-machines/";

const std::vector<QueryParam> kStageParams{
    {"proxmox_endpoint_ids", "array",
     "Restrict to these Proxmox endpoint ids (comma-separated or repeated)"},
    {"delete_orphans", "boolean",
     "Delete NetBox objects owned by proxbox that Proxmox no longer has"},
    {"dry_run", "boolean", "Compute and report the changes without writing to NetBox"}};

std::vector<QueryParam> stage_params(const PluginStage& stage) {
  auto params = kStageParams;
  if (stage.delete_flag == "delete_nonexistent_backup") {
    params.push_back({"delete_nonexistent_backup", "boolean",
                      "Delete the backups Proxmox no longer has (the plugin sends it)"});
  }
  return params;
}

// The route's 501, documented as such.
void add_not_implemented(const PluginRouteHooks& hooks, V method, std::string path,
                         std::string summary, std::string tag) {
  RouteDoc doc{method,
               std::move(path),
               std::move(summary),
               std::move(tag),
               true,
               {},
               {},
               {{501, "Not implemented yet"}}};
  doc.implemented = false;
  hooks.add(std::move(doc), [](http::Request& request) {
    return detail_response(
        Status::not_implemented,
        not_implemented_detail(std::string(boost::beast::http::to_string(request.method)) + " " +
                               request.path));
  });
}

using StageHandler = std::function<Response(http::Request&, StageRun)>;

// A sync route and its SSE twin (`path` + "/stream"). Without a `base` run both answer 501;
// otherwise `handler` gets the request and `base` with `stream` set.
void add_sync_pair(const PluginRouteHooks& hooks, const std::string& path,
                   const std::string& summary, const std::vector<QueryParam>& params,
                   const std::optional<StageRun>& base,
                   const std::vector<std::pair<int, std::string>>& failures,
                   const StageHandler& handler) {
  for (const bool stream : {false, true}) {
    const std::string route = path + (stream ? "/stream" : "");
    const std::string described = summary + (stream ? " (server-sent events)" : "");
    if (!base) {
      add_not_implemented(hooks, V::get, route, described, "sync");
      continue;
    }
    std::vector<std::pair<int, std::string>> responses{
        {200,
         stream ? "Events step, error, item_progress, phase_summary, complete" : "Sync summary"}};
    responses.insert(responses.end(), failures.begin(), failures.end());
    RouteDoc doc{V::get, route, described, "sync", true, params, {}, std::move(responses), stream};
    StageRun run = *base;
    run.stream = stream;
    hooks.add(std::move(doc),
              [handler, run](http::Request& request) { return handler(request, run); });
  }
}

const std::vector<std::pair<int, std::string>> kSyncFailures{
    {400, "Nothing configured"}, {409, "A sync is already running"}, {502, "NetBox unavailable"}};

std::optional<StageRun> stage_run(const PluginStage& stage) {
  if (!stage.implemented()) return std::nullopt;
  return StageRun{std::string(stage.sync_type), *stage.scope, false,
                  std::string(stage.delete_flag)};
}

// A stage's JSON route and its SSE twin; 501 both while the stage has no implementation.
void add_stage_route(const PluginRouteHooks& hooks, const PluginStage& stage) {
  add_sync_pair(hooks, std::string(stage.path),
                "Stage " + std::string(stage.sync_type) + ": " + std::string(stage.summary),
                stage_params(stage), stage_run(stage), kSyncFailures, hooks.run_stage);
}

// The NetBox virtual machine of a per-VM route: a 4xx answer when the id is malformed, NetBox
// does not hold it, or proxbox did not sync it (no Proxmox identity to run the stage for).
OrRefusal<json::object> proxbox_vm(const PluginRouteHooks& hooks, std::string_view id_text) {
  const auto id = parse_positive_id(id_text);
  if (!id) return refuse(Status::unprocessable_entity, "vm_id must be a positive integer");
  auto connection = hooks.netbox();
  if (!connection) return refuse(Status::bad_request, "No NetBox endpoint is configured.");
  std::vector<json::object> found;
  try {
    found = connection->client->list(kVmsPath, {{"id", std::to_string(*id)}});
  } catch (const std::exception& error) {
    return refuse(Status::bad_gateway, std::string("NetBox is unavailable: ") + error.what());
  }
  if (found.empty()) {
    return refuse(Status::not_found,
                  "Virtual machine " + std::to_string(*id) + " not found in NetBox.");
  }
  const json::object& vm = found.front();
  const auto* custom_fields = vm.if_contains("custom_fields");
  const json::value* vmid = custom_fields && custom_fields->is_object()
                                ? custom_fields->as_object().if_contains("proxmox_vm_id")
                                : nullptr;
  if (!vmid || vmid->is_null()) {
    return refuse(Status::unprocessable_entity,
                  "Virtual machine " + std::to_string(*id) +
                      " was not synced from Proxmox (it has no proxmox_vm_id).");
  }
  return json::object{{"id", *id},
                      {"name", vm.at("name")},
                      {"proxmox_vm_id", *vmid},
                      {"proxmox_vm_type", custom_fields->as_object().at("proxmox_vm_type")}};
}

// The per-VM variant of a stage. The engine syncs whole scopes, so the run covers the stage for
// every guest (diff-based: only what changed is written) after checking the VM; the answer
// names the VM.
void add_per_vm_route(const PluginRouteHooks& hooks, const PluginStage& stage) {
  add_sync_pair(hooks, std::string(stage.per_vm_path),
                "Stage " + std::string(stage.sync_type) + " for one NetBox virtual machine",
                stage_params(stage), stage_run(stage),
                {{404, "No such virtual machine in NetBox"},
                 {409, "A sync is already running"},
                 {422, "Malformed vm_id, or a virtual machine proxbox did not sync"}},
                [&hooks](http::Request& request, StageRun run) {
                  auto vm = proxbox_vm(hooks, request.path_param("vm_id"));
                  if (!vm) return vm.error();
                  run.extra_result["virtual_machine"] = std::move(*vm);
                  return hooks.run_stage(request, std::move(run));
                });
}

json::array stage_states() {
  json::array states;
  for (const auto& stage : plugin_stages()) {
    states.push_back(
        json::object{{"sync_type", stage.sync_type},
                     {"path", stage.path},
                     {"state", stage.implemented() ? "run" : "not implemented (501)"}});
  }
  return states;
}

void add_full_update(const PluginRouteHooks& hooks) {
  StageRun run{"full-update", sync::SyncScope::full, false, {}};
  run.extra_result["stages"] = stage_states();
  add_sync_pair(hooks, "/full-update", "Every implemented stage, in the plugin's order",
                kStageParams, run, kSyncFailures, hooks.run_stage);
}

// Runs `action` against the configured NetBox, answering 400 without one and 502 when NetBox
// fails.
Response with_netbox(const PluginRouteHooks& hooks,
                     const std::function<Response(sync::NetBoxClient&)>& action) {
  auto connection = hooks.netbox();
  if (!connection) return detail_response(Status::bad_request, "No NetBox endpoint is configured.");
  try {
    return action(*connection->client);
  } catch (const sync::NetBoxError& error) {
    return detail_response(Status::bad_gateway,
                           std::string("NetBox refused: ") + error.what() + " " + error.body());
  } catch (const std::exception& error) {
    return detail_response(Status::bad_gateway,
                           std::string("NetBox is unavailable: ") + error.what());
  }
}

bool tag_present(sync::NetBoxClient& netbox) {
  return !netbox.list("/extras/tags/", {{"slug", sync::kTagSlug}}).empty();
}

void add_custom_field_routes(const PluginRouteHooks& hooks) {
  hooks.add(
      {V::get,
       "/extras/bootstrap-status",
       "Whether NetBox holds exactly proxbox's custom fields and its tag",
       "extras",
       true,
       {},
       {},
       {{200, "{ok, custom_fields: {complete, expected, present, missing, different}, tag}"},
        {400, "No NetBox endpoint"},
        {502, "NetBox error"}}},
      [&hooks](http::Request&) {
        return with_netbox(hooks, [](sync::NetBoxClient& netbox) {
          const auto report = sync::check_custom_fields(netbox, netbox.status());
          const bool tag = tag_present(netbox);
          return Response::json(json::object{
              {"ok", report.complete() && tag}, {"custom_fields", report.to_json()}, {"tag", tag}});
        });
      });
  hooks.add({V::post,
             "/extras/custom-fields/reconcile",
             "Bring NetBox's proxbox custom fields to exactly the defined set, and the tag "
             "(idempotent: a second call writes nothing)",
             "extras",
             true,
             {},
             {},
             {{200, "{ok, custom_fields: {..., created, updated}, tag}"},
              {400, "No NetBox endpoint"},
              {422, "A body that is not a JSON object"},
              {502, "NetBox error"}}},
            [&hooks](http::Request& request) {
              if (!request.body.empty()) {
                boost::system::error_code error;
                const json::value body = json::parse(request.body, error);
                if (error || !body.is_object()) {
                  return detail_response(Status::unprocessable_entity,
                                         "The body must be empty or a JSON object.");
                }
              }
              return with_netbox(hooks, [](sync::NetBoxClient& netbox) {
                const auto report = sync::reconcile_custom_fields(netbox, netbox.status());
                bool tag = tag_present(netbox);
                if (!tag) {
                  netbox.create("/extras/tags/", {sync::tag_definition()});
                  tag = true;
                }
                return Response::json(json::object{
                    {"ok", report.complete()}, {"custom_fields", report.to_json()}, {"tag", tag}});
              });
            });
}

void add_virtual_machine_reads(const PluginRouteHooks& hooks) {
  hooks.add({V::get,
             "/virtualization/virtual-machines",
             "The virtual machines proxbox synced, as NetBox holds them (tag proxbox)",
             "virtualization",
             true,
             {},
             {},
             {{200, "NetBox virtual machine objects"},
              {400, "No NetBox endpoint"},
              {502, "NetBox error"}}},
            [&hooks](http::Request&) {
              return with_netbox(hooks, [](sync::NetBoxClient& netbox) {
                json::array vms;
                for (auto& vm : netbox.list(kVmsPath, {{"tag", sync::kTagSlug}}))
                  vms.push_back(std::move(vm));
                return Response::json(vms);
              });
            });
  hooks.add(
      {V::get,
       "/virtualization/virtual-machines/{vm_id}",
       "One virtual machine as NetBox holds it",
       "virtualization",
       true,
       {},
       {},
       {{200, "The NetBox virtual machine"},
        {404, "No such virtual machine"},
        {422, "Malformed id"},
        {502, "NetBox error"}}},
      [&hooks](http::Request& request) {
        const auto id = parse_positive_id(request.path_param("vm_id"));
        if (!id)
          return detail_response(Status::unprocessable_entity, "vm_id must be a positive integer");
        return with_netbox(hooks, [&](sync::NetBoxClient& netbox) {
          auto found = netbox.list(kVmsPath, {{"id", std::to_string(*id)}});
          if (found.empty()) {
            return detail_response(Status::not_found, "Virtual machine " + std::to_string(*id) +
                                                          " not found in NetBox.");
          }
          return Response::json(std::move(found.front()));
        });
      });
}

struct PendingRoute {
  V method;
  const char* path;
  const char* summary;
  const char* tag;
};

// Routes the plugin calls that this service does not implement yet: each answers 501 naming
// itself (the plugin reports that, where a 404 would read as a broken installation).
const std::vector<PendingRoute> kPendingRoutes{
    {V::get, "/pbs/status", "Proxmox Backup Server status", "pbs"},
    {V::get, "/pdm/endpoints", "Proxmox Datacenter Manager endpoints", "pdm"},
    {V::get, "/pdm/endpoints/{id}", "One Proxmox Datacenter Manager endpoint", "pdm"},
    {V::post, "/intent/deletion-requests/{id}/approve", "Approve a deletion request", "intent"},
    {V::post, "/intent/deletion-requests/{id}/reject", "Reject a deletion request", "intent"},
    {V::get, "/ssh/sessions", "SSH sessions", "ssh"},
    {V::get, "/ws", "WebSocket channel", "ws"},
};

}  // namespace

void add_plugin_routes(const PluginRouteHooks& hooks) {
  for (const auto& stage : plugin_stages()) {
    add_stage_route(hooks, stage);
    if (!stage.per_vm_path.empty()) add_per_vm_route(hooks, stage);
  }
  add_full_update(hooks);
  add_custom_field_routes(hooks);
  add_virtual_machine_reads(hooks);
  add_proxmox_reads(hooks);
  for (const auto& route : kPendingRoutes)
    add_not_implemented(hooks, route.method, route.path, route.summary, route.tag);
  add_individual_routes(hooks);
  add_firewall_routes(hooks);
  add_datacenter_reads(hooks);
}

}  // namespace pbx::api
