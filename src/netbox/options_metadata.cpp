#include "netbox/options_metadata.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <cctype>

#include "netbox/field_kinds.hpp"
#include "netbox/values.hpp"

namespace pbx::netbox {
namespace {

namespace json = boost::json;

// Django's default verbose name of a field, capitalised as DRF labels it ("time_zone" →
// "Time zone"); NetBox spells the primary key "ID".
std::string label_of(const std::string& name) {
  if (name == "id") return "ID";
  std::string label = name;
  std::replace(label.begin(), label.end(), '_', ' ');
  if (!label.empty())
    label[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(label[0])));
  return label;
}

// DRF's label_lookup for the serializer field NetBox declares for each kind. NetBox's own
// ChoiceField, JSON and content-type fields are plain serializer Fields, hence "field".
std::string type_of(const Field& field) {
  switch (field.kind) {
    case FieldKind::String:
    case FieldKind::IpInterface:
    case FieldKind::IpNetwork:
      return "string";
    case FieldKind::Slug:
      return "slug";
    case FieldKind::Integer:
    case FieldKind::GenericId:
    case FieldKind::Count:
      return "integer";
    case FieldKind::Number:
      return field.max_digits > 0 ? "decimal" : "float";
    case FieldKind::Total: {
      const Model* related = Registry::instance().by_key(field.related);
      const Field* summed = related ? related->field(field.summed) : nullptr;
      return summed && summed->kind == FieldKind::Number ? "decimal" : "integer";
    }
    case FieldKind::Boolean:
      return "boolean";
    case FieldKind::DateTime:
      return "datetime";
    case FieldKind::ForeignKey:
      return "nested object";
    case FieldKind::Constant: {
      const json::value& value = field.default_value ? *field.default_value : json::value();
      if (value.is_int64() || value.is_uint64()) return "integer";
      if (value.is_bool()) return "boolean";
      if (value.is_string()) return "string";
      if (value.is_array()) return "list";
      return "field";
    }
    default:  // NetBox's ChoiceField, JSON, content-type, generic and MAC fields are plain Fields
      return "field";
  }
}

// NetBox's ContentTypeMetadata: a writable content-type field lists the types it accepts,
// sorted by their display name ("DCIM > Interface").
json::array content_type_choices(const Field& field) {
  std::vector<std::pair<std::string, std::string>> choices;
  for (const std::string& key : field.allowed_types) {
    const Model* model = Registry::instance().by_key(key);
    // Django's app verbose names: DCIM and IPAM are acronyms, the others words.
    std::string app = key.substr(0, key.find('.'));
    if (app == "dcim" || app == "ipam") {
      for (char& c : app)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    } else {
      app = title_case(app);
    }
    choices.emplace_back(key, app + " > " + title_case(model ? model->verbose : key));
  }
  std::sort(choices.begin(), choices.end(),
            [](const auto& a, const auto& b) { return a.second < b.second; });
  json::array out;
  for (const auto& [value, display_name] : choices)
    out.push_back(json::object{{"value", value}, {"display_name", display_name}});
  return out;
}

json::object model_field_metadata(const RequestContext& context, const Field& field, int depth);

// A nested serializer's fields: the related model's brief form (one level deep, as far as a
// client reading `children` goes).
json::object children_of(const RequestContext& context, const Field& field, int depth) {
  json::object children;
  const Model* related = Registry::instance().by_key(field.related);
  if (!related) return children;
  for (const std::string& name : related->brief) {
    if (const Field* nested = related->field(name)) {
      json::object info = model_field_metadata(context, *nested, depth + 1);
      info["read_only"] = true;  // NetBox's nested serializers only identify the object
      info["required"] = false;
      info.erase("choices");
      children[name] = std::move(info);
    } else {
      children[name] = field_metadata(context, *related, name);
    }
  }
  return children;
}

json::object model_field_metadata(const RequestContext& context, const Field& field, int depth) {
  json::object info;
  info["type"] = type_of(field);
  const bool read_only = !is_written(field);
  info["required"] = field.required && !read_only && !field.default_value;
  info["read_only"] = read_only;
  info["label"] = label_of(field.name);
  if (field.max_length) info["max_length"] = field.max_length;
  if (!field.min_value.empty()) info["min_value"] = limit_number(field.min_value);
  if (!field.max_value.empty()) info["max_value"] = limit_number(field.max_value);
  if (field.kind == FieldKind::ForeignKey && depth == 0) {
    info["children"] = children_of(context, field, depth);
  }
  if (read_only) return info;
  if (field.kind == FieldKind::Choice) {
    json::array choices;
    for (const Choice& choice : field.choices)
      choices.push_back(json::object{{"value", choice.value}, {"display_name", choice.label}});
    info["choices"] = std::move(choices);
  } else if (field.kind == FieldKind::ContentType && !field.allowed_types.empty()) {
    info["choices"] = content_type_choices(field);
  }
  return info;
}

json::object read_only_field(const char* type, const std::string& name) {
  return json::object{
      {"type", type}, {"required", false}, {"read_only", true}, {"label", label_of(name)}};
}

// The serializer fields every model has, which are not declared per model.
json::object common_field_metadata(const RequestContext& context, const std::string& name) {
  if (name == "id") return read_only_field("integer", name);
  if (name == "created" || name == "last_updated") return read_only_field("datetime", name);
  if (name == "custom_fields") {
    return json::object{
        {"type", "field"}, {"required", false}, {"read_only", false}, {"label", "Custom fields"}};
  }
  if (name == "tags") {
    const Model& tag = *Registry::instance().by_key("extras.tag");
    json::object child{
        {"type", "nested object"}, {"required", false}, {"read_only", false}, {"label", "Tags"}};
    json::object children;
    for (const std::string& brief : tag.brief) {
      const Field* field = tag.field(brief);
      children[brief] =
          field ? model_field_metadata(context, *field, 1) : common_field_metadata(context, brief);
    }
    child["children"] = std::move(children);
    return json::object{{"type", "list"},
                        {"required", false},
                        {"read_only", false},
                        {"label", "Tags"},
                        {"child", std::move(child)}};
  }
  return read_only_field("field", name);  // url, display_url, display
}

json::object serializer_metadata(const RequestContext& context, const Model& model) {
  json::object fields;
  for (const std::string& name : context.field_order.at(&model))
    fields[name] = field_metadata(context, model, name);
  return fields;
}

}  // namespace

json::object field_metadata(const RequestContext& context, const Model& model,
                            const std::string& name) {
  if (const Field* field = model.field(name)) return model_field_metadata(context, *field, 0);
  return common_field_metadata(context, name);
}

http::Response options_metadata(RequestContext& context, const Model& model, bool detail,
                                bool object_exists) {
  json::object actions;
  if (!detail) actions["POST"] = serializer_metadata(context, model);
  if (!detail || object_exists) actions["PUT"] = serializer_metadata(context, model);
  json::object body;
  body["name"] = title_case(model.verbose) + (detail ? " Instance" : " List");
  body["description"] = "";
  // What the emulator itself renders and parses (NetBox adds its browsable HTML renderer and
  // multipart parsing, which the emulator does not have).
  body["renders"] = json::array{"application/json"};
  body["parses"] = json::array{"application/json"};
  body["actions"] = std::move(actions);
  return http::Response::json(body);
}

}  // namespace pbx::netbox
