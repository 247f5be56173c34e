#include "netbox/coercion.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>

#include "common/text.hpp"
#include "netbox/store.hpp"
#include "netbox/values.hpp"

namespace pbx::netbox {
namespace {

namespace json = boost::json;
using Refused = common::Failure<std::string>;  // NetBox's message for a value it does not take

// DRF refuses number strings longer than this before parsing them.
constexpr size_t kMaxNumberText = 1000;

// DRF's DecimalField.validate_precision: at most max_digits digits, decimal_places of them
// after the point.
common::Result<void, std::string> check_precision(const Field& field, const DecimalDigits& number) {
  if (!field.max_digits) return {};
  int64_t total = 0;
  int64_t places = 0;
  if (number.exponent >= 0) {
    total = number.digits + number.exponent;
  } else if (number.digits > -number.exponent) {
    total = number.digits;
    places = -number.exponent;
  } else {
    total = -number.exponent;
    places = total;
  }
  const int64_t whole = total - places;
  if (total > field.max_digits) {
    return common::Failure{"Ensure that there are no more than " +
                           std::to_string(field.max_digits) + " digits in total."};
  }
  if (places > field.decimal_places) {
    return common::Failure{"Ensure that there are no more than " +
                           std::to_string(field.decimal_places) + " decimal places."};
  }
  if (whole > field.max_digits - field.decimal_places) {
    return common::Failure{"Ensure that there are no more than " +
                           std::to_string(field.max_digits - field.decimal_places) +
                           " digits before the decimal point."};
  }
  return {};
}

// The field's value limits (Min/MaxValueValidator), read with `parse` and worded as DRF words
// them.
template <typename Number>
common::Result<void, std::string> check_range(const Field& field, Number number,
                                              std::optional<Number> (*parse)(std::string_view)) {
  const auto maximum = parse(field.max_value);
  const auto minimum = parse(field.min_value);
  if (maximum && number > *maximum) {
    return common::Failure{"Ensure this value is less than or equal to " + field.max_value + "."};
  }
  if (minimum && number < *minimum) {
    return common::Failure{"Ensure this value is greater than or equal to " + field.min_value +
                           "."};
  }
  return {};
}

std::string not_found_by_attributes(const json::value& value) {
  return "Related object not found using the provided attributes: " + python_repr(value);
}

// Adds one `key: attribute` of a relation's attribute dict to `where`; false when it cannot
// name anything of `related`.
bool match_attribute(RequestContext& context, const Model& related, const std::string& key,
                     const json::value& attribute, Condition& where) {
  const Registry& registry = Registry::instance();
  const size_t split = key.find("__");
  const Field* field = related.field(key.substr(0, split));
  const bool plain = key == "id" || (field && split == std::string::npos);
  if (plain) {
    json::value match = attribute;
    if (attribute.is_object() && field && field->kind == FieldKind::ForeignKey) {
      // A relation inside the attributes is itself a dict of attributes (NetBox's Brief
      // request shapes nest: device_type → manufacturer).
      auto inner = resolve_related(context, *registry.by_key(field->related), attribute);
      if (!inner) return false;
      match = *inner;
    }
    if (match.is_null()) {
      where.add(field_sql(key) + " IS NULL");
    } else {
      where.add(field_sql(key) + " = ?", {to_sql(match)});
    }
    return true;
  }
  if (!field || field->kind != FieldKind::ForeignKey) return false;
  // "manufacturer__slug": one hop through a relation.
  const Model& hop = *registry.by_key(field->related);
  const std::string hop_field = key.substr(split + 2);
  if (hop_field != "id" && !hop.field(hop_field)) return false;
  where.add(field_sql(field->name) + " IN (SELECT id FROM " + hop.table() + " WHERE " +
                field_sql(hop_field) + " = ?)",
            {to_sql(attribute)});
  return true;
}

}  // namespace

common::Result<int64_t, std::string> resolve_related(RequestContext& context, const Model& related,
                                                     const json::value& value) {
  std::optional<int64_t> id;
  if (value.is_int64()) id = value.get_int64();
  if (value.is_uint64()) id = static_cast<int64_t>(value.get_uint64());
  if (value.is_string()) id = parse_integer(value.get_string());
  if (id) {
    if (context.store.exists(related, *id)) return *id;
    return Refused{"Related object not found using the provided numeric ID: " +
                   std::to_string(*id)};
  }
  if (!value.is_object()) {
    return Refused{
        "Related objects must be referenced by numeric ID or by dictionary of attributes. "
        "Received an unrecognized value: " +
        python_repr(value)};
  }
  Condition where;
  for (const auto& [key, attribute] : value.get_object()) {
    if (!match_attribute(context, related, std::string(key), attribute, where)) {
      return Refused{not_found_by_attributes(value)};
    }
  }
  const auto ids = context.store.ids(related, where);
  if (ids.empty()) return Refused{not_found_by_attributes(value)};
  if (ids.size() > 1) {
    return Refused{"Multiple objects match the provided attributes: " + python_repr(value)};
  }
  return ids.front();
}

common::Result<json::array, std::string> coerce_tags(RequestContext& context,
                                                     const json::value& input) {
  if (!input.is_array()) {
    return Refused{"Expected a list of items but got type \"" + python_type(input) + "\"."};
  }
  const Model& tag_model = *Registry::instance().by_key("extras.tag");
  json::array ids;
  for (const json::value& item : input.get_array()) {
    auto resolved = resolve_related(context, tag_model, item);
    if (!resolved) return Refused{resolved.error()};
    const int64_t id = *resolved;
    if (std::find(ids.begin(), ids.end(), json::value(id)) == ids.end()) ids.push_back(id);
  }
  return ids;
}

// null, "", [] or {}: what an unmodelled field renders as.
bool is_empty_value(const json::value& value) {
  return value.is_null() || (value.is_string() && value.get_string().empty()) ||
         (value.is_array() && value.get_array().empty()) ||
         (value.is_object() && value.get_object().empty());
}

void check_unknown_fields(const RequestContext& context, const Model& model,
                          const json::object& body, Errors& errors) {
  static const std::set<std::string_view> kSerialisedForEveryModel = {
      "id", "url", "display", "display_url", "created", "last_updated"};
  auto listed = [](const std::vector<std::string>& names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  for (const auto& [key, value] : body) {
    // What the emulator does not model it renders empty; writing that same empty value back
    // (a client echoing a fetched object) changes nothing.
    if (listed(model.not_emulated, key) && !is_empty_value(value)) {
      errors[std::string(key)].push_back("netbox-emulator does not emulate this NetBox field.");
      continue;
    }
    const Field* field = model.field(key);
    const bool known =
        kSerialisedForEveryModel.count(key) ||
        (field && field_in_version(*field, context.options.version)) ||
        (key == "tags" && model.tags) || (key == "custom_fields" && model.custom_fields) ||
        ((key == "add_tags" || key == "remove_tags") && model.tags && context.at_least("4.6")) ||
        (key == "changelog_message" && context.at_least("4.4")) ||
        listed(model.ignored_on_write, key);
    if (known || listed(model.not_emulated, key)) continue;
    if (context.options.strict_fields) errors[std::string(key)].push_back("Unknown field.");
  }
}

std::optional<Condition> unique_condition(const UniqueRule& rule, const json::object& out,
                                          std::optional<int64_t> id) {
  Condition where;
  for (size_t i = 0; i < rule.fields.size(); ++i) {
    const json::value* value = out.if_contains(rule.fields[i]);
    if (!value || value->is_null()) return std::nullopt;
    const std::string expression = field_sql(rule.fields[i]);
    if (i == 0 && rule.case_insensitive_first) {
      where.add("lower(" + expression + ") = lower(?)", {to_sql(*value)});
    } else {
      where.add(expression + " = ?", {to_sql(*value)});
    }
  }
  for (const std::string& scope : rule.when_null) {
    const json::value* value = out.if_contains(scope);
    if (value && !value->is_null()) return std::nullopt;
    where.add(field_sql(scope) + " IS NULL");
  }
  if (id) where.add("id <> ?", {*id});
  return where;
}

void check_unique(RequestContext& context, const Model& model, const json::object& out,
                  std::optional<int64_t> id, Errors& errors) {
  for (const UniqueRule& rule : model.unique) {
    if (!rule_in_version(rule, context.options.version)) continue;
    const auto where = unique_condition(rule, out, id);
    if (where && context.store.count(model, *where) > 0) {
      errors[rule.error_key].push_back(rule.message);
    }
  }
}

Coerced coerce_text(RequestContext&, const Field& field, const json::value& input) {
  std::string text;
  if (input.is_string()) {
    text = common::trim(input.get_string());
  } else if (input.is_int64() || input.is_uint64() || input.is_double()) {
    text = json::serialize(input);
  } else {
    return Refused{"Not a valid string."};
  }
  if (text.empty() && !field.allow_blank) return Refused{"This field may not be blank."};
  if (field.max_length && utf8_length(text) > field.max_length) {
    return Refused{"Ensure this field has no more than " + std::to_string(field.max_length) +
                   " characters."};
  }
  if (field.kind == FieldKind::Slug && !is_slug(text)) {
    // DRF's SlugField message (straight quotes), not Django's validate_slug one.
    return Refused{
        "Enter a valid \"slug\" consisting of letters, numbers, "
        "underscores or hyphens."};
  }
  return json::value(text);
}

Coerced coerce_integer(RequestContext&, const Field& field, const json::value& input) {
  const bool limited = !field.min_value.empty() || !field.max_value.empty();
  std::optional<int64_t> number;
  if (input.is_int64()) number = input.get_int64();
  if (input.is_uint64() && limited) number = std::numeric_limits<int64_t>::max();
  if (input.is_double()) {
    // DRF parses str(value): Python writes a float from 1e16 on in exponent form, which int()
    // refuses, and an integral float below that as "<digits>.0", which it accepts.
    const double value = input.get_double();
    if (value == std::trunc(value) && std::fabs(value) < 1e16) {
      number = static_cast<int64_t>(value);
    }
  }
  if (input.is_string()) {
    if (input.get_string().size() > kMaxNumberText) return Refused{"String value too large."};
    std::string text(common::trim(input.get_string()));
    // DRF drops a trailing ".0…" before int() ("5.0" is 5).
    if (const size_t point = text.find('.');
        point != std::string::npos && text.find_first_not_of('0', point + 1) == std::string::npos) {
      text.erase(point);
    }
    number = limited ? parse_integer_clamped(text) : parse_integer(text);
  }
  if (!number) return Refused{"A valid integer is required."};
  if (auto checked = check_range(field, *number, parse_integer); !checked)
    return Refused{checked.error()};
  return json::value(*number);
}

Coerced coerce_number(RequestContext&, const Field& field, const json::value& input) {
  // DRF's DecimalField reads str(value): a JSON number as Python prints it, a string trimmed.
  std::string text;
  if (input.is_int64() || input.is_uint64()) {
    text = json::serialize(input);
  } else if (input.is_double()) {
    char buffer[64];
    const auto written = std::to_chars(buffer, buffer + sizeof buffer, input.get_double());
    text.assign(buffer, written.ptr);
  } else if (input.is_string()) {
    if (input.get_string().size() > kMaxNumberText) return Refused{"String value too large."};
    text = common::trim(input.get_string());
  } else {
    return Refused{"A valid number is required."};
  }
  const auto digits = decimal_digits(text);
  const auto number = digits ? parse_number(text) : std::nullopt;
  if (!number) return Refused{"A valid number is required."};
  if (auto checked = check_precision(field, *digits); !checked) return Refused{checked.error()};
  if (auto checked = check_range(field, *number, parse_number); !checked)
    return Refused{checked.error()};
  return json::value(*number);
}

Coerced coerce_boolean(RequestContext&, const Field&, const json::value& input) {
  std::optional<bool> flag;
  if (input.is_bool()) flag = input.get_bool();
  if (input.is_int64() && (input.get_int64() == 0 || input.get_int64() == 1)) {
    flag = input.get_int64() == 1;
  }
  if (input.is_string()) flag = parse_boolean(input.get_string());
  if (!flag) return Refused{"Must be a valid boolean."};
  return json::value(*flag);
}

// The refused value as NetBox's ChoiceField names it, str() of what it compared: "true" and
// "false" (any case) became True/False, an integer string its int, anything else as sent.
std::string choice_as_python(const json::value& input) {
  if (!input.is_string()) return python_repr(input);
  const std::string text(input.get_string());
  const std::string lower = common::to_lower(text);
  if (lower == "true") return "True";
  if (lower == "false") return "False";
  if (const auto number = parse_integer(common::trim(text))) return std::to_string(*number);
  return text;
}

Coerced coerce_choice(RequestContext&, const Field& field, const json::value& input) {
  if (input.is_object() || input.is_array()) {
    return Refused{
        "Value must be passed directly (e.g. \"foo\": 123); do not use a dictionary or list."};
  }
  const std::string raw =
      input.is_string() ? std::string(input.get_string()) : json::serialize(input);
  if (raw.empty() && field.nullable) return json::value(nullptr);
  for (const Choice& choice : field.choices) {
    if (choice.value == raw) return json::value(raw);
  }
  return Refused{choice_as_python(input) + " is not a valid choice."};
}

Coerced coerce_foreign_key(RequestContext& context, const Field& field, const json::value& input) {
  auto resolved = resolve_related(context, *Registry::instance().by_key(field.related), input);
  if (!resolved) return Refused{resolved.error()};
  return json::value(*resolved);
}

Coerced coerce_json(RequestContext&, const Field&, const json::value& input) {
  return json::value(input);
}

Coerced coerce_string_list(RequestContext&, const Field& field, const json::value& input) {
  if (!input.is_array()) {
    return Refused{"Expected a list of items but got type \"" + python_type(input) + "\"."};
  }
  json::array items;
  for (const json::value& item : input.get_array()) {
    if (!item.is_string()) return Refused{"Not a valid string."};
    if (!Registry::instance().by_key(item.get_string()) && field.name == "object_types") {
      return Refused{"Invalid content type: " + std::string(item.get_string())};
    }
    items.push_back(item);
  }
  return json::value(std::move(items));
}

Coerced coerce_datetime(RequestContext&, const Field&, const json::value& input) {
  if (!input.is_string() || !is_iso_datetime(input.get_string())) {
    return Refused{
        "Datetime has wrong format. Use one of these formats instead: "
        "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."};
  }
  return json::value(input);
}

Coerced coerce_content_type(RequestContext&, const Field& field, const json::value& input) {
  if (!input.is_string() || input.get_string().find('.') == json::string::npos) {
    return Refused{"Invalid value. Specify a content type as '<app_label>.<model_name>'."};
  }
  const std::string type(input.get_string());
  if (std::find(field.allowed_types.begin(), field.allowed_types.end(), type) ==
      field.allowed_types.end()) {
    return Refused{"Invalid content type: " + type};
  }
  return json::value(type);
}

Coerced coerce_mac(RequestContext&, const Field&, const json::value& input) {
  if (!input.is_string()) return Refused{"Not a valid string."};
  const auto mac = normalize_mac(input.get_string());
  if (!mac) {
    std::string shown(input.get_string());
    shown.erase(std::remove(shown.begin(), shown.end(), ' '), shown.end());
    return Refused{"Invalid MAC address format: " + shown};
  }
  return json::value(*mac);
}

Coerced coerce_ip(RequestContext&, const Field& field, const json::value& input) {
  if (!input.is_string()) return Refused{"Not a valid string."};
  auto address = normalize_ip(input.get_string(), field.kind == FieldKind::IpNetwork);
  if (!address) return Refused{address.error()};
  return json::value(*address);
}

}  // namespace pbx::netbox
