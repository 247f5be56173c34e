// The handler table: registration by schema operation, binding to a loaded schema, and the typed
// access to a validated call's parameters.

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "common/text.hpp"
#include "proxmox/handler_support.hpp"
#include "proxmox/handlers.hpp"

namespace pbx::proxmox {

std::string to_string(const OperationKey& key) {
  return fmt::format("{} {}", std::string_view(boost::beast::http::to_string(key.method)),
                     key.path);
}

void HandlerTable::add(OperationKey key, HandlerSpec spec, Availability availability) {
  if (find(key) != nullptr) {
    throw std::logic_error(fmt::format("handler for {} registered twice", to_string(key)));
  }
  entries_.push_back(Entry{std::move(key), std::move(spec), availability});
}

const HandlerTable::Entry* HandlerTable::find(const OperationKey& key) const {
  const auto it = std::find_if(entries_.begin(), entries_.end(),
                               [&](const Entry& entry) { return entry.key == key; });
  return it == entries_.end() ? nullptr : &*it;
}

const HandlerSpec* BoundHandlers::find(const Operation& operation) const {
  const auto it = by_operation_.find(&operation);
  return it == by_operation_.end() ? nullptr : &it->second;
}

BoundHandlers bind_handlers(HandlerTable table, const ApiSchema& schema) {
  BoundHandlers bound;
  std::vector<std::string> unknown;
  for (const auto& entry : table.entries()) {
    const Operation* operation = schema.operation(entry.key.method, entry.key.path);
    if (operation == nullptr) {
      if (entry.availability == Availability::every_schema) unknown.push_back(to_string(entry.key));
      continue;
    }
    bound.by_operation_.emplace(operation, entry.spec);
  }
  if (!unknown.empty()) {
    throw std::runtime_error(fmt::format(
        "proxmox schema {}: no operation for the handler(s) {} (mark an operation that only some "
        "releases have as version-specific)",
        schema.file().string(), join(unknown, ", ")));
  }
  return bound;
}

// ---- ApiCall --------------------------------------------------------------------------------

bool ApiCall::has(std::string_view name) const {
  return params.contains(name) || !request.path_param(name).empty();
}

std::string ApiCall::text(std::string_view name, std::string_view fallback) const {
  if (const auto* value = params.if_contains(name)) return value_text(*value);
  const std::string_view from_path = request.path_param(name);
  return from_path.empty() ? std::string(fallback) : std::string(from_path);
}

std::optional<int64_t> ApiCall::integer(std::string_view name) const {
  if (const auto* value = params.if_contains(name)) {
    if (value->is_int64()) return value->as_int64();
    if (value->is_uint64()) return static_cast<int64_t>(value->as_uint64());
    if (value->is_double()) return static_cast<int64_t>(value->as_double());
  }
  const std::string raw = text(name);
  if (raw.empty()) return std::nullopt;
  return common::parse_number<int64_t>(raw);
}

bool ApiCall::flag(std::string_view name, bool fallback) const {
  if (!has(name)) return fallback;
  return is_true(text(name));
}

}  // namespace pbx::proxmox
