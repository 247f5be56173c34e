#include "common/json.hpp"

#include "common/text.hpp"

namespace pbx::common {

int64_t json_int(const boost::json::value* value, int64_t fallback) {
  if (!value) return fallback;
  if (value->is_int64()) return value->get_int64();
  if (value->is_uint64()) return static_cast<int64_t>(value->get_uint64());
  if (value->is_double()) return static_cast<int64_t>(value->get_double());
  if (value->is_bool()) return value->get_bool() ? 1 : 0;
  if (value->is_string()) {
    const std::string_view text = value->get_string();
    if (const auto whole = parse_number<int64_t>(text, {.trailing_text = true})) return *whole;
    if (const auto real = parse_number<double>(text, kLeadingNumber)) {
      return static_cast<int64_t>(*real);
    }
  }
  return fallback;
}

double json_number(const boost::json::value* value, double fallback) {
  if (!value) return fallback;
  if (value->is_double()) return value->get_double();
  if (value->is_int64()) return static_cast<double>(value->get_int64());
  if (value->is_uint64()) return static_cast<double>(value->get_uint64());
  if (value->is_string()) {
    if (const auto parsed = parse_number<double>(value->get_string(), kLeadingNumber)) {
      return *parsed;
    }
  }
  return fallback;
}

bool json_bool(const boost::json::value* value, bool fallback) {
  if (!value || value->is_null()) return fallback;
  if (value->is_bool()) return value->get_bool();
  if (value->is_string()) {
    // Proxmox property strings such as agent "enabled=1,fstrim_cloned_disks=1" or "1".
    std::string_view text = value->get_string();
    if (text.starts_with("enabled=")) text.remove_prefix(8);
    return !text.empty() && text.front() != '0' && text != "false";
  }
  return json_int(value, fallback ? 1 : 0) != 0;
}

std::string json_string(const boost::json::value* value, std::string_view fallback) {
  if (!value || value->is_null()) return std::string(fallback);
  if (value->is_string()) return std::string(value->get_string());
  if (value->is_int64()) return std::to_string(value->get_int64());
  if (value->is_uint64()) return std::to_string(value->get_uint64());
  if (value->is_double()) return std::to_string(value->get_double());
  if (value->is_bool()) return value->get_bool() ? "true" : "false";
  return std::string(fallback);
}

std::string_view string_member(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value && value->is_string() ? std::string_view(value->get_string()) : std::string_view();
}

}  // namespace pbx::common
