#pragma once
// Hand-written API behaviour over ClusterState, keyed by schema operation (GET
// /nodes/{node}/qemu). Each API subtree registers its handlers in a HandlerTable; at start-up the
// engine binds the table to the loaded schema (bind_handlers), which fails when a handler names
// an operation the schema does not have, unless it is marked version-specific. The engine
// resolves and validates a request against the schema first, then calls the handler bound to that
// operation under the right lock: readers share the state, writers own it.

#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>
#include <compare>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "http/message.hpp"
#include "proxmox/api_schema.hpp"
#include "proxmox/release.hpp"
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
  std::string message;         // the status-line text of an error, as the real API words it
  boost::json::object errors;  // per-parameter problems (raise_param_exc): "errors" of a 400

  static ApiResult ok(boost::json::value data = nullptr) { return {200, std::move(data), {}, {}}; }
  static ApiResult ok(std::string_view text) { return {200, boost::json::string(text), {}, {}}; }
  static ApiResult error(unsigned status, std::string message) {
    return {status, nullptr, std::move(message), {}};
  }
  // A parameter Proxmox refuses after the schema check (raise_param_exc): 400 with its message.
  static ApiResult invalid(std::string_view parameter, std::string_view problem) {
    return {400, nullptr, "Parameter verification failed.", {{parameter, problem}}};
  }
};

// Done, or the answer that refuses the call (README, error policy: the one result type).
using Checked = common::Result<void, ApiResult>;

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

// A schema operation: the method and the path template relative to /api2/json.
struct OperationKey {
  http::Verb method = http::Verb::get;
  std::string path;  // "/nodes/{node}/qemu"

  auto operator<=>(const OperationKey&) const = default;
};

std::string to_string(const OperationKey& key);  // "GET /nodes/{node}/qemu"

// Whether every schema of the service has the operation, or only some releases do (the handler
// is then bound only where the loaded schema has it).
enum class Availability { every_schema, version_specific };

// What the subtrees register. A key registered twice is a programming error (std::logic_error).
class HandlerTable {
 public:
  void add(OperationKey key, HandlerSpec spec,
           Availability availability = Availability::every_schema);
  void add(http::Verb method, std::string path, HandlerSpec spec,
           Availability availability = Availability::every_schema) {
    add(OperationKey{method, std::move(path)}, std::move(spec), availability);
  }

  struct Entry {
    OperationKey key;
    HandlerSpec spec;
    Availability availability = Availability::every_schema;
  };
  const std::vector<Entry>& entries() const { return entries_; }
  const Entry* find(const OperationKey& key) const;

 private:
  std::vector<Entry> entries_;
};

// A table bound to one loaded schema: the handler of each operation that has one.
class BoundHandlers {
 public:
  BoundHandlers() = default;
  // null: answer from the schema's `returns` (a generated sample).
  const HandlerSpec* find(const Operation& operation) const;
  size_t size() const { return by_operation_.size(); }

 private:
  friend BoundHandlers bind_handlers(HandlerTable table, const ApiSchema& schema);
  std::unordered_map<const Operation*, HandlerSpec> by_operation_;
};

// Throws std::runtime_error naming every handler whose operation the schema lacks (unless
// version-specific), so a mistyped key fails start-up instead of being silently dead.
BoundHandlers bind_handlers(HandlerTable table, const ApiSchema& schema);

HandlerTable pve_handlers(const Release& release);
HandlerTable pbs_handlers(const Release& release);
// /nodes/{node}/tasks/... shared by both services.
void add_task_handlers(HandlerTable& table);

}  // namespace pbx::proxmox
