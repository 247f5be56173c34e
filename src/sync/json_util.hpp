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

inline const boost::json::value* field(const boost::json::object& object, std::string_view key) {
  return object.if_contains(key);
}

}  // namespace pbx::sync
