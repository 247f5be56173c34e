// Syncs through the service: one at a time (the sync slot), a stage run as JSON or as the
// plugin's server-sent events, /sync/status, the custom-field creation route and the plugin's
// routes (plugin_routes.hpp), which reach the service only through PluginRouteHooks.

#include <boost/json/serialize.hpp>
#include <stop_token>

#include "api/plugin_events.hpp"
#include "api/service_impl.hpp"
#include "common/clock.hpp"
#include "sync/custom_fields.hpp"

namespace pbx::api {
namespace json = boost::json;
using http::Response;
using http::Status;

namespace {

bool truthy(std::string_view text) {
  return text == "1" || text == "true" || text == "True" || text == "yes" || text == "on";
}

}  // namespace

std::shared_ptr<Service::Impl::SyncSlot> Service::Impl::try_start_sync(sync::SyncScope scope) {
  std::lock_guard lock(sync_state->mutex);
  if (sync_state->running) return nullptr;
  sync_state->running = true;
  sync_state->scope = std::string(sync::to_string(scope));
  sync_state->started_at = common::utc_now_iso8601();
  return std::make_shared<SyncSlot>(sync_state);
}

json::object Service::Impl::sync_status() {
  std::lock_guard lock(sync_state->mutex);
  json::object status{{"running", sync_state->running}};
  status["scope"] = sync_state->running ? json::value(sync_state->scope) : json::value(nullptr);
  status["started_at"] =
      sync_state->running ? json::value(sync_state->started_at) : json::value(nullptr);
  status["last_run"] = sync_state->last_run ? json::value(*sync_state->last_run) : nullptr;
  return status;
}

Response Service::Impl::run_stage(http::Request& request, StageRun stage) {
  ProxmoxSources sources;
  if (stage.sources) {
    sources = *stage.sources;
  } else {
    auto selected = sources_for(request);
    if (!selected) return selected.error();
    sources = std::move(*selected);
  }
  if (!endpoints.netbox())
    return detail_response(Status::bad_request, "No NetBox endpoint is configured.");
  sync::SyncOptions sync_options;
  sync_options.scope = stage.scope;
  sync_options.delete_orphans =
      stage.allow_delete &&
      (truthy(request.query_value("delete_orphans").value_or("")) ||
       (!stage.delete_flag.empty() && truthy(request.query_value(stage.delete_flag).value_or(""))));
  sync_options.dry_run = truthy(request.query_value("dry_run").value_or(""));
  sync_options.reader = options.reader;
  sync_options.reader.read_cache = read_cache;
  sync_options.reader.full_read = truthy(request.query_value("full_read").value_or(""));
  // A per-VM run reads its guest fresh, whatever the cache holds.
  if (const auto* vm = stage.extra_result.if_contains("virtual_machine"); vm && vm->is_object()) {
    if (const auto* vmid = vm->as_object().if_contains("proxmox_vm_id"); vmid && vmid->is_int64()) {
      sync_options.reader.fresh_vmids.insert(static_cast<int>(vmid->as_int64()));
    }
  }
  if (stage.only_guest) {
    sync_options.reader.fresh_vmids.insert(*stage.only_guest);
    sync_options.reader.listing_narrowed = true;
  }
  sync_options.limits = options.sync_limits;
  auto slot = try_start_sync(stage.scope);
  if (!slot) return detail_response(Status::conflict, "a sync is already running");

  auto run =
      [this, sources = std::move(sources), sync_options](
          SyncSlot& held, std::stop_token stop,
          const sync::EventCallback& on_event) -> common::Result<sync::SyncSummary, std::string> {
    auto connection = netbox_connection();
    if (!connection) return common::Failure{"No NetBox endpoint is configured."};
    sync::SyncOptions run_options = sync_options;
    run_options.stop = std::move(stop);
    try {
      sync::SyncEngine engine(*connection->client, sources, run_options, on_event);
      sync::SyncSummary summary = engine.run();
      save_read_cache();
      held.finished(summary.to_json());
      return summary;
    } catch (const std::exception& error) {
      std::string message = std::string("NetBox is unavailable: ") + error.what();
      held.finished(json::object{{"error", message}});
      return common::Failure{std::move(message)};
    }
  };
  if (!stage.stream) {
    auto outcome = run(*slot, {}, {});
    if (!outcome) return detail_response(Status::bad_gateway, outcome.error());
    json::object summary = outcome->to_json();
    for (auto& [name, value] : stage.extra_result)
      summary[name] = std::move(value);
    return Response::json(std::move(summary));
  }
  return Response::events([run = std::move(run), slot, stage](http::EventSink& sink) {
    const PluginEventTranslator translator(stage.stage);
    auto send = [&](const SseFrame& frame) {
      return sink.send(frame.event, json::serialize(frame.data));
    };
    // A client that went away cancels its sync: nobody would see the rest, and the run would
    // hold the slot that a new request needs.
    std::stop_source client_gone;
    auto outcome = run(*slot, client_gone.get_token(), [&](const sync::SyncEvent& event) {
      for (const auto& frame : translator.translate(event)) {
        if (!send(frame)) client_gone.request_stop();
      }
    });
    if (!outcome) {
      const std::string& message = outcome.error();
      send({"error", error_payload("netbox", message)});
      send({"complete", complete_payload(false, message, nullptr,
                                         json::array{json::object{{"detail", message}}})});
      return;
    }
    send(translator.complete_for(*outcome, stage.extra_result));
  });
}

void Service::Impl::add_sync_routes() {
  using V = http::Verb;
  add({V::get,
       "/sync/status",
       "Whether a sync is running, and the summary of the last one that finished",
       "sync",
       true,
       {},
       {},
       {{200, "{running, scope, started_at, last_run}"}}},
      [this](http::Request&) { return Response::json(sync_status()); });

  // Custom fields (and the legacy path the plugin used).
  for (const char* path : {"/extras/custom-fields/create", "/extras/extras/custom-fields/create"}) {
    add({V::get,
         path,
         "Create the custom fields and the proxbox tag the sync writes (idempotent)",
         "extras",
         true,
         {},
         {},
         {{200, "The custom fields"}, {400, "No NetBox endpoint"}, {502, "NetBox error"}}},
        [this](http::Request&) {
          auto connection = netbox_connection();
          if (!connection)
            return detail_response(Status::bad_request, "No NetBox endpoint is configured.");
          try {
            json::array fields;
            for (auto& object :
                 sync::ensure_custom_fields(*connection->client, connection->client->status()))
              fields.push_back(std::move(object));
            return Response::json(fields);
          } catch (const std::exception& error) {
            return detail_response(Status::bad_gateway, error.what());
          }
        });
  }

  // The plugin's stages (JSON and SSE), full-update, bootstrap and the routes it calls.
  plugin_hooks.add = [this](RouteDoc doc, std::function<Response(http::Request&)> handler) {
    add(std::move(doc), std::move(handler));
  };
  plugin_hooks.run_stage = [this](http::Request& request, StageRun stage) {
    return run_stage(request, std::move(stage));
  };
  plugin_hooks.netbox = [this] { return netbox_connection(); };
  plugin_hooks.proxmox_sources = [this](const http::Request& request) {
    return sources_for(request);
  };
  add_plugin_routes(plugin_hooks);
}

}  // namespace pbx::api
