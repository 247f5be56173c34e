// /cluster/backup and /cluster/replication: jobs kept as their settings; /nodes/{node}/replication
// shows the replication jobs whose guest runs on the node, with their run state.

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>

#include "common/text.hpp"
#include "proxmox/handler_support.hpp"
#include "proxmox/pve_support.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using Verb = http::Verb;

void add_job_handlers(HandlerTable& table, const std::string& base,
                      std::vector<Job>& (*jobs_of)(ClusterState&),
                      const std::vector<Job>& (*const_jobs_of)(const ClusterState&),
                      bool replication) {
  const std::string item = base + "/{id}";
  table.add(Verb::get, base, reader([const_jobs_of](const ClusterState& state, const ApiCall&) {
              json::array out;
              for (const auto& job : const_jobs_of(state))
                out.push_back(job.settings);
              return ApiResult::ok(std::move(out));
            }));
  table.add(
      Verb::post, base,
      writer([jobs_of, replication](ClusterState& state, const ApiCall& call) -> ApiResult {
        auto& jobs = jobs_of(state);
        std::string id = call.text("id");
        if (id.empty())
          id = fmt::format("backup-{:08x}-{:04x}", state.version() * 2654435761u % 0xFFFFFFFF,
                           jobs.size());
        if (std::any_of(jobs.begin(), jobs.end(), [&](const Job& job) { return job.id == id; })) {
          return ApiResult::error(500, fmt::format("Job '{}' already exists", id));
        }
        json::object settings;
        for (const auto& [key, value] : call.params)
          settings[key] = value;
        settings["id"] = id;
        if (replication) {
          // "100-0": guest 100, job number 0.
          const size_t dash = id.find('-');
          settings["guest"] = id.substr(0, dash);
          settings["jobnum"] = dash == std::string::npos ? "0" : id.substr(dash + 1);
          if (!settings.contains("type")) settings["type"] = "local";
          if (!settings.contains("schedule")) settings["schedule"] = "*/15";
          if (const auto* guest = state.find_guest(
                  common::parse_number<int>(id, common::kLeadingNumber).value_or(0))) {
            settings["source"] = guest->spec.node;
          }
        } else {
          if (!settings.contains("type")) settings["type"] = "vzdump";
          if (!settings.contains("enabled")) settings["enabled"] = 1;
        }
        jobs.push_back(Job{id, std::move(settings)});
        state.touch();
        return ApiResult::ok();
      }));
  table.add(Verb::get, item,
            reader([const_jobs_of](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const std::string id = call.text("id");
              for (const auto& job : const_jobs_of(state)) {
                if (job.id == id) return ApiResult::ok(job.settings);
              }
              return ApiResult::error(500, fmt::format("job '{}' does not exist", id));
            }));
  table.add(Verb::put, item,
            writer([jobs_of](ClusterState& state, const ApiCall& call) -> ApiResult {
              const std::string id = call.text("id");
              for (auto& job : jobs_of(state)) {
                if (job.id != id) continue;
                for (const auto& [key, value] : call.params) {
                  if (key != "id" && key != "delete" && key != "digest") job.settings[key] = value;
                }
                if (call.has("delete")) {
                  for (const auto& key : split_list(call.text("delete"), ",; "))
                    job.settings.erase(key);
                }
                state.touch();
                return ApiResult::ok();
              }
              return ApiResult::error(500, fmt::format("job '{}' does not exist", id));
            }));
  table.add(
      Verb::delete_, item, writer([jobs_of](ClusterState& state, const ApiCall& call) -> ApiResult {
        const std::string id = call.text("id");
        if (std::erase_if(jobs_of(state), [&](const Job& job) { return job.id == id; }) == 0) {
          return ApiResult::error(500, fmt::format("job '{}' does not exist", id));
        }
        state.touch();
        return ApiResult::ok();
      }));
}

std::vector<Job>& backup_jobs_of(ClusterState& state) {
  return state.backup_jobs();
}
const std::vector<Job>& const_backup_jobs_of(const ClusterState& state) {
  return state.backup_jobs();
}
std::vector<Job>& replication_jobs_of(ClusterState& state) {
  return state.replication_jobs();
}
const std::vector<Job>& const_replication_jobs_of(const ClusterState& state) {
  return state.replication_jobs();
}

std::string setting(const Job& job, std::string_view key) {
  const auto* value = job.settings.if_contains(key);
  return value != nullptr ? value_text(*value) : std::string();
}

// The vmid a replication job's "guest" setting names (atoi's reading: 0 when none).
int guest_of(const Job& job) {
  return common::parse_number<int>(setting(job, "guest"), common::kLeadingNumber).value_or(0);
}

// A job as the node's replication list shows it: its settings plus when it ran and runs next
// (every quarter of an hour in the mock, always successfully).
json::object replication_state(const ClusterState& state, const Job& job) {
  json::object entry = job.settings;
  const int64_t now = ClusterState::now_seconds();
  const int64_t last = now - now % 900;
  if (const auto* guest = state.find_guest(guest_of(job))) {
    entry["vmtype"] = guest->spec.type;
    entry["source"] = guest->spec.node;
  }
  entry["last_sync"] = last;
  entry["last_try"] = last;
  entry["next_sync"] = last + 900;
  entry["duration"] = 2.5;
  entry["fail_count"] = 0;
  return entry;
}

// Done when {node} exists; else the answer saying it does not.
Checked check_replication_node(const ClusterState& state, const ApiCall& call) {
  if (state.find_node(call.text("node")) == nullptr)
    return common::Failure{no_such_node(call.text("node"))};
  return {};
}

bool runs_on(const ClusterState& state, const Job& job, std::string_view node) {
  const GuestState* guest = state.find_guest(guest_of(job));
  return guest != nullptr && guest->spec.node == node;
}

void add_node_replication_handlers(HandlerTable& table) {
  table.add(Verb::get, "/nodes/{node}/replication",
            reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
              if (auto checked = check_replication_node(state, call); !checked)
                return checked.error();
              const std::string node = call.text("node");
              const std::string guest = call.text("guest");
              json::array out;
              for (const auto& job : state.replication_jobs()) {
                if (!runs_on(state, job, node)) continue;
                if (!guest.empty() && setting(job, "guest") != guest) continue;
                out.push_back(replication_state(state, job));
              }
              return ApiResult::ok(std::move(out));
            }));
  table.add(Verb::get, "/nodes/{node}/replication/{id}/status",
            reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
              if (auto checked = check_replication_node(state, call); !checked)
                return checked.error();
              const std::string id = call.text("id");
              for (const auto& job : state.replication_jobs()) {
                if (job.id == id && runs_on(state, job, call.text("node"))) {
                  return ApiResult::ok(replication_state(state, job));
                }
              }
              return ApiResult::error(500, fmt::format("no such replication job '{}'", id));
            }));
}

}  // namespace

void add_cluster_job_handlers(HandlerTable& table) {
  add_node_replication_handlers(table);
  add_job_handlers(table, "/cluster/backup", backup_jobs_of, const_backup_jobs_of, false);
  add_job_handlers(table, "/cluster/replication", replication_jobs_of, const_replication_jobs_of,
                   true);
}

}  // namespace pbx::proxmox
