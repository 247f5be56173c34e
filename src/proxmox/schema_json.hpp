#pragma once
// Small readers of the Proxmox schema dialect, shared by the schema index, the validator, the
// sample generator and the OpenAPI generator so they agree on what a flag means.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string_view>

#include "common/json.hpp"

namespace pbx::proxmox {

// Proxmox writes flags as 1/0, true/false, and sometimes "1"; absent is false.
bool truthy(const boost::json::value* value);
// `optional`, also when only the alternatives of a "oneOf" property carry it.
bool is_optional(const boost::json::object& schema);
// The member as a string, or "" when absent or not a string.
using common::string_member;

}  // namespace pbx::proxmox
