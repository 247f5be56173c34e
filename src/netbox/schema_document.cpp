#include "netbox/schema_document.hpp"

#include <boost/json/serialize.hpp>
#include <map>

#include "netbox/errors.hpp"
#include "netbox/field_kinds.hpp"
#include "netbox/rendering.hpp"
#include "netbox/values.hpp"
#include "netbox/yaml.hpp"

namespace pbx::netbox {
namespace {

namespace json = boost::json;

json::object schema_ref(const std::string& name) {
  return {{"$ref", "#/components/schemas/" + name}};
}

json::object typed(const char* type) {
  return {{"type", type}};
}

bool is_textual(FieldKind kind) {
  return kind == FieldKind::String || kind == FieldKind::Slug || kind == FieldKind::Choice ||
         kind == FieldKind::DateTime || kind == FieldKind::ContentType ||
         kind == FieldKind::IpNetwork || kind == FieldKind::StringList;
}

bool is_numeric(FieldKind kind) {
  return kind == FieldKind::Integer || kind == FieldKind::Number || kind == FieldKind::GenericId;
}

// Schema names: NetBox's class names; a plugin model whose class name a NetBox model already
// has is prefixed with its app.
class Names {
 public:
  explicit Names(const std::vector<const Model*>& models) {
    std::map<std::string, int> seen;
    for (const Model* model : models)
      ++seen[model->class_name];
    for (const Model* model : models) {
      names_[model->key] = seen[model->class_name] > 1 && model->key.starts_with("netbox_proxbox.")
                               ? "Proxbox" + model->class_name
                               : model->class_name;
    }
  }
  std::string of(const std::string& key) const {
    const auto found = names_.find(key);
    return found == names_.end() ? key : found->second;
  }

 private:
  std::map<std::string, std::string> names_;
};

json::object choice_schema(const Field& field, bool request) {
  json::array values;
  json::array labels;
  for (const Choice& choice : field.choices) {
    values.push_back(json::value(choice.value));
    labels.push_back(json::value(choice.label));
  }
  if (request) return {{"type", "string"}, {"enum", values}};
  return {{"type", "object"},
          {"properties",
           {{"value", {{"type", "string"}, {"enum", values}}},
            {"label", {{"type", "string"}, {"enum", labels}}}}}};
}

json::object constant_schema(const Field& field) {
  if (!field.default_value) return {};  // derived from the object: any JSON value
  const json::value& value = *field.default_value;
  if (value.is_int64() || value.is_uint64()) return typed("integer");
  if (value.is_double()) return typed("number");
  if (value.is_bool()) return typed("boolean");
  if (value.is_string()) return typed("string");
  if (value.is_array()) return {{"type", "array"}, {"items", json::object{}}};
  return {};
}

// What a field's value looks like written (`request`) or rendered.
json::object value_schema(const Names& names, const Field& field, bool request) {
  switch (field.kind) {
    case FieldKind::String: {
      json::object schema = typed("string");
      if (field.max_length) schema["maxLength"] = field.max_length;
      if (request && !field.allow_blank) schema["minLength"] = 1;
      return schema;
    }
    case FieldKind::Slug:
      return {{"type", "string"}, {"maxLength", field.max_length}, {"pattern", "^[-a-zA-Z0-9_]+$"}};
    case FieldKind::Integer:
    case FieldKind::GenericId:
    case FieldKind::Count: {
      json::object schema = typed("integer");
      if (!field.min_value.empty()) schema["minimum"] = limit_number(field.min_value);
      if (!field.max_value.empty()) schema["maximum"] = limit_number(field.max_value);
      return schema;
    }
    case FieldKind::Number:
      return {{"type", "number"}, {"format", "double"}};
    case FieldKind::Total: {
      const Model* related = Registry::instance().by_key(field.related);
      const Field* summed = related ? related->field(field.summed) : nullptr;
      json::object schema =
          typed(summed && summed->kind == FieldKind::Number ? "number" : "integer");
      schema["nullable"] = true;  // Sum() over no rows
      return schema;
    }
    case FieldKind::Boolean:
      return typed("boolean");
    case FieldKind::Choice:
      return choice_schema(field, request);
    case FieldKind::ForeignKey:
      if (request) {
        return {{"oneOf",
                 {typed("integer"), schema_ref("Brief" + names.of(field.related) + "Request")}}};
      }
      return schema_ref("Brief" + names.of(field.related));
    case FieldKind::StringList:
      return {{"type", "array"}, {"items", typed("string")}};
    case FieldKind::DateTime:
      return {{"type", "string"}, {"format", "date-time"}};
    case FieldKind::ContentType: {
      json::array types;
      for (const std::string& type : field.allowed_types)
        types.push_back(json::value(type));
      return {{"type", "string"}, {"enum", types}};
    }
    case FieldKind::GenericObject:  // null while the relation is unset
      return {{"type", "object"}, {"additionalProperties", json::object{}}, {"nullable", true}};
    case FieldKind::IpFamily:
      return {{"type", "object"},
              {"properties",
               {{"value", {{"type", "integer"}, {"enum", {4, 6}}}}, {"label", typed("string")}}}};
    case FieldKind::Constant:
      return constant_schema(field);
    case FieldKind::Json:
      return {};
    default:  // addresses, and values read through a relation (null without one)
      return {{"type", "string"}, {"nullable", true}};
  }
}

json::object field_schema(const Names& names, const Field& field, bool request) {
  json::object schema = value_schema(names, field, request);
  if (schema.contains("$ref")) schema = {{"allOf", json::array{schema}}};
  if (field.nullable) schema["nullable"] = true;
  if (!request && !is_written(field)) schema["readOnly"] = true;
  return schema;
}

// The properties every model's serializer has beside its fields.
json::object common_property(const std::string& name, bool request) {
  if (name == "id") return {{"type", "integer"}, {"readOnly", !request}};
  if (name == "url" || name == "display_url") {
    return {{"type", "string"}, {"format", "uri"}, {"readOnly", true}};
  }
  if (name == "display") return {{"type", "string"}, {"readOnly", true}};
  if (name == "created" || name == "last_updated") {
    return {{"type", "string"}, {"format", "date-time"}, {"readOnly", true}, {"nullable", true}};
  }
  if (name == "custom_fields")
    return {{"type", "object"}, {"additionalProperties", json::object{}}};
  if (name == "tags") {
    if (request) {
      return {{"type", "array"},
              {"items", {{"oneOf", {typed("integer"), schema_ref("BriefTagRequest")}}}}};
    }
    return {{"type", "array"}, {"items", schema_ref("BriefTag")}};
  }
  return {};
}

json::object property(const Names& names, const Model& model, const std::string& name,
                      bool request) {
  if (const Field* field = model.field(name)) return field_schema(names, *field, request);
  return common_property(name, request);
}

json::object object_schema(json::object properties, json::array required) {
  json::object schema{{"type", "object"}, {"properties", std::move(properties)}};
  if (!required.empty()) schema["required"] = std::move(required);
  return schema;
}

// The written fields of this version, for POST/PUT (`required` set) or PATCH.
json::object writable_schema(const Names& names, const Model& model,
                             const std::vector<std::string>& order, bool with_required) {
  json::object properties;
  json::array required;
  for (const std::string& name : order) {
    const Field* field = model.field(name);
    const bool writable = field ? is_written(*field) : (name == "tags" || name == "custom_fields");
    if (!writable) continue;
    properties[name] = property(names, model, name, true);
    if (with_required && field && field->required && !field->default_value) {
      required.push_back(json::value(name));
    }
  }
  return object_schema(std::move(properties), std::move(required));
}

void add_model_schemas(const Names& names, const Model& model,
                       const std::vector<std::string>& order, json::object& schemas) {
  const std::string name = names.of(model.key);
  json::object full;
  json::array required{"id", "url", "display"};
  for (const std::string& field_name : order) {
    full[field_name] = property(names, model, field_name, false);
    const Field* field = model.field(field_name);
    if (field && field->required && !field->nullable) required.push_back(json::value(field_name));
  }
  schemas[name] = object_schema(std::move(full), std::move(required));

  json::object brief;
  json::object brief_request;
  for (const std::string& field_name : model.brief) {
    brief[field_name] = property(names, model, field_name, false);
    const Field* field = model.field(field_name);
    if (field && is_written(*field))
      brief_request[field_name] = property(names, model, field_name, true);
  }
  if (!model.brief.empty() && model.brief.front() == "id") brief_request["id"] = typed("integer");
  json::array brief_required;
  for (const char* always : {"id", "url", "display"}) {
    if (brief.contains(always)) brief_required.push_back(json::value(always));
  }
  schemas["Brief" + name] = object_schema(std::move(brief), std::move(brief_required));
  schemas["Brief" + name + "Request"] = object_schema(std::move(brief_request), {});

  schemas["Writable" + name + "Request"] = writable_schema(names, model, order, true);
  schemas["PatchedWritable" + name + "Request"] = writable_schema(names, model, order, false);
  json::object bulk = writable_schema(names, model, order, false);
  bulk["properties"].as_object()["id"] = typed("integer");
  bulk["required"] = json::array{"id"};
  schemas[name + "Request"] = std::move(bulk);

  json::object page{{"count", {{"type", "integer"}, {"nullable", true}}},
                    {"next", {{"type", "string"}, {"format", "uri"}, {"nullable", true}}},
                    {"previous", {{"type", "string"}, {"format", "uri"}, {"nullable", true}}},
                    {"results", {{"type", "array"}, {"items", schema_ref(name)}}}};
  schemas["Paginated" + name + "List"] = object_schema(std::move(page), {"count", "results"});
}

json::object query(const std::string& name, const char* type) {
  return {{"name", name}, {"in", "query"}, {"required", false}, {"schema", typed(type)}};
}

// The filters a list accepts (netbox/filters.hpp), named as NetBox names them.
json::array list_parameters(const Model& model, const EmulatorOptions& options) {
  json::array parameters;
  auto lookups = [&](const std::string& name, const char* type,
                     std::initializer_list<const char*> ops) {
    parameters.push_back(query(name, type));
    for (const char* op : ops)
      parameters.push_back(query(name + "__" + op, std::string(op) == "empty" ? "boolean" : type));
  };
  const auto text_ops = {"n", "ic", "nic", "ie", "nie", "isw", "nisw", "iew", "niew", "empty"};
  const auto number_ops = {"n", "gte", "gt", "lte", "lt", "empty"};
  lookups("id", "integer", number_ops);
  for (const char* name : {"q", "ordering", "fields", "brief"})
    parameters.push_back(query(name, "string"));
  parameters.push_back(query("limit", "integer"));
  parameters.push_back(query("offset", "integer"));
  if (compare_versions(options.version, "4.6") >= 0) {
    parameters.push_back(query("omit", "string"));
    parameters.push_back(query("start", "integer"));
  }
  if (model.tags) {
    lookups("tag", "string", {"n"});
    lookups("tag_id", "integer", {"n"});
  }
  // Filters through a relation the model stores generically (netbox/filters.cpp).
  auto in_version = [&](const char* name) {
    const Field* field = model.field(name);
    return field && field_in_version(*field, options.version);
  };
  std::vector<std::string> shortcuts;
  if (in_version("scope_type") && !model.field("site")) shortcuts = {"site"};
  if (in_version("assigned_object_type"))
    shortcuts = {"interface", "vminterface", "device", "virtual_machine"};
  if (in_version("parent_object_type")) shortcuts = {"device", "virtual_machine"};
  const Field* site = model.field("site");
  if (site && site->kind == FieldKind::ForeignKey && field_in_version(*site, options.version)) {
    shortcuts.insert(shortcuts.end(), {"region", "site_group"});  // through the site's trees
  }
  for (const std::string& name : shortcuts) {
    if (name != "interface" && name != "vminterface") lookups(name, "string", {"n"});
    lookups(name + "_id", "integer", {"n"});
  }
  for (const Field& field : model.fields) {
    if (!field_in_version(field, options.version) || !behaviour(field.kind).filter) continue;
    if (field.kind == FieldKind::ForeignKey) {
      lookups(field.name, "string", {"n"});
      lookups(field.name + "_id", "integer", {"n"});
    } else if (is_textual(field.kind)) {
      lookups(field.name, "string", text_ops);
    } else if (is_numeric(field.kind)) {
      lookups(field.name, field.kind == FieldKind::Number ? "number" : "integer", number_ops);
    } else {
      lookups(field.name, field.kind == FieldKind::Boolean ? "boolean" : "string", {"n"});
    }
  }
  return parameters;
}

json::object json_body(const json::value& schema) {
  return {{"content", {{"application/json", {{"schema", schema}}}}}, {"required", true}};
}

json::object answer(const json::value& schema) {
  return {{"description", ""}, {"content", {{"application/json", {{"schema", schema}}}}}};
}

json::object operation(const Model& model, const std::string& id, json::object fields) {
  json::object op{{"operationId", id},
                  {"tags", json::array{json::value(model.app())}},
                  {"security", {{{"cookieAuth", json::array{}}}, {{"tokenAuth", json::array{}}}}}};
  for (auto& [key, value] : fields)
    op[key] = std::move(value);
  return op;
}

void add_model_paths(const Names& names, const Model& model, const EmulatorOptions& options,
                     json::object& paths) {
  const std::string name = names.of(model.key);
  std::string op_id = model.path;
  for (char& c : op_id)
    if (c == '/' || c == '-') c = '_';
  const json::object array_of_items{{"type", "array"}, {"items", schema_ref(name + "Request")}};
  const json::object array_of_objects{{"type", "array"}, {"items", schema_ref(name)}};
  const json::object no_body{{"description", "No response body"}};
  json::object list;
  list["get"] =
      operation(model, op_id + "_list",
                {{"parameters", list_parameters(model, options)},
                 {"responses", {{"200", answer(schema_ref("Paginated" + name + "List"))}}}});
  const json::object writable = schema_ref("Writable" + name + "Request");
  list["post"] = operation(
      model, op_id + "_create",
      {{"requestBody",
        json_body({{"oneOf", {writable, {{"type", "array"}, {"items", writable}}}}})},
       {"responses", {{"201", answer({{"oneOf", {schema_ref(name), array_of_objects}}})}}}});
  list["put"] = operation(model, op_id + "_bulk_update",
                          {{"requestBody", json_body(array_of_items)},
                           {"responses", {{"200", answer(array_of_objects)}}}});
  list["patch"] = operation(model, op_id + "_bulk_partial_update",
                            {{"requestBody", json_body(array_of_items)},
                             {"responses", {{"200", answer(array_of_objects)}}}});
  list["delete"] =
      operation(model, op_id + "_bulk_destroy",
                {{"requestBody", json_body(array_of_items)}, {"responses", {{"204", no_body}}}});
  paths["/api/" + model.path + "/"] = std::move(list);

  json::object item{
      {"parameters",
       {{{"name", "id"}, {"in", "path"}, {"required", true}, {"schema", typed("integer")}}}}};
  item["get"] =
      operation(model, op_id + "_retrieve", {{"responses", {{"200", answer(schema_ref(name))}}}});
  item["put"] = operation(
      model, op_id + "_update",
      {{"requestBody", json_body(writable)}, {"responses", {{"200", answer(schema_ref(name))}}}});
  item["patch"] =
      operation(model, op_id + "_partial_update",
                {{"requestBody", json_body(schema_ref("PatchedWritable" + name + "Request"))},
                 {"responses", {{"200", answer(schema_ref(name))}}}});
  item["delete"] = operation(model, op_id + "_destroy", {{"responses", {{"204", no_body}}}});
  paths["/api/" + model.path + "/{id}/"] = std::move(item);
}

// /api/status/ and this document itself.
void add_service_paths(json::object& paths) {
  const json::object any{{"type", "object"}, {"additionalProperties", json::object{}}};
  paths["/api/status/"] = {{"get",
                            {{"operationId", "status_retrieve"},
                             {"tags", {"status"}},
                             {"responses", {{"200", answer(any)}}}}}};
  json::object formats{{"name", "format"},
                       {"in", "query"},
                       {"schema", {{"type", "string"}, {"enum", {"json", "yaml"}}}}};
  paths["/api/schema/"] = {{"get",
                            {{"operationId", "schema_retrieve"},
                             {"tags", {"schema"}},
                             {"parameters", {formats}},
                             {"responses",
                              {{"200",
                                {{"description", ""},
                                 {"content",
                                  {{"application/vnd.oai.openapi", {{"schema", any}}},
                                   {"application/vnd.oai.openapi+json", {{"schema", any}}}}}}}}}}}};
}

}  // namespace

json::object schema_document(const std::vector<const Model*>& models,
                             const EmulatorOptions& options) {
  const Names names(models);
  const FieldOrder order = field_order_for(models, options.version);
  json::object paths;
  json::object schemas;
  for (const Model* model : models) {
    add_model_schemas(names, *model, order.at(model), schemas);
    add_model_paths(names, *model, options, paths);
  }
  add_service_paths(paths);
  json::object security_schemes{
      {"cookieAuth", {{"type", "apiKey"}, {"in", "cookie"}, {"name", "sessionid"}}},
      {"tokenAuth",
       {{"type", "apiKey"},
        {"in", "header"},
        {"name", "Authorization"},
        {"description", "Token-based authentication with required prefix \"Token\""}}}};
  return {{"openapi", "3.0.3"},
          {"info",
           {{"title", "NetBox REST API"},
            {"version", options.full_version + " (" + options.version + ")"},
            {"license", {{"name", "Apache v2 License"}}}}},
          {"servers", {{{"url", ""}, {"description", "NetBox"}}}},
          {"paths", std::move(paths)},
          {"components", {{"schemas", std::move(schemas)}, {"securitySchemes", security_schemes}}}};
}

http::Response schema_response(const http::Request& request, const json::object& document) {
  const auto format = request.query_value("format");
  bool as_json = false;
  if (format && !format->empty()) {
    // drf-spectacular's renderers: yaml and json; DRF's older names openapi (YAML) and
    // openapi-json; any other format is DRF's 404.
    if (*format == "json" || *format == "openapi-json") {
      as_json = true;
    } else if (*format != "yaml" && *format != "openapi") {
      return detail(http::Status::not_found, "Not found.");
    }
  } else {
    const std::string_view accept = request.header(http::Field::accept);
    as_json = accept.find("json") != std::string_view::npos;
  }
  if (as_json) {
    return http::Response::text(http::Status::ok, json::serialize(document),
                                "application/vnd.oai.openapi+json");
  }
  return http::Response::text(http::Status::ok, to_yaml(document), "application/vnd.oai.openapi");
}

}  // namespace pbx::netbox
