#include "netbox/custom_fields.hpp"

#include <algorithm>

#include "common/result.hpp"
#include "netbox/rendering.hpp"
#include "netbox/values.hpp"

namespace pbx::netbox {
namespace {

namespace json = boost::json;
using Checked = common::Result<void, std::string>;  // done, or why the value is invalid
using Refused = common::Failure<std::string>;

// A select value must be one of its choice set's values, a multiselect value a list of them
// (NetBox's CustomField.validate, with its messages). Base choices (IATA, ISO 3166,
// UN/LOCODE) are not loaded, so a set that has them accepts any value besides its extras.
Checked check_choice(RequestContext& context, const json::object& definition,
                     const json::value& value) {
  const int64_t set_id = int_field(definition, "choice_set");
  const auto set = set_id ? context.store.get(
                                *Registry::instance().by_key("extras.customfieldchoiceset"), set_id)
                          : std::nullopt;
  if (!set) return {};  // the set is required on select fields; nothing to check
  const json::value* base = set->if_contains("base_choices");
  if (base && base->is_string() && !base->get_string().empty()) return {};
  const std::set<std::string> values = choice_values(*set);
  auto valid = [&](const json::value& item) {
    return item.is_string() && values.count(std::string(item.get_string()));
  };
  const std::string set_name(set->at("name").as_string());
  const bool multiple = definition.at("type").as_string() == "multiselect";
  const bool ok = multiple ? value.is_array() && std::all_of(value.get_array().begin(),
                                                             value.get_array().end(), valid)
                           : valid(value);
  if (ok) return {};
  // Python formats the value with str(): a string bare, anything else as its repr.
  const std::string shown =
      value.is_string() ? std::string(value.get_string()) : python_repr(value);
  return Refused{std::string(multiple ? "Invalid choice(s) (" : "Invalid choice (") + shown +
                 ") for choice set " + set_name + "."};
}

Checked check_integer(const json::object& definition, const json::value& value) {
  if (!value.is_int64() && !value.is_uint64()) return Refused{"Value must be an integer."};
  const int64_t number = value.to_number<int64_t>();
  const json::value* minimum = definition.if_contains("validation_minimum");
  const json::value* maximum = definition.if_contains("validation_maximum");
  if (minimum && minimum->is_int64() && number < minimum->get_int64()) {
    return Refused{"Value must be at least " + std::to_string(minimum->get_int64())};
  }
  if (maximum && maximum->is_int64() && number > maximum->get_int64()) {
    return Refused{"Value must not exceed " + std::to_string(maximum->get_int64())};
  }
  return {};
}

// object / multiobject: ids (or dicts with an id, reduced to it) of existing objects.
Checked check_object(RequestContext& context, const json::object& definition, json::value& value) {
  const json::value* related_type = definition.if_contains("related_object_type");
  const Model* related = related_type && related_type->is_string()
                             ? Registry::instance().by_key(related_type->get_string())
                             : nullptr;
  auto check = [&](json::value& item) -> Checked {
    if (item.is_object() && item.get_object().if_contains("id")) {
      item = json::value(item.get_object().at("id"));
    }
    if (!item.is_int64()) return Refused{"Value must be an object ID, not " + python_type(item)};
    if (related && !context.store.exists(*related, item.get_int64())) {
      return Refused{"Related object not found using the provided numeric ID: " +
                     std::to_string(item.get_int64())};
    }
    return {};
  };
  if (definition.at("type").as_string() == "object") return check(value);
  if (!value.is_array()) return Refused{"Value must be a list of object IDs"};
  for (json::value& item : value.get_array()) {
    if (auto checked = check(item); !checked) return checked;
  }
  return {};
}

Checked check_custom_field(RequestContext& context, const json::object& definition,
                           json::value& value) {
  if (value.is_null()) return {};
  const std::string type(definition.at("type").as_string());
  if (type == "text" || type == "longtext" || type == "url") {
    if (!value.is_string()) return Refused{"Value must be a string."};
    return {};
  }
  if (type == "select" || type == "multiselect") return check_choice(context, definition, value);
  if (type == "integer") return check_integer(definition, value);
  if (type == "decimal") {
    if (!value.is_number()) return Refused{"Value must be a decimal."};
    return {};
  }
  if (type == "boolean") {
    if (!value.is_bool()) return Refused{"Value must be true or false."};
    return {};
  }
  if (type == "date") {
    if (!value.is_string() || !is_iso_date(value.get_string())) {
      return Refused{"Date values must be in ISO 8601 format (YYYY-MM-DD)."};
    }
    return {};
  }
  if (type == "datetime") {
    if (!value.is_string() || !is_iso_datetime(value.get_string())) {
      return Refused{"Date and time values must be in ISO 8601 format (YYYY-MM-DD HH:MM:SS)."};
    }
    return {};
  }
  if (type == "object" || type == "multiobject") return check_object(context, definition, value);
  return {};  // json
}

}  // namespace

const std::vector<StoredObject>& custom_field_rows(RequestContext& context) {
  if (!context.custom_fields) {
    const Model& model = *Registry::instance().by_key("extras.customfield");
    context.custom_fields = context.store.select(model, {}, field_sql("name"), -1, 0);
  }
  return *context.custom_fields;
}

std::vector<const json::object*> custom_fields_for(RequestContext& context, const Model& model) {
  std::vector<const json::object*> fields;
  for (const StoredObject& row : custom_field_rows(context)) {
    const json::value* types = row.data.if_contains("object_types");
    if (!types || !types->is_array()) continue;
    for (const json::value& type : types->get_array()) {
      if (type.is_string() && type.get_string() == model.key) {
        fields.push_back(&row.data);
        break;
      }
    }
  }
  return fields;
}

json::value render_custom_field_value(RequestContext& context, const json::object& definition,
                                      const json::value& value) {
  const std::string type(definition.at("type").as_string());
  const json::value* related_type = definition.if_contains("related_object_type");
  const Model* related = related_type && related_type->is_string()
                             ? Registry::instance().by_key(related_type->get_string())
                             : nullptr;
  if (related && type == "object" && value.is_int64()) {
    return nested(context, *related, value.get_int64());
  }
  if (related && type == "multiobject" && value.is_array()) {
    json::array items;
    for (const json::value& id : value.get_array()) {
      if (id.is_int64()) items.push_back(nested(context, *related, id.get_int64()));
    }
    return items;
  }
  return value;
}

// A value for a custom field the model does not have: the model's clean() refuses it in 4.2;
// 4.4.10 drops it as stale data (netbox#21049; 4.3 not checked); 4.6 refuses it in the
// serializer, keyed by the name (4.5 not checked: taken as 4.4).
void unknown_custom_field(const RequestContext& context, const std::string& name, Errors& errors) {
  if (context.at_least("4.6")) {
    errors[keyed_error("custom_fields", name)].push_back("Custom field '" + name +
                                                         "' does not exist for this object type.");
  } else if (!context.at_least("4.4")) {
    errors["__all__"].push_back("Unknown field name '" + name + "' in custom field data.");
  }
}

void validate_custom_fields(RequestContext& context, const Model& model, const json::value* input,
                            bool creating, json::object& out, Errors& errors) {
  json::object values;
  if (const json::value* existing = out.if_contains("custom_fields");
      existing && existing->is_object()) {
    values = existing->get_object();
  }
  const auto definitions = custom_fields_for(context, model);
  if (creating) {
    for (const json::object* definition : definitions) {
      const std::string name(definition->at("name").as_string());
      const json::value* fallback = definition->if_contains("default");
      if (!values.contains(name)) values[name] = fallback ? *fallback : nullptr;
    }
  }
  if (input) {
    if (!input->is_object()) {
      errors["custom_fields"].push_back(
          "Invalid data format. Custom field data must be passed as a dictionary mapping field "
          "names to their values.");
      return;
    }
    for (const auto& [name, value] : input->get_object())
      values[name] = value;
  }
  std::vector<std::string> stale;
  for (auto& [name_view, value] : values) {
    const std::string name(name_view);
    const auto definition =
        std::find_if(definitions.begin(), definitions.end(),
                     [&](const json::object* cf) { return cf->at("name").as_string() == name; });
    if (definition == definitions.end()) {
      unknown_custom_field(context, name, errors);
      stale.push_back(name);
      continue;
    }
    if (auto checked = check_custom_field(context, **definition, value); !checked) {
      errors["__all__"].push_back("Invalid value for custom field '" + name +
                                  "': " + checked.error());
    }
  }
  for (const json::object* definition : definitions) {
    const json::value* required = definition->if_contains("required");
    const std::string name(definition->at("name").as_string());
    const json::value* value = values.if_contains(name);
    if (required && required->is_bool() && required->get_bool() && (!value || value->is_null())) {
      errors["__all__"].push_back("Missing required custom field '" + name + "'.");
    }
  }
  for (const std::string& name : stale)
    values.erase(name);
  out["custom_fields"] = std::move(values);
}

std::set<std::string> choice_values(const json::object& set) {
  std::set<std::string> values;
  const json::value* extra = set.if_contains("extra_choices");
  if (!extra || !extra->is_array()) return values;
  for (const json::value& pair : extra->get_array()) {
    if (pair.is_array() && !pair.get_array().empty() && pair.get_array()[0].is_string()) {
      values.emplace(pair.get_array()[0].get_string());
    }
  }
  return values;
}

std::string custom_field_data_type(std::string_view type) {
  if (type == "integer") return "integer";
  if (type == "decimal") return "decimal";
  if (type == "boolean") return "boolean";
  if (type == "json" || type == "object") return "object";
  if (type == "multiselect" || type == "multiobject") return "array";
  return "string";
}

}  // namespace pbx::netbox
