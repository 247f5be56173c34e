#pragma once
// Deterministic, realistic data generated from an operation's `returns` schema, for operations
// without hand-written behaviour. Same (operation, path params, seed) → same value, byte for byte.

#include <boost/json/value.hpp>
#include <cstdint>
#include <string_view>

#include "http/message.hpp"
#include "proxmox/api_schema.hpp"

namespace pbx::proxmox {

// The `data` member of the response (the caller wraps it in {"data": ...}). Values are chosen by
// property name and format (node names "pve1", vmids from 100, MACs "BC:24:11:..", UPIDs, IPs,
// storage ids, timestamps), honour enum/minimum/maximum/maxLength and, best-effort, pattern;
// arrays hold 1–3 items. Path params are echoed where a property has their name ("node" → the
// requested node). The result passes validate_value(*operation.returns, result).
boost::json::value sample_returns(const Operation& operation, const http::Params& path_params,
                                  uint64_t seed);

// The same generator for one schema; `name` is the property name it will be stored under.
boost::json::value sample_value(const boost::json::value& schema, std::string_view name,
                                uint64_t seed);

}  // namespace pbx::proxmox
