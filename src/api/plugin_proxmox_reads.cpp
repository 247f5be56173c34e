// The plugin's /proxmox/... reads, proxied to the configured Proxmox endpoints (all of them, or
// those `proxmox_endpoint_ids` names) with each endpoint's credentials. Cluster-wide reads answer
// as upstream proxbox-api does, one entry per endpoint: [{"<endpoint name>": <data>}]; reads of
// one node's or guest's object answer the data of the first endpoint that has it.

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/url/parse.hpp>

#include "api/plugin_routes.hpp"
#include "sync/json_util.hpp"
#include "sync/proxmox_reader.hpp"

namespace pbx::api {
namespace json = boost::json;
using http::Response;
using http::Status;
using V = http::Verb;

json::value proxmox_read(const sync::ProxmoxSource& source, const std::string& path) {
  sync::ProxmoxReader reader(*source.transport, source.credentials);
  return reader.get(path);
}

void mark_unreadable(json::object& entry, const std::exception& error) {
  entry["status"] = "error";
  entry["error"] = error.what();
}

std::string proxmox_cluster_name(const sync::ProxmoxSource& source) {
  const std::string name = sync::parse_cluster_status(proxmox_read(source, "/cluster/status")).name;
  return name.empty() ? source.name : name;
}

namespace {

json::value read(const sync::ProxmoxSource& source, const std::string& path) {
  return proxmox_read(source, path);
}

// The query parameters a route passes on to Proxmox, encoded ("?type=vm").
std::string passed_query(const http::Request& request, const std::vector<const char*>& names) {
  http::Params params;
  for (const char* name : names) {
    if (const auto value = request.query_value(name))
      params.emplace_back(name, std::string(*value));
  }
  return params.empty() ? std::string() : "?" + http::encode_form(params);
}

// [{"<endpoint>": data}] for every endpoint; 502 naming the endpoint that could not be read.
Response per_endpoint(const ProxmoxSources& sources, const std::string& path) {
  json::array answer;
  for (const auto& source : sources) {
    try {
      answer.push_back(json::object{{source.name, read(source, path)}});
    } catch (const std::exception& error) {
      return detail_response(Status::bad_gateway,
                             "Proxmox endpoint " + source.name + ": " + error.what());
    }
  }
  return Response::json(answer);
}

// The data of the first endpoint that answers `path` (a node's or a guest's object); 404 when
// none has it.
Response first_holding(const ProxmoxSources& sources, const std::string& path,
                       const std::string& what) {
  std::string last_error;
  for (const auto& source : sources) {
    try {
      return Response::json(read(source, path));
    } catch (const std::exception& error) {
      last_error = source.name + ": " + error.what();
    }
  }
  return detail_response(Status::not_found,
                         what + " not found on any Proxmox endpoint (" + last_error + ")");
}

struct ClusterRead {
  const char* route;
  const char* proxmox_path;
  const char* summary;
  std::vector<const char*> query;  // passed on to Proxmox
};

const std::vector<ClusterRead> kClusterReads{
    {"/proxmox/version", "/version", "Proxmox version per endpoint", {}},
    {"/proxmox/nodes", "/nodes", "Proxmox nodes per endpoint", {}},
    {"/proxmox/storage", "/storage", "Proxmox storages per endpoint", {"type"}},
    {"/proxmox/cluster/resources",
     "/cluster/resources",
     "Cluster resources per endpoint",
     {"type"}},
};

// Top-level paths of the Proxmox API that /proxmox/{name} reads (upstream's ProxmoxUpperPaths).
constexpr std::string_view kTopLevel[] = {"access", "cluster", "nodes",
                                          "pools",  "storage", "version"};

RouteDoc read_doc(std::string path, std::string summary,
                  std::vector<std::pair<int, std::string>> extra = {}) {
  std::vector<std::pair<int, std::string>> responses{
      {200, "The Proxmox data"}, {400, "No Proxmox endpoint"}, {502, "A Proxmox endpoint failed"}};
  responses.insert(responses.end(), extra.begin(), extra.end());
  return RouteDoc{V::get,
                  std::move(path),
                  std::move(summary),
                  "proxmox",
                  true,
                  {{"proxmox_endpoint_ids", "array", "Restrict to these Proxmox endpoint ids"}},
                  {},
                  std::move(responses)};
}

// The HA resource of guest `vmid` ("vm:<vmid>" or "ct:<vmid>") in an endpoint's listing.
const json::object* ha_resource_of(const json::value& resources, int64_t vmid) {
  if (!resources.is_array()) return nullptr;
  const std::string vm = "vm:" + std::to_string(vmid), ct = "ct:" + std::to_string(vmid);
  for (const auto& resource : resources.as_array()) {
    if (!resource.is_object()) continue;
    const auto* sid = resource.as_object().if_contains("sid");
    if (sid && sid->is_string() && (sid->as_string() == vm || sid->as_string() == ct)) {
      return &resource.as_object();
    }
  }
  return nullptr;
}

void add_ha_reads(const PluginRouteHooks& hooks) {
  hooks.add(read_doc("/proxmox/cluster/ha/summary",
                     "HA manager status and resources per endpoint: [{endpoint: {status, "
                     "resources}}]"),
            [&hooks](http::Request& request) {
              return with_sources(hooks, request, [&](const ProxmoxSources& sources) {
                json::array answer;
                for (const auto& source : sources) {
                  try {
                    answer.push_back(json::object{
                        {source.name,
                         json::object{{"status", read(source, "/cluster/ha/status/current")},
                                      {"resources", read(source, "/cluster/ha/resources")}}}});
                  } catch (const std::exception& error) {
                    return detail_response(Status::bad_gateway,
                                           "Proxmox endpoint " + source.name + ": " + error.what());
                  }
                }
                return Response::json(answer);
              });
            });
  hooks.add(read_doc("/proxmox/cluster/ha/resources/by-vm/{vmid}",
                     "The HA resource of a guest (vm:<vmid> or ct:<vmid>), with its endpoint",
                     {{404, "The guest is not HA-managed on any endpoint"}, {422, "Bad vmid"}}),
            [&hooks](http::Request& request) {
              const auto vmid = parse_positive_id(request.path_param("vmid"));
              if (!vmid) {
                return detail_response(Status::unprocessable_entity,
                                       "vmid must be a positive integer");
              }
              return with_sources(hooks, request, [&](const ProxmoxSources& sources) {
                for (const auto& source : sources) {
                  json::value resources;
                  try {
                    resources = read(source, "/cluster/ha/resources");
                  } catch (const std::exception& error) {
                    return detail_response(Status::bad_gateway,
                                           "Proxmox endpoint " + source.name + ": " + error.what());
                  }
                  if (const auto* resource = ha_resource_of(resources, *vmid)) {
                    json::object answer = *resource;
                    answer["endpoint"] = source.name;
                    return Response::json(answer);
                  }
                }
                return detail_response(Status::not_found, "Guest " + std::to_string(*vmid) +
                                                              " is not an HA resource on any "
                                                              "Proxmox endpoint.");
              });
            });
}

// "cluster" when /cluster/status lists a cluster entry, else "standalone" (as upstream's mode).
std::string cluster_mode(const json::value& status) {
  return sync::parse_cluster_status(status).clustered ? "cluster" : "standalone";
}

// One endpoint's /cluster/status as upstream answers it: the cluster entry (a standalone node
// gets one named after the node) with the node entries under node_list, booleans as booleans.
json::object cluster_status_entry(const sync::ProxmoxSource& source, const json::value& status) {
  json::object cluster;
  json::array nodes;
  if (status.is_array()) {
    for (const auto& item : status.as_array()) {
      if (!item.is_object()) continue;
      const auto& entry = item.as_object();
      const std::string type = sync::json_string(entry.if_contains("type"));
      if (type == "cluster") cluster = entry;
      if (type != "node") continue;
      const std::string name = sync::json_string(entry.if_contains("name"));
      nodes.push_back(json::object{
          {"id", entry.contains("id") ? entry.at("id") : json::value("node/" + name)},
          {"name", name},
          {"type", "node"},
          {"ip", sync::json_string(entry.if_contains("ip"))},
          {"level", entry.contains("level") ? entry.at("level") : json::value(nullptr)},
          {"local", sync::json_bool(entry.if_contains("local"))},
          {"nodeid", sync::json_int(entry.if_contains("nodeid"))},
          {"online", sync::json_bool(entry.if_contains("online"))}});
    }
  }
  const bool standalone = cluster.empty();
  const std::string named = sync::parse_cluster_status(status).name;
  const std::string name = named.empty() ? source.name : named;
  const auto* quorate = cluster.if_contains("quorate");
  const auto* count = cluster.if_contains("nodes");
  return json::object{
      {"id", cluster.contains("id") ? cluster.at("id") : json::value("cluster/" + name)},
      {"name", name},
      {"type", "cluster"},
      {"nodes", count ? sync::json_int(count) : static_cast<int64_t>(nodes.size())},
      {"quorate", quorate ? sync::json_bool(quorate) : !nodes.empty()},
      {"version", sync::json_int(cluster.if_contains("version"))},
      {"mode", standalone ? "standalone" : "cluster"},
      {"node_list", std::move(nodes)}};
}

void add_cluster_status(const PluginRouteHooks& hooks) {
  hooks.add(read_doc("/proxmox/cluster/status",
                     "Cluster status per endpoint, as upstream: [{id, name, type: cluster, nodes, "
                     "quorate, version, mode, node_list: [{id, name, type: node, ip, level, "
                     "local, nodeid, online}]}]"),
            [&hooks](http::Request& request) {
              return with_sources(hooks, request, [&](const ProxmoxSources& sources) {
                json::array answer;
                for (const auto& source : sources) {
                  try {
                    answer.push_back(cluster_status_entry(source, read(source, "/cluster/status")));
                  } catch (const std::exception& error) {
                    return detail_response(Status::bad_gateway,
                                           "Proxmox endpoint " + source.name + ": " + error.what());
                  }
                }
                return Response::json(answer);
              });
            });
}

// /proxmox/sessions: each selected endpoint as upstream lists its sessions (domain, http_port,
// user, name, mode); the mode is read from the endpoint.
void add_sessions(const PluginRouteHooks& hooks) {
  hooks.add(
      read_doc("/proxmox/sessions",
               "The Proxmox sessions: [{name, domain, http_port, user, mode}]"),
      [&hooks](http::Request& request) {
        return with_sources(hooks, request, [&](const ProxmoxSources& sources) {
          json::array answer;
          for (const auto& source : sources) {
            json::object session{{"name", source.name}, {"user", source.credentials.user}};
            if (const auto url = boost::urls::parse_absolute_uri(source.credentials.base_url)) {
              session["domain"] = std::string(url->encoded_host_address());
              session["http_port"] = url->has_port() ? url->port_number() : 8006;
            }
            try {
              session["mode"] = cluster_mode(read(source, "/cluster/status"));
            } catch (const std::exception& error) {
              return detail_response(Status::bad_gateway,
                                     "Proxmox endpoint " + source.name + ": " + error.what());
            }
            answer.push_back(std::move(session));
          }
          return Response::json(answer);
        });
      });
}

}  // namespace

void add_proxmox_reads(const PluginRouteHooks& hooks) {
  add_ha_reads(hooks);
  add_sessions(hooks);
  add_cluster_status(hooks);
  for (const auto& read_route : kClusterReads) {
    const ClusterRead* route = &read_route;
    hooks.add(read_doc(route->route, route->summary), [&hooks, route](http::Request& request) {
      return with_sources(hooks, request, [&](const ProxmoxSources& sources) {
        return per_endpoint(sources, route->proxmox_path + passed_query(request, route->query));
      });
    });
  }
  hooks.add(
      read_doc("/proxmox/{name}", "A top-level Proxmox path per endpoint",
               {{422, "Not a top-level path"}}),
      [&hooks](http::Request& request) {
        const std::string name(request.path_param("name"));
        if (std::find(std::begin(kTopLevel), std::end(kTopLevel), name) == std::end(kTopLevel)) {
          return detail_response(Status::unprocessable_entity,
                                 "'" + name +
                                     "' is not a top-level Proxmox path: access, cluster, "
                                     "nodes, pools, storage or version.");
        }
        return with_sources(hooks, request, [&](const ProxmoxSources& sources) {
          return per_endpoint(sources, "/" + name);
        });
      });
  hooks.add(read_doc("/proxmox/nodes/{node}/storage/{storage}/content",
                     "Content of a storage on a node (the first endpoint that has the node)",
                     {{404, "No endpoint has this node and storage"}}),
            [&hooks](http::Request& request) {
              const std::string node(request.path_param("node"));
              const std::string storage(request.path_param("storage"));
              return with_sources(hooks, request, [&](const ProxmoxSources& sources) {
                return first_holding(sources,
                                     "/nodes/" + http::percent_encode(node) + "/storage/" +
                                         http::percent_encode(storage) + "/content" +
                                         passed_query(request, {"content", "vmid"}),
                                     "Storage " + storage + " on node " + node);
              });
            });
  hooks.add(
      read_doc("/proxmox/{name}/{node}/{vmid}/config",
               "A guest's configuration ({name}: qemu or lxc)",
               {{404, "No endpoint has this guest"}, {422, "Not qemu or lxc, bad vmid"}}),
      [&hooks](http::Request& request) {
        const std::string type(request.path_param("name"));
        const std::string node(request.path_param("node"));
        const auto vmid = parse_positive_id(request.path_param("vmid"));
        if (type != "qemu" && type != "lxc") {
          return detail_response(Status::unprocessable_entity,
                                 "The guest type must be qemu or lxc, not '" + type + "'.");
        }
        if (!vmid) {
          return detail_response(Status::unprocessable_entity, "vmid must be a positive integer");
        }
        return with_sources(hooks, request, [&](const ProxmoxSources& sources) {
          return first_holding(sources,
                               "/nodes/" + http::percent_encode(node) + "/" + type + "/" +
                                   std::to_string(*vmid) + "/config",
                               "Guest " + type + "/" + std::to_string(*vmid) + " on node " + node);
        });
      });
}

}  // namespace pbx::api
