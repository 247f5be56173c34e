// GET /proxmox/datacenter/cpu-models: the custom CPU models of every selected endpoint, as the
// plugin's datacenter sync reads them ([{cluster_name, cputype, base_cputype, flags, vendor_id,
// level, description, status, error}], cluster_name the Proxmox cluster's, by which the plugin
// finds its endpoint). Proxmox VE 9.2+ has /cluster/qemu/custom-cpu-models
// (what upstream reads); an older release answers that path 501 (or 404), and then the custom
// models are those /nodes/{node}/capabilities/qemu/cpu of an online node marks `custom` (name
// and vendor only: that listing has no flags). An endpoint that cannot be read is one entry
// {cluster_name, status: "error", error} — never an empty list, which would read as "no models".

#include <boost/json/array.hpp>

#include "api/plugin_routes.hpp"
#include "sync/json_util.hpp"
#include "sync/proxmox_reader.hpp"

namespace pbx::api {
namespace json = boost::json;
using http::Response;
using V = http::Verb;

namespace {

// The first member of `row` among `keys` as text ("" when none): the plugin stores these in
// columns that refuse null.
std::string text_of(const json::object& row, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (const auto* value = row.if_contains(key); value && !value->is_null())
      return sync::json_string(value);
  }
  return {};
}

json::object model_entry(const std::string& cluster, const json::object& row) {
  json::object entry{
      {"cluster_name", cluster},
      {"cputype", text_of(row, {"cputype", "name"})},
      {"base_cputype", text_of(row, {"base-cputype", "base_cputype", "reported-model"})},
      {"flags", text_of(row, {"flags"})},
      {"vendor_id", text_of(row, {"vendor-id", "vendor_id", "vendor"})},
      {"level", nullptr},
      {"description", text_of(row, {"description", "comment"})},
      {"status", "ok"},
      {"error", nullptr}};
  if (const auto* level = row.if_contains("level"); level && !level->is_null())
    entry["level"] = sync::json_int(level);
  return entry;
}

// The custom models listed by capabilities/qemu/cpu of the endpoint's first online node.
json::array custom_from_capabilities(const sync::ProxmoxSource& source,
                                     const std::string& cluster) {
  std::string node;
  const json::value nodes = proxmox_read(source, "/nodes");
  if (nodes.is_array()) {
    for (const auto& entry : nodes.as_array()) {
      if (!entry.is_object()) continue;
      const auto& object = entry.as_object();
      if (sync::json_string(object.if_contains("status")) != "online") continue;
      node = sync::json_string(object.if_contains("node"));
      break;
    }
  }
  if (node.empty()) throw std::runtime_error("no online node to read the CPU models from");
  json::array out;
  const json::value models =
      proxmox_read(source, "/nodes/" + http::percent_encode(node) + "/capabilities/qemu/cpu");
  if (!models.is_array()) return out;
  for (const auto& row : models.as_array()) {
    if (row.is_object() && sync::json_bool(row.as_object().if_contains("custom")))
      out.push_back(model_entry(cluster, row.as_object()));
  }
  return out;
}

// The endpoint's custom CPU models, appended to `answer`; a failure is one error entry.
void append_models(const sync::ProxmoxSource& source, json::array& answer) {
  std::string cluster = source.name;  // until /cluster/status names it
  try {
    cluster = proxmox_cluster_name(source);
    json::value listed;
    try {
      listed = proxmox_read(source, "/cluster/qemu/custom-cpu-models");
    } catch (const sync::ProxmoxError& error) {
      // Proxmox answers a path it has no method for 501 (proxmox-mock: 404).
      if (error.status() != 501 && error.status() != 404) throw;
      for (auto& entry : custom_from_capabilities(source, cluster))
        answer.push_back(std::move(entry));
      return;
    }
    if (!listed.is_array()) return;
    for (const auto& row : listed.as_array()) {
      if (row.is_object()) answer.push_back(model_entry(cluster, row.as_object()));
    }
  } catch (const std::exception& error) {
    json::object entry{{"cluster_name", cluster}};
    mark_unreadable(entry, error);
    answer.push_back(std::move(entry));
  }
}

}  // namespace

void add_datacenter_reads(const PluginRouteHooks& hooks) {
  RouteDoc doc{V::get,
               "/proxmox/datacenter/cpu-models",
               "Custom CPU models per endpoint: [{cluster_name, cputype, base_cputype, flags, "
               "vendor_id, level, description, status, error}]; an endpoint that cannot be read "
               "is {cluster_name, status: \"error\", error}",
               "proxmox",
               true,
               {{"proxmox_endpoint_ids", "array", "Restrict to these Proxmox endpoint ids"}},
               {},
               {{200, "The CPU models"}, {400, "No Proxmox endpoint"}}};
  doc.response_schema = "CpuModels";
  hooks.add(std::move(doc), [&hooks](http::Request& request) {
    return with_sources(hooks, request, [](const ProxmoxSources& sources) {
      json::array answer;
      for (const auto& source : sources)
        append_models(source, answer);
      return Response::json(answer);
    });
  });
}

}  // namespace pbx::api
