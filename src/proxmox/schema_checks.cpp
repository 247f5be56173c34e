#include "proxmox/schema_checks.hpp"

#include <array>
#include <cmath>
#include <map>
#include <optional>
#include <vector>

#include "common/text.hpp"
#include "proxmox/schema_formats.hpp"
#include "proxmox/schema_json.hpp"
#include "proxmox/schema_patterns.hpp"

namespace pbx::proxmox::validation {

namespace json = boost::json;

namespace {

// pveproxy bounds the request; a value larger than this is never legitimate.
constexpr size_t kMaxValueBytes = 64 * 1024;

// Integers and numbers in request text may carry a leading '+'; a number must be finite.
std::optional<int64_t> parse_integer(std::string_view text) {
  return common::parse_number<int64_t>(text, {.plus_sign = true});
}

std::optional<double> parse_number(std::string_view text) {
  const auto number = common::parse_number<double>(text, {.plus_sign = true});
  if (!number || !std::isfinite(*number)) return std::nullopt;
  return number;
}

// Proxmox's boolean spellings, any case: narrower than NetBox's (no t/f/y/n).
std::optional<bool> parse_boolean(std::string_view text) {
  using namespace std::string_view_literals;
  static constexpr std::array kYes{"1"sv, "true"sv, "yes"sv, "on"sv};
  static constexpr std::array kNo{"0"sv, "false"sv, "no"sv, "off"sv};
  return common::parse_boolean(text, {kYes, kNo});
}

std::string type_error(std::string_view type, const json::value& value) {
  return "type check ('" + std::string(type) + "') failed - got '" + display(value) + "'";
}

}  // namespace

// Converts a request value (string from a query/form, or any JSON value from a JSON body) to
// the schema's type, or the error message.
common::Result<json::value, std::string> convert(const json::object& schema,
                                                 const json::value& raw) {
  const auto type = schema_type(schema);
  if (type == "integer") {
    if (raw.is_int64() || raw.is_uint64()) return raw;
    if (raw.is_double() && std::nearbyint(raw.get_double()) == raw.get_double() &&
        std::fabs(raw.get_double()) < 9e15)
      return json::value(static_cast<int64_t>(raw.get_double()));
    if (raw.is_string()) {
      if (const auto number = parse_integer(raw.get_string())) return json::value(*number);
    }
    return Refused{type_error(type, raw)};
  }
  if (type == "number") {
    if (auto number = number_of(raw)) return json::value(*number);
    if (raw.is_string()) {
      if (const auto number = parse_number(raw.get_string())) return json::value(*number);
    }
    return Refused{type_error(type, raw)};
  }
  if (type == "boolean") {
    if (raw.is_bool()) return raw;
    if ((raw.is_int64() || raw.is_uint64()) && (raw == 0 || raw == 1)) return json::value(raw != 0);
    if (raw.is_string()) {
      if (auto flag = parse_boolean(raw.get_string())) return json::value(*flag);
    }
    return Refused{type_error(type, raw)};
  }
  if (type == "string") {
    if (raw.is_string()) return raw;
    if (raw.is_int64() || raw.is_uint64() || raw.is_double()) return json::value(display(raw));
    if (raw.is_bool()) return json::value(raw.get_bool() ? "1" : "0");
    return Refused{type_error(type, raw)};
  }
  if (type == "array") {
    const auto* items = as_object(schema.if_contains("items"));
    json::array converted;
    auto add = [&](const json::value& item) -> ValueCheck {
      if (!items) {
        converted.push_back(item);
        return {};
      }
      auto result = convert(*items, item);
      if (!result) return Refused{result.error()};
      converted.push_back(std::move(*result));
      return {};
    };
    if (raw.is_array()) {
      for (const auto& item : raw.get_array()) {
        if (auto added = add(item); !added) return Refused{added.error()};
      }
    } else if (raw.is_object()) {
      return Refused{type_error(type, raw)};
    } else if (auto added = add(raw); !added) {
      return Refused{added.error()};
    }
    return json::value(std::move(converted));
  }
  return raw;
}

namespace {

// "key=value,key2=value2" property strings (format given as an object of sub-schemas).
ValueCheck check_property_string(const json::object& format, std::string_view text) {
  std::vector<std::string> parts;
  std::string current;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      quoted = !quoted;
    } else if (c == '\\' && quoted && i + 1 < text.size()) {
      current.push_back(text[++i]);
    } else if (c == ',' && !quoted) {
      parts.push_back(std::move(current));
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  if (quoted) return Refused{"invalid format - unterminated quoted string"};
  if (!current.empty() || !parts.empty()) parts.push_back(std::move(current));

  std::string default_key;
  for (const auto& [key, sub] : format) {
    if (const auto* object = sub.if_object(); object && truthy(object->if_contains("default_key")))
      default_key = std::string(key);
  }
  std::map<std::string, std::string> given;
  for (const auto& part : parts) {
    if (part.empty()) continue;
    const size_t equals = part.find('=');
    std::string key;
    std::string value;
    if (equals == std::string::npos) {
      if (default_key.empty() || given.contains(default_key))
        return Refused{
            "invalid format - value without key, but schema does not define a default key"};
      key = default_key;
      value = part;
    } else {
      key = part.substr(0, equals);
      value = part.substr(equals + 1);
    }
    const auto* sub = as_object(format.if_contains(key));
    if (!sub)
      return Refused{"invalid format - invalid key in comma-separated list property: " + key};
    if (given.contains(key))
      return Refused{"invalid format - duplicate key in comma-separated list property: " + key};
    // "e1000=<mac>" names the model by its key and validates the value as the aliased key.
    if (const auto alias = string_member(*sub, "alias"); !alias.empty()) {
      if (const auto key_alias = string_member(*sub, "keyAlias"); !key_alias.empty())
        given[std::string(key_alias)] = key;
      key = std::string(alias);
      sub = as_object(format.if_contains(alias));
      if (!sub) continue;
    }
    auto converted = convert(*sub, json::value(value));
    if (!converted) return Refused{"invalid format - " + key + ": " + converted.error()};
    if (auto checked = check_value(*sub, *converted); !checked)
      return Refused{"invalid format - " + key + ": " + checked.error()};
    given[key] = value;
  }
  for (const auto& [key, sub] : format) {
    const auto* object = sub.if_object();
    if (!object || object->contains("alias") || given.contains(std::string(key))) continue;
    if (!is_optional(*object) && !object->contains("default"))
      return Refused{"invalid format - " + std::string(key) +
                     ": property is missing and it is not optional"};
  }
  return {};
}

ValueCheck check_string(const json::object& schema, std::string_view text) {
  if (text.size() > kMaxValueBytes)
    return Refused{"value may only be " + std::to_string(kMaxValueBytes) + " characters long"};
  const auto* min = schema.if_contains("minLength");
  if (const auto bound = min ? number_of(*min) : std::nullopt;
      bound && static_cast<double>(utf8_length(text)) < *bound)
    return Refused{"value must be at least " + number_text(*bound) + " characters long"};
  const auto* max = schema.if_contains("maxLength");
  if (const auto bound = max ? number_of(*max) : std::nullopt;
      bound && static_cast<double>(utf8_length(text)) > *bound)
    return Refused{"value may only be " + number_text(*bound) + " characters long"};
  if (const auto pattern = string_member(schema, "pattern"); !pattern.empty()) {
    if (!matches(pattern, text)) return Refused{"value does not match the regex pattern"};
  }
  if (const auto* format = schema.if_contains("format")) {
    if (format->is_string()) {
      if (auto checked = check_named_format(format->get_string(), text); !checked) return checked;
    } else if (format->is_object()) {
      if (auto checked = check_property_string(format->get_object(), text); !checked)
        return checked;
    }
  }
  return {};
}

ValueCheck check_enum(const json::object& schema, const json::value& value) {
  const auto* choices = schema.if_contains("enum");
  if (!choices || !choices->is_array()) return {};
  const std::string text = display(value);
  std::string listing;
  for (const auto& choice : choices->get_array()) {
    if (display(choice) == text) return {};
    if (!listing.empty()) listing += ", ";
    listing += display(choice);
  }
  return Refused{"value '" + text + "' does not have a value in the enumeration '" + listing + "'"};
}

ValueCheck check_range(const json::object& schema, double number) {
  if (const auto* min = schema.if_contains("minimum")) {
    if (const auto bound = number_of(*min); bound && number < *bound)
      return Refused{"value must have a minimum value of " + number_text(*bound)};
  }
  if (const auto* max = schema.if_contains("maximum")) {
    if (const auto bound = number_of(*max); bound && number > *bound)
      return Refused{"value must have a maximum value of " + number_text(*bound)};
  }
  return {};
}

std::string join_location(std::string_view location, std::string_view member) {
  if (location.empty()) return std::string(member);
  return std::string(location) + "." + std::string(member);
}

ValueCheck prefixed(std::string_view location, ValueCheck checked) {
  if (checked || location.empty()) return checked;
  return Refused{std::string(location) + ": " + checked.error()};
}

// Valid when one alternative takes the value; else the first alternative's problem.
ValueCheck check_one_of(const json::array& alternatives, const json::value& value,
                        const std::string& location) {
  std::optional<ValueCheck> first_failure;
  for (const auto& alternative : alternatives) {
    const auto* object = alternative.if_object();
    if (!object) continue;
    auto checked = check_at(*object, value, location);
    if (checked) return {};
    if (!first_failure) first_failure = std::move(checked);
  }
  if (first_failure) return *first_failure;
  return {};
}

}  // namespace

// Full recursive check of a typed value; the single place where the rules live.
ValueCheck check_at(const json::object& schema, const json::value& value,
                    const std::string& location) {
  if (const auto* one_of = schema.if_contains("oneOf"); one_of && one_of->is_array())
    return check_one_of(one_of->get_array(), value, location);
  const auto type = schema_type(schema);
  if (type == "null") {
    if (value.is_null()) return {};
    return prefixed(location, Refused{type_error(type, value)});
  }
  if (type == "integer") {
    const auto number = number_of(value);
    if (!number || std::nearbyint(*number) != *number)
      return prefixed(location, Refused{type_error(type, value)});
    if (auto checked = check_range(schema, *number); !checked) return prefixed(location, checked);
    if (const auto* format = schema.if_contains("format"); format && format->is_string()) {
      if (auto checked = check_named_format(format->get_string(), display(value)); !checked)
        return prefixed(location, checked);
    }
    return prefixed(location, check_enum(schema, value));
  }
  if (type == "number") {
    const auto number = number_of(value);
    if (!number) return prefixed(location, Refused{type_error(type, value)});
    return prefixed(location, check_range(schema, *number));
  }
  if (type == "boolean") {
    // The API itself answers booleans as 0/1 integers.
    const bool ok =
        value.is_bool() || ((value.is_int64() || value.is_uint64()) && (value == 0 || value == 1));
    if (ok) return {};
    return prefixed(location, Refused{type_error(type, value)});
  }
  if (type == "string") {
    if (!value.is_string()) return prefixed(location, Refused{type_error(type, value)});
    if (auto checked = check_enum(schema, value); !checked) return prefixed(location, checked);
    return prefixed(location, check_string(schema, value.get_string()));
  }
  if (type == "array") {
    if (!value.is_array()) return prefixed(location, Refused{type_error(type, value)});
    const auto* items = as_object(schema.if_contains("items"));
    if (!items) return {};
    const auto& array = value.get_array();
    for (size_t i = 0; i < array.size(); ++i) {
      if (auto checked = check_at(*items, array[i], location + "[" + std::to_string(i) + "]");
          !checked)
        return checked;
    }
    return {};
  }
  if (type == "object") {
    if (!value.is_object()) return prefixed(location, Refused{type_error(type, value)});
    const auto& object = value.get_object();
    const auto* properties = as_object(schema.if_contains("properties"));
    if (properties) {
      for (const auto& [name, sub] : *properties) {
        const auto* sub_schema = sub.if_object();
        if (!sub_schema) continue;
        const auto* member = object.if_contains(name);
        const std::string where = join_location(location, name);
        if (!member || (member->is_null() && is_optional(*sub_schema))) {
          if (!member && !is_optional(*sub_schema))
            return Refused{where + ": property is missing and it is not optional"};
          continue;
        }
        if (auto checked = check_at(*sub_schema, *member, where); !checked) return checked;
      }
    }
    const auto* additional = schema.if_contains("additionalProperties");
    for (const auto& [name, member] : object) {
      if (properties && properties->contains(name)) continue;
      if (additional && additional->is_object()) {
        auto checked = check_at(additional->get_object(), member, join_location(location, name));
        if (!checked) return checked;
      } else if (additional && !truthy(additional) && properties) {
        return Refused{join_location(location, name) +
                       ": property is not defined in schema and the schema does not allow "
                       "additional properties"};
      }
    }
    return {};
  }
  return {};  // "any"
}

ValueCheck check_value(const json::object& schema, const json::value& value) {
  return check_at(schema, value, {});
}

}  // namespace pbx::proxmox::validation
