#pragma once
// Lenient readers for API JSON: Proxmox sends numbers as strings and booleans as 0/1 at will.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace pbx::sync {

int64_t json_int(const boost::json::value* value, int64_t fallback = 0);
double json_number(const boost::json::value* value, double fallback = 0);
bool json_bool(const boost::json::value* value, bool fallback = false);
std::string json_string(const boost::json::value* value, std::string_view fallback = {});

// A relation of a NetBox read object: its id (nested object or bare id), its name; 0 / "" when
// absent.
int64_t nested_id(const boost::json::object& object, std::string_view key);
std::string nested_name(const boost::json::object& object, std::string_view key);
// A relation in NetBox's write form: the id, or null for 0 (not created yet, dry run).
boost::json::value id_or_null(int64_t id);

inline const boost::json::value* field(const boost::json::object& object, std::string_view key) {
  return object.if_contains(key);
}

}  // namespace pbx::sync
