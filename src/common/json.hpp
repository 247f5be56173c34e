#pragma once
// JSON helpers every layer uses (Boost.JSON). The lenient readers take a value as the APIs send
// it: Proxmox sends numbers as strings and booleans as 0/1 at will, NetBox some decimals as
// strings. Each takes a pointer (what object.if_contains answers) and falls back when the member
// is absent or of no usable kind.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace pbx::common {

// A number, or the text of one (a decimal one is cut to its whole part); true/false are 1/0.
int64_t json_int(const boost::json::value* value, int64_t fallback = 0);
// A number, or the text of one (strtod's form).
double json_number(const boost::json::value* value, double fallback = 0);
// true/false, a number (non-zero), or a text: "0…", "false" and "" are false, and a Proxmox
// property string "enabled=1,…" reads its enabled flag. null is the fallback.
bool json_bool(const boost::json::value* value, bool fallback = false);
// A string as it is; a number as std::to_string writes it, a boolean as true/false; null,
// objects and arrays are the fallback.
std::string json_string(const boost::json::value* value, std::string_view fallback = {});

// The member, or nullptr when absent.
inline const boost::json::value* field(const boost::json::object& object, std::string_view key) {
  return object.if_contains(key);
}
// The member when it is a string; "" when absent or of another kind (no conversion).
std::string_view string_member(const boost::json::object& object, std::string_view key);

}  // namespace pbx::common
