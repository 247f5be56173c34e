#include "proxmox/openapi.hpp"

#include <algorithm>
#include <boost/beast/http/verb.hpp>
#include <boost/json/array.hpp>
#include <cctype>
#include <string>

#include "common/text.hpp"
#include "http/router.hpp"
#include "proxmox/schema_json.hpp"

namespace pbx::proxmox {

namespace json = boost::json;

namespace {

std::string_view product_name(Service service) {
  switch (service) {
    case Service::pve:
      return "Proxmox VE";
    case Service::pbs:
      return "Proxmox Backup Server";
    case Service::pdm:
      return "Proxmox Datacenter Manager";
  }
  return "Proxmox";
}

std::string method_key(http::Verb method) {
  return common::to_lower(boost::beast::http::to_string(method));
}

std::string first_line(std::string_view text) {
  const size_t end = text.find('\n');
  return std::string(text.substr(0, end));
}

// "net[n]" → "^net\d+$": the indexed names a schema property stands for.
std::string indexed_pattern(std::string_view name) {
  return "^" + std::string(name.substr(0, name.size() - 3)) + "\\d+$";
}

json::value to_json_schema(const json::value& proxmox);

json::object object_schema(const json::object& properties, const json::value* additional) {
  json::object result{{"type", "object"}};
  json::object converted;
  json::object indexed;
  json::array required;
  for (const auto& [name, sub] : properties) {
    if (name.ends_with("[n]")) {
      indexed[indexed_pattern(name)] = to_json_schema(sub);
      continue;
    }
    converted[name] = to_json_schema(sub);
    if (const auto* object = sub.if_object(); object && !is_optional(*object))
      required.emplace_back(name);
  }
  result["properties"] = std::move(converted);
  if (!indexed.empty()) result["patternProperties"] = std::move(indexed);
  if (!required.empty()) result["required"] = std::move(required);
  if (additional) {
    if (additional->is_object()) {
      result["additionalProperties"] = to_json_schema(*additional);
    } else {
      result["additionalProperties"] = truthy(additional);
    }
  }
  return result;
}

// Proxmox's schema dialect → JSON Schema 2020-12 (what OpenAPI 3.1 uses).
json::value to_json_schema(const json::value& proxmox) {
  const auto* schema = proxmox.if_object();
  if (!schema) return json::object{};
  if (const auto* one_of = schema->if_contains("oneOf"); one_of && one_of->is_array()) {
    json::array alternatives;
    for (const auto& alternative : one_of->get_array())
      alternatives.push_back(to_json_schema(alternative));
    return json::object{{"oneOf", std::move(alternatives)}};
  }
  json::object result;
  const auto* type = schema->if_contains("type");
  const std::string_view type_name =
      type && type->is_string() ? std::string_view(type->get_string()) : std::string_view();
  if (const auto* properties = schema->if_contains("properties");
      properties && properties->is_object()) {
    result = object_schema(properties->get_object(), schema->if_contains("additionalProperties"));
  } else if (type_name == "boolean") {
    // The API answers booleans as 0/1 and accepts both spellings.
    result["type"] = json::array{"boolean", "integer"};
  } else if (!type_name.empty() && type_name != "any") {
    result["type"] = type_name;
  }
  if (const auto* items = schema->if_contains("items")) result["items"] = to_json_schema(*items);
  for (const char* key : {"description", "enum", "minimum", "maximum", "minLength", "maxLength",
                          "default", "title"}) {
    if (const auto* value = schema->if_contains(key)) result[key] = *value;
  }
  if (const auto* pattern = schema->if_contains("pattern"); pattern && pattern->is_string()) {
    std::string_view text = pattern->get_string();
    if (text.size() >= 2 && text.front() == '/' && text.back() == '/')
      text = text.substr(1, text.size() - 2);
    result["pattern"] = text;
  }
  if (const auto* format = schema->if_contains("format")) {
    if (format->is_string()) {
      result["format"] = *format;
    } else if (format->is_object()) {
      result["format"] = "proxmox-property-string";
      json::array keys;
      for (const auto& [key, sub] : format->get_object()) {
        if (const auto* object = sub.if_object(); object && !object->contains("alias"))
          keys.emplace_back(key);
      }
      result["x-proxmox-property-keys"] = std::move(keys);
    }
  }
  if (const auto* text = schema->if_contains("typetext")) result["x-proxmox-typetext"] = *text;
  return result;
}

json::object error_responses() {
  return {
      {"400",
       {{"description", "Parameter verification failed."},
        {"content",
         {{"application/json", {{"schema", {{"$ref", "#/components/schemas/ProxmoxError"}}}}}}}}},
      {"401", {{"description", "No ticket or authentication failed."}}},
      {"501", {{"description", "Method not implemented."}}},
  };
}

json::object operation_object(const Operation& op) {
  json::object result;
  result["operationId"] = method_key(op.method) + "_" + op.path;
  result["summary"] = first_line(op.description);
  result["description"] = op.description;
  if (!op.name.empty()) result["x-proxmox-name"] = op.name;
  const auto segments = http::split_path(op.path);
  if (!segments.empty()) result["tags"] = json::array{std::string(segments.front())};
  result["x-proxmox-protected"] = op.protected_;
  result["x-proxmox-allowtoken"] = op.allow_token;
  if (!op.permissions->is_null()) result["x-proxmox-permissions"] = *op.permissions;

  static const json::object no_properties;
  const auto* properties_value = op.parameters->if_contains("properties");
  const json::object& properties = properties_value && properties_value->is_object()
                                       ? properties_value->get_object()
                                       : no_properties;
  const bool has_body = op.method == http::Verb::post || op.method == http::Verb::put;

  json::array parameters;
  json::object body_properties;
  for (const auto& name : op.path_parameters) {
    const auto* schema = properties.if_contains(name);
    parameters.push_back(
        json::object{{"name", name},
                     {"in", "path"},
                     {"required", true},
                     {"schema", schema ? to_json_schema(*schema)
                                       : json::value(json::object{{"type", "string"}})}});
  }
  for (const auto& [name, schema] : properties) {
    if (std::find(op.path_parameters.begin(), op.path_parameters.end(), name) !=
        op.path_parameters.end())
      continue;
    if (has_body) {
      body_properties[name] = schema;
      continue;
    }
    const auto* object = schema.if_object();
    json::object parameter{{"name", name},
                           {"in", "query"},
                           {"required", !(object && is_optional(*object))},
                           {"schema", to_json_schema(schema)}};
    if (object) {
      if (const auto* text = object->if_contains("description")) parameter["description"] = *text;
    }
    parameters.push_back(std::move(parameter));
  }
  if (!parameters.empty()) result["parameters"] = std::move(parameters);
  if (has_body) {
    json::value body =
        object_schema(body_properties, op.parameters->if_contains("additionalProperties"));
    result["requestBody"] = {{"required", body.get_object().contains("required")},
                             {"content",
                              {{"application/x-www-form-urlencoded", {{"schema", body}}},
                               {"application/json", {{"schema", body}}}}}};
  }

  json::object responses = error_responses();
  responses["200"] = {{"description", "success"},
                      {"content",
                       {{"application/json",
                         {{"schema",
                           {{"type", "object"},
                            {"properties", {{"data", to_json_schema(*op.returns)}}},
                            {"required", json::array{"data"}}}}}}}}};
  result["responses"] = std::move(responses);
  return result;
}

json::object document(Service service, std::string_view version) {
  json::object error_schema{
      {"type", "object"},
      {"properties",
       {{"data", {{"type", "null"}}},
        {"errors", {{"type", "object"}, {"additionalProperties", {{"type", "string"}}}}}}},
      {"required", json::array{"data"}}};
  return {
      {"openapi", "3.1.0"},
      {"info",
       {{"title", std::string(product_name(service)) + " API (proxmox-mock)"},
        {"version", version},
        {"description", "Generated by proxmox-mock from the Proxmox API schema it serves."}}},
      {"paths", json::object{}},
      {"components",
       {{"schemas", {{"ProxmoxError", std::move(error_schema)}}},
        {"securitySchemes",
         {{"ticket",
           {{"type", "apiKey"},
            {"in", "cookie"},
            {"name", service == Service::pbs ? "PBSAuthCookie" : "PVEAuthCookie"}}},
          {"token", {{"type", "apiKey"}, {"in", "header"}, {"name", "Authorization"}}}}}}},
  };
}

void add_extras(json::object& paths, const std::vector<ExtraPath>& extra) {
  for (const auto& path : extra) {
    json::object response{{"description", "success"}};
    response["content"] = {{"application/json",
                            {{"schema", path.response_schema.is_null() ? json::value(json::object{})
                                                                       : path.response_schema}}}};
    auto& item = paths[path.path];
    if (!item.is_object()) item = json::object{};
    item.get_object()[method_key(path.method)] = {
        {"operationId", method_key(path.method) + "_" + path.path},
        {"summary", path.summary},
        {"tags", json::array{"mock"}},
        {"responses", {{"200", std::move(response)}}}};
  }
}

}  // namespace

boost::json::object build_openapi(const ApiSchema& schema, Service service,
                                  const std::vector<ExtraPath>& extra) {
  json::object result = document(service, schema.version_label());
  auto& paths = result["paths"].get_object();
  paths.reserve(schema.path_count() + extra.size());
  for (const auto& op : schema.operations()) {
    auto& item = paths["/api2/json" + op.path];
    if (!item.is_object()) item = json::object{};
    item.get_object()[method_key(op.method)] = operation_object(op);
  }
  add_extras(paths, extra);
  return result;
}

boost::json::object build_openapi(Service service, const std::vector<ExtraPath>& extra) {
  json::object result = document(service, "none");
  add_extras(result["paths"].get_object(), extra);
  return result;
}

}  // namespace pbx::proxmox
