// /nodes/{node}/tasks: the UPID life cycle every asynchronous call of both services reports
// through.

#include <fmt/format.h>

#include <boost/json.hpp>

#include "proxmox/handlers.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using Verb = http::Verb;

// A task exists only for the node its UPID names, like the real per-node task index.
const Task* find_node_task(const ClusterState& state, const ApiCall& call) {
  const Task* task = state.find_task(call.text("upid"));
  // PBS clients address their server as "localhost"; find_node() resolves that alias.
  if (task == nullptr || state.find_node(task->node) != state.find_node(call.text("node"))) {
    return nullptr;
  }
  return task;
}

ApiResult no_such_task(const ApiCall& call) {
  return ApiResult::error(500, fmt::format("no such task '{}'", call.text("upid")));
}

}  // namespace

void add_task_handlers(HandlerTable& table) {
  HandlerSpec list;
  list.read = [](const ClusterState& state, const ApiCall& call) -> ApiResult {
    const std::string node = call.text("node");
    if (state.find_node(node) == nullptr) {
      return ApiResult::error(500, fmt::format("no such node '{}'", node));
    }
    const auto now = std::chrono::steady_clock::now();
    const int64_t start = call.integer("start").value_or(0);
    const int64_t limit = call.integer("limit").value_or(50);
    const std::string type_filter = call.text("typefilter");
    const std::string source = call.text("source", "archive");
    const auto vmid = call.integer("vmid");
    const bool errors_only = call.flag("errors");
    json::array out;
    int64_t skipped = 0;
    for (const Task* task : state.tasks_of(state.find_node(node)->spec.name)) {
      const bool running = task->running(now);
      if (source == "active" && !running) continue;
      if (source == "archive" && running) continue;
      if (!type_filter.empty() && task->type != type_filter) continue;
      if (vmid && task->id != std::to_string(*vmid)) continue;
      if (errors_only && (running || task->exitstatus == "OK")) continue;
      if (skipped++ < start) continue;
      if (static_cast<int64_t>(out.size()) >= limit) break;
      out.push_back(task->list_entry(now));
    }
    return ApiResult::ok(std::move(out));
  };
  table.add(Verb::get, "/nodes/{node}/tasks", std::move(list));

  HandlerSpec status;
  status.read = [](const ClusterState& state, const ApiCall& call) -> ApiResult {
    const Task* task = find_node_task(state, call);
    if (task == nullptr) return no_such_task(call);
    return ApiResult::ok(task->to_json(std::chrono::steady_clock::now()));
  };
  table.add(Verb::get, "/nodes/{node}/tasks/{upid}/status", std::move(status));

  HandlerSpec log;
  log.read = [](const ClusterState& state, const ApiCall& call) -> ApiResult {
    const Task* task = find_node_task(state, call);
    if (task == nullptr) return no_such_task(call);
    json::array lines;
    lines.push_back(
        json::object{{"n", 1}, {"t", fmt::format("starting {} {}", task->type, task->id)}});
    if (!task->running(std::chrono::steady_clock::now())) {
      lines.push_back(json::object{
          {"n", 2},
          {"t", task->exitstatus == "OK" ? "TASK OK" : "TASK ERROR: " + task->exitstatus}});
    }
    return ApiResult::ok(std::move(lines));
  };
  table.add(Verb::get, "/nodes/{node}/tasks/{upid}/log", std::move(log));

  HandlerSpec stop;
  stop.read = [](const ClusterState& state, const ApiCall& call) -> ApiResult {
    // Mock tasks finish on their own within milliseconds; stopping one is acknowledged only.
    if (find_node_task(state, call) == nullptr) return no_such_task(call);
    return ApiResult::ok();
  };
  table.add(Verb::delete_, "/nodes/{node}/tasks/{upid}", std::move(stop));
}

}  // namespace pbx::proxmox
