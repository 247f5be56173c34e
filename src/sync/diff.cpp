#include "sync/diff.hpp"

#include <cmath>
#include <set>
#include <unordered_map>

#include "common/text.hpp"

namespace pbx::sync {
namespace json = boost::json;

namespace {

std::string_view canonical_time(std::string_view text) {
  if (text.ends_with("+00:00")) text.remove_suffix(6);
  if (text.ends_with("Z")) text.remove_suffix(1);
  return text;
}

bool is_number(const json::value& value) {
  return value.is_int64() || value.is_uint64() || value.is_double();
}

double as_number(const json::value& value) {
  if (value.is_int64()) return static_cast<double>(value.get_int64());
  if (value.is_uint64()) return static_cast<double>(value.get_uint64());
  return value.get_double();
}

int64_t related_id(const json::value& value) {
  if (value.is_object()) {
    if (const auto* id = value.as_object().if_contains("id"); id && is_number(*id)) {
      return static_cast<int64_t>(as_number(*id));
    }
  }
  if (is_number(value)) return static_cast<int64_t>(as_number(value));
  return -1;
}

// Tags: every tag we want must be present; tags someone else added stay. Returns the merged
// list to write, or an empty array when nothing is missing.
json::array missing_tags_merged(const json::value& desired, const json::value* current) {
  std::set<int64_t> have;
  if (current && current->is_array()) {
    for (const auto& tag : current->as_array())
      have.insert(related_id(tag));
  }
  bool missing = false;
  if (desired.is_array()) {
    for (const auto& tag : desired.as_array())
      missing |= !have.count(related_id(tag));
  }
  if (!missing) return {};
  json::array merged;
  for (const int64_t id : have) {
    if (id >= 0) merged.push_back(id);
  }
  for (const auto& tag : desired.as_array()) {
    if (!have.count(related_id(tag))) merged.push_back(related_id(tag));
  }
  return merged;
}

}  // namespace

bool same_value(const json::value& desired, const json::value& current) {
  if (desired.is_null() || current.is_null()) {
    if (desired.is_null() && current.is_string()) return current.get_string().empty();
    if (current.is_null() && desired.is_string()) return desired.get_string().empty();
    return desired.is_null() && current.is_null();
  }
  if (current.is_object() && !desired.is_object()) {
    const auto& object = current.as_object();
    if (const auto* value = object.if_contains("value")) return same_value(desired, *value);
    if (is_number(desired)) return related_id(current) == related_id(desired);
    return false;
  }
  if (is_number(desired) && is_number(current)) {
    return std::fabs(as_number(desired) - as_number(current)) < 1e-9;
  }
  if (is_number(desired) && current.is_string()) {
    // NetBox serialises some decimals (vcpus) as strings.
    const auto number = common::parse_number<double>(current.get_string(), common::kLeadingNumber);
    return number && std::fabs(as_number(desired) - *number) < 1e-9;
  }
  if (desired.is_string() && current.is_string()) {
    return desired.get_string() == current.get_string() ||
           canonical_time(desired.get_string()) == canonical_time(current.get_string());
  }
  if (desired.is_object() && current.is_object()) {
    for (const auto& [key, value] : desired.as_object()) {
      const auto* other = current.as_object().if_contains(key);
      if (!other || !same_value(value, *other)) return false;
    }
    return true;
  }
  if (desired.is_array() && current.is_array()) {
    const auto& a = desired.as_array();
    const auto& b = current.as_array();
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!same_value(a[i], b[i])) return false;
    }
    return true;
  }
  return desired == current;
}

Plan diff(const std::vector<DesiredObject>& desired, const std::vector<CurrentObject>& current,
          const DiffOptions& options) {
  Plan plan;
  std::unordered_map<std::string, const CurrentObject*> by_key;
  for (const auto& object : current)
    by_key.emplace(object.key, &object);
  std::set<int64_t> matched;  // ids: a second current object with a taken key is an orphan

  for (const auto& want : desired) {
    const auto found = by_key.find(want.key);
    if (found == by_key.end()) {
      plan.creates.push_back(want);
      continue;
    }
    const CurrentObject& have = *found->second;
    matched.insert(have.id);
    json::object patch;
    json::object volatile_values;
    for (const auto& [name, value] : want.fields) {
      const json::value* existing = have.fields.if_contains(name);
      if (name == "tags") {
        json::array merged = missing_tags_merged(value, existing);
        if (!merged.empty()) patch["tags"] = std::move(merged);
      } else if (name == "custom_fields" && value.is_object()) {
        const json::object* existing_fields =
            existing && existing->is_object() ? &existing->as_object() : nullptr;
        json::object changed;
        for (const auto& [cf_name, cf_value] : value.as_object()) {
          if (options.volatile_custom_fields.count(std::string(cf_name))) {
            volatile_values[cf_name] = cf_value;
            continue;
          }
          const json::value* cf_existing =
              existing_fields ? existing_fields->if_contains(cf_name) : nullptr;
          if (!cf_existing || !same_value(cf_value, *cf_existing)) changed[cf_name] = cf_value;
        }
        if (!changed.empty()) patch["custom_fields"] = std::move(changed);
      } else if (!existing || !same_value(value, *existing)) {
        patch[name] = value;
      }
    }
    if (patch.empty()) {
      plan.unchanged.push_back({have.id, have.key});
      continue;
    }
    if (!volatile_values.empty()) {
      auto& custom_fields = patch["custom_fields"];
      if (!custom_fields.is_object()) custom_fields = json::object{};
      for (const auto& [cf_name, cf_value] : volatile_values) {
        custom_fields.as_object()[cf_name] = cf_value;
      }
    }
    patch["id"] = have.id;
    plan.updates.push_back({have.id, want.key, std::move(patch)});
  }
  for (const auto& object : current) {
    if (!matched.count(object.id)) plan.orphans.push_back({object.id, object.key});
  }
  return plan;
}

std::pair<std::string, std::string> fields_to_read(
    const std::vector<DesiredObject>& desired, std::initializer_list<std::string_view> key_fields) {
  std::set<std::string, std::less<>> names{"id"};
  for (const auto name : key_fields)
    names.emplace(name);
  for (const auto& object : desired) {
    for (const auto& [name, value] : object.fields)
      names.emplace(name);
  }
  std::string joined;
  for (const auto& name : names)
    joined += (joined.empty() ? "" : ",") + name;
  return {"fields", std::move(joined)};
}

}  // namespace pbx::sync
