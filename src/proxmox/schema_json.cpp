#include "proxmox/schema_json.hpp"

namespace pbx::proxmox {

namespace json = boost::json;

bool truthy(const json::value* value) {
  if (!value) return false;
  if (value->is_bool()) return value->get_bool();
  if (value->is_int64()) return value->get_int64() != 0;
  if (value->is_uint64()) return value->get_uint64() != 0;
  if (value->is_double()) return value->get_double() != 0;
  if (value->is_string()) return !value->get_string().empty() && value->get_string() != "0";
  return false;
}

bool is_optional(const json::object& schema) {
  if (truthy(schema.if_contains("optional"))) return true;
  if (const auto* one_of = schema.if_contains("oneOf"); one_of && one_of->is_array()) {
    for (const auto& alternative : one_of->get_array()) {
      if (const auto* object = alternative.if_object(); object && is_optional(*object)) return true;
    }
  }
  return false;
}

}  // namespace pbx::proxmox
