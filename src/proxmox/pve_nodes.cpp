// /nodes: the node list and node status.

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>

#include "proxmox/handler_support.hpp"
#include "proxmox/pve_support.hpp"

namespace pbx::proxmox {

using Verb = http::Verb;
namespace json = boost::json;

void add_node_handlers(HandlerTable& table, const Release& release) {
  table.add(Verb::get, "/nodes",
            reader(
                [](const ClusterState& state, const ApiCall&) {
                  const int64_t now = ClusterState::now_seconds();
                  json::array out;
                  for (const auto& node : state.nodes()) {
                    json::object entry = node_entry(state, node, now);
                    out.push_back(std::move(entry));
                  }
                  return ApiResult::ok(std::move(out));
                },
                true));

  table.add(
      Verb::get, "/nodes/{node}/status",
      reader([release](const ClusterState& state, const ApiCall& call) -> ApiResult {
        const NodeState* node = state.find_node(call.text("node"));
        if (node == nullptr) return no_such_node(call.text("node"));
        if (node->spec.status != "online") {
          return ApiResult::error(595, fmt::format("no route to host"));
        }
        const NodeUsage usage = node_usage(state, *node);
        const int64_t total = node->spec.memory_bytes;
        const int64_t disk = node->spec.disk_bytes;
        return ApiResult::ok(json::object{
            {"cpu", usage.cpu},
            {"wait", 0.001},
            {"idle", 0},
            {"uptime", ClusterState::now_seconds() - node->booted_at},
            {"loadavg", json::array{"0.42", "0.38", "0.35"}},
            {"kversion", fmt::format("Linux {} {}", release.kernel, release.kernel_build)},
            {"pveversion", release.manager_version()},
            {"cpuinfo", json::object{{"cpus", node->spec.cpus},
                                     {"cores", node->spec.cpus / 2 > 0 ? node->spec.cpus / 2 : 1},
                                     {"sockets", 1},
                                     {"model", "AMD EPYC 7302P 16-Core Processor"},
                                     {"mhz", "3000.000"},
                                     {"hvm", "1"},
                                     {"user_hz", 100},
                                     {"flags", "fpu vme de pse tsc msr pae mce"}}},
            {"memory", json::object{{"total", total},
                                    {"used", usage.mem},
                                    {"free", total - usage.mem},
                                    {"available", total - usage.mem}}},
            {"swap", json::object{{"total", 8 * kGiB}, {"used", 0}, {"free", 8 * kGiB}}},
            {"rootfs", json::object{{"total", disk},
                                    {"used", disk / 5},
                                    {"avail", disk - disk / 5},
                                    {"free", disk - disk / 5}}},
            {"ksm", json::object{{"shared", 0}}},
            {"boot-info", json::object{{"mode", "efi"}, {"secureboot", 0}}},
            {"current-kernel", json::object{{"sysname", "Linux"},
                                            {"release", release.kernel},
                                            {"version", release.kernel_build},
                                            {"machine", "x86_64"}}}});
      }));
}

}  // namespace pbx::proxmox
