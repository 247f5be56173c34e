// /version and /cluster: status, resources, nextid, the recent tasks of every node.

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>

#include "proxmox/handler_support.hpp"
#include "proxmox/pve_support.hpp"

namespace pbx::proxmox {

using Verb = http::Verb;
namespace json = boost::json;

namespace {

// /cluster/status: the cluster entry (clustered mode only), then one entry per node.
json::array cluster_status(const ClusterState& state) {
  json::array out;
  const size_t online = std::count_if(state.nodes().begin(), state.nodes().end(),
                                      [](const NodeState& n) { return n.spec.status == "online"; });
  if (state.mode() == "cluster") {
    out.push_back(json::object{{"type", "cluster"},
                               {"id", "cluster"},
                               {"name", state.name()},
                               {"nodes", state.nodes().size()},
                               {"quorate", online * 2 > state.nodes().size() ? 1 : 0},
                               {"version", 3 + state.nodes().size()}});
  }
  int nodeid = 1;
  for (const auto& node : state.nodes()) {
    out.push_back(json::object{{"type", "node"},
                               {"id", "node/" + node.spec.name},
                               {"name", node.spec.name},
                               {"nodeid", nodeid},
                               {"ip", node.spec.ip.empty() ? "192.0.2.10" : node.spec.ip},
                               {"online", node.spec.status == "online" ? 1 : 0},
                               {"local", nodeid == 1 ? 1 : 0},
                               {"level", ""}});
    ++nodeid;
  }
  return out;
}

// /cluster/resources of `type` (node, vm, storage; empty: those and the pools).
json::array cluster_resources(const ClusterState& state, const std::string& type) {
  const int64_t now = ClusterState::now_seconds();
  json::array out;
  if (type.empty() || type == "node") {
    for (const auto& node : state.nodes())
      out.push_back(node_entry(state, node, now));
  }
  if (type.empty() || type == "vm") {
    out.reserve(out.size() + state.guests().size());
    const auto ha_states = ha_by_vmid(state);
    for (const auto& [vmid, guest] : state.guests()) {
      json::object entry = guest_metrics(guest, now);
      entry["id"] = guest.resource_id();
      entry["type"] = guest.spec.type;
      entry["node"] = guest.spec.node;
      entry["maxcpu"] = guest.spec.cores;
      entry.erase("cpus");
      entry.erase("pid");
      if (!guest.spec.pool.empty()) entry["pool"] = guest.spec.pool;
      if (const auto ha = ha_states.find(vmid); ha != ha_states.end()) {
        entry["hastate"] = ha->second->state;
      }
      out.push_back(std::move(entry));
    }
  }
  if (type.empty() || type == "storage") {
    const StorageLedger& usage = state.storage_ledger();
    for (const auto& node : state.nodes()) {
      for (const auto& storage : state.storages()) {
        if (!state.storage_on_node(storage, node.spec.name)) continue;
        const bool online = node.spec.status == "online";
        out.push_back(json::object{{"id", fmt::format("storage/{}/{}", node.spec.name, storage.id)},
                                   {"type", "storage"},
                                   {"storage", storage.id},
                                   {"node", node.spec.name},
                                   {"status", online ? "available" : "unknown"},
                                   {"plugintype", storage.type},
                                   {"content", join(storage.content, ",")},
                                   {"shared", storage.shared ? 1 : 0},
                                   {"disk", usage.used(storage, node.spec.name)},
                                   {"maxdisk", storage.total_bytes}});
      }
    }
  }
  if (type.empty()) {
    for (const auto& [pool, comment] : state.pools()) {
      out.push_back(json::object{{"id", "pool/" + pool}, {"type", "pool"}, {"pool", pool}});
    }
  }
  return out;
}

}  // namespace

void add_cluster_handlers(HandlerTable& table, const Release& release) {
  table.add(Verb::get, "/version", reader([release](const ClusterState&, const ApiCall&) {
              return ApiResult::ok(json::object{{"version", release.version},
                                                {"release", release.release},
                                                {"repoid", release.repoid}});
            }));

  table.add(Verb::get, "/cluster/status", reader([](const ClusterState& state, const ApiCall&) {
              return ApiResult::ok(cluster_status(state));
            }));

  table.add(Verb::get, "/cluster/resources",
            reader(
                [](const ClusterState& state, const ApiCall& call) {
                  return ApiResult::ok(cluster_resources(state, call.text("type")));
                },
                true));

  table.add(Verb::get, "/cluster/nextid",
            reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
              if (const auto wanted = call.integer("vmid")) {
                if (state.find_guest(static_cast<int>(*wanted)) != nullptr) {
                  return ApiResult::error(400, fmt::format("VM {} already exists", *wanted));
                }
                return ApiResult::ok(std::to_string(*wanted));
              }
              int next = 100;
              while (state.find_guest(next) != nullptr)
                ++next;
              return ApiResult::ok(std::to_string(next));
            }));
}

// The real list holds the recent tasks of every node (a bounded index); so does the state.
void add_cluster_task_handlers(HandlerTable& table) {
  table.add(Verb::get, "/cluster/tasks", reader([](const ClusterState& state, const ApiCall&) {
              const auto now = std::chrono::steady_clock::now();
              json::array out;
              const auto tasks = state.all_tasks();
              out.reserve(tasks.size());
              for (const Task* task : tasks)
                out.push_back(task->list_entry(now));
              return ApiResult::ok(std::move(out));
            }));
}

}  // namespace pbx::proxmox
