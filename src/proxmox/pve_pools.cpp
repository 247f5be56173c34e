// /pools: resource pools and their members.

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

json::object pool_resource(const ClusterState& state, const GuestState& guest, int64_t now) {
  json::object entry = guest_metrics(guest, now);
  entry["id"] = guest.resource_id();
  entry["type"] = guest.spec.type;
  entry["node"] = guest.spec.node;
  (void)state;
  return entry;
}

}  // namespace

void add_pool_handlers(HandlerTable& table) {
  table.add(Verb::get, "/pools", reader([](const ClusterState& state, const ApiCall& call) {
              const std::string only = call.text("poolid");
              const int64_t now = ClusterState::now_seconds();
              json::array out;
              for (const auto& [pool, comment] : state.pools()) {
                if (!only.empty() && pool != only) continue;
                json::object entry{{"poolid", pool}};
                if (!comment.empty()) entry["comment"] = comment;
                if (!only.empty()) {
                  json::array members;
                  for (const auto& [vmid, guest] : state.guests()) {
                    if (guest.spec.pool == pool)
                      members.push_back(pool_resource(state, guest, now));
                  }
                  entry["members"] = std::move(members);
                }
                out.push_back(std::move(entry));
              }
              return ApiResult::ok(std::move(out));
            }));
  table.add(Verb::get, "/pools/{poolid}",
            reader([](const ClusterState& state, const ApiCall& call) -> ApiResult {
              const std::string pool = call.text("poolid");
              const auto it = state.pools().find(pool);
              if (it == state.pools().end()) {
                return ApiResult::error(500, fmt::format("pool '{}' does not exist", pool));
              }
              const int64_t now = ClusterState::now_seconds();
              json::array members;
              for (const auto& [vmid, guest] : state.guests()) {
                if (guest.spec.pool == pool) members.push_back(pool_resource(state, guest, now));
              }
              json::object out{{"members", std::move(members)}};
              if (!it->second.empty()) out["comment"] = it->second;
              return ApiResult::ok(std::move(out));
            }));
  table.add(Verb::post, "/pools", writer([](ClusterState& state, const ApiCall& call) -> ApiResult {
              const std::string pool = call.text("poolid");
              if (!state.pools().emplace(pool, call.text("comment")).second) {
                return ApiResult::error(
                    500, fmt::format("create pool failed: pool '{}' already exists", pool));
              }
              state.touch();
              return ApiResult::ok();
            }));
  const auto delete_pool = [](ClusterState& state, const ApiCall& call) -> ApiResult {
    const std::string pool = call.text("poolid");
    if (state.pools().find(pool) == state.pools().end()) {
      return ApiResult::error(500,
                              fmt::format("delete pool failed: pool '{}' does not exist", pool));
    }
    for (const auto& [vmid, guest] : state.guests()) {
      if (guest.spec.pool == pool) {
        return ApiResult::error(500, "delete pool failed: pool is not empty");
      }
    }
    state.pools().erase(pool);
    state.touch();
    return ApiResult::ok();
  };
  table.add(Verb::delete_, "/pools", writer(delete_pool));
  table.add(Verb::delete_, "/pools/{poolid}", writer(delete_pool));
  const auto update_pool = [](ClusterState& state, const ApiCall& call) -> ApiResult {
    const std::string pool = call.text("poolid");
    const auto it = state.pools().find(pool);
    if (it == state.pools().end()) {
      return ApiResult::error(500, fmt::format("pool '{}' does not exist", pool));
    }
    if (call.has("comment")) it->second = call.text("comment");
    if (call.has("vms")) {
      const bool remove = call.flag("delete");
      for (const auto& id : split_list(call.text("vms"), ",; ")) {
        if (auto* guest = state.find_guest(
                common::parse_number<int>(id, common::kLeadingNumber).value_or(0))) {
          if (remove && guest->spec.pool == pool) guest->spec.pool.clear();
          if (!remove) guest->spec.pool = pool;
        }
      }
    }
    state.touch();
    return ApiResult::ok();
  };
  table.add(Verb::put, "/pools", writer(update_pool));
  table.add(Verb::put, "/pools/{poolid}", writer(update_pool));
}

}  // namespace pbx::proxmox
