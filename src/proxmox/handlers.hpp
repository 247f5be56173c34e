#pragma once
// Hand-written API behaviour over ClusterState, keyed by schema operation ("GET
// /nodes/{node}/qemu"). The engine resolves and validates a request against the schema first, then
// calls the handler for that operation under the right lock: readers share the state, writers own
// it.

#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "http/message.hpp"
#include "proxmox/state.hpp"

namespace pbx::proxmox {

// One validated API call: typed parameters (path captures, query and body merged) and the caller.
struct ApiCall {
  const http::Request& request;
  const boost::json::object& params;
  std::string user;  // "root@pam"; the default user when auth is off

  bool has(std::string_view name) const;
  // Strings as sent; numbers and booleans as Proxmox prints them ("1", "0", "42").
  std::string text(std::string_view name, std::string_view fallback = {}) const;
  std::optional<int64_t> integer(std::string_view name) const;
  bool flag(std::string_view name, bool fallback = false) const;
};

struct ApiResult {
  unsigned status = 200;
  boost::json::value data;
  std::string message;  // the status-line text of an error, as the real API words it

  static ApiResult ok(boost::json::value data = nullptr) { return {200, std::move(data), {}}; }
  static ApiResult ok(std::string_view text) { return {200, boost::json::string(text), {}}; }
  static ApiResult error(unsigned status, std::string message) {
    return {status, nullptr, std::move(message)};
  }
};

struct HandlerSpec {
  // Exactly one of the two is set.
  std::function<ApiResult(const ClusterState&, const ApiCall&)> read;
  std::function<ApiResult(ClusterState&, const ApiCall&)> write;
  // The answer depends only on the state and the target: safe to cache against state version.
  bool cacheable = false;
};

// Builds a read-only (or cacheable read-only) handler spec from a lambda.
template <typename Fn>
HandlerSpec reader(Fn fn, bool cacheable = false) {
  HandlerSpec spec;
  spec.read = std::move(fn);
  spec.cacheable = cacheable;
  return spec;
}

template <typename Fn>
HandlerSpec writer(Fn fn) {
  HandlerSpec spec;
  spec.write = std::move(fn);
  return spec;
}

using HandlerTable = std::unordered_map<std::string, HandlerSpec>;

// "GET /nodes/{node}/qemu"
std::string handler_key(http::Verb method, std::string_view path_template);

HandlerTable pve_handlers();
HandlerTable pbs_handlers();
// /nodes/{node}/tasks/... shared by both services.
void add_task_handlers(HandlerTable& table);

}  // namespace pbx::proxmox
