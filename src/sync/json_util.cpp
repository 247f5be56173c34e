#include "sync/json_util.hpp"

namespace pbx::sync {

int64_t nested_id(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (!value) return 0;
  if (value->is_object()) return json_int(value->as_object().if_contains("id"));
  return json_int(value);
}

std::string nested_name(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (!value || !value->is_object()) return {};
  return json_string(value->as_object().if_contains("name"));
}

boost::json::value id_or_null(int64_t id) {
  return id > 0 ? boost::json::value(id) : boost::json::value(nullptr);
}

}  // namespace pbx::sync
