#include <boost/beast/http/verb.hpp>
#include <cctype>

#include "api/route_doc.hpp"
#include "common/text.hpp"

namespace pbx::api {
namespace json = boost::json;

namespace {

json::object string_schema() {
  return {{"type", "string"}};
}
json::object integer_schema() {
  return {{"type", "integer"}};
}
json::object boolean_schema() {
  return {{"type", "boolean"}};
}

json::object secret_schema() {
  return {{"type", "string"}, {"writeOnly", true}};
}

// The connection properties both endpoint kinds have, plus `specific` ones.
json::object endpoint_properties(const json::object& specific) {
  json::object properties{
      {"name", string_schema()},
      {"address", string_schema()},
      {"port", integer_schema()},
      {"scheme", json::object{{"type", "string"}, {"enum", json::array{"http", "https"}}}},
      {"verify_ssl", boolean_schema()}};
  for (const auto& [name, schema] : specific)
    properties[name] = schema;
  return properties;
}

json::object array_of(json::object item) {
  return json::object{{"type", "array"}, {"items", std::move(item)}};
}

json::object object_with(json::object properties, json::array required = {}) {
  json::object out{{"type", "object"}, {"properties", std::move(properties)}};
  if (!required.empty()) out["required"] = std::move(required);
  return out;
}

// GET /proxmox/firewall/summary: one entry per endpoint (plugin_firewall.cpp).
json::object firewall_summary_schema(const json::object& rule_item) {
  const json::object nullable_string{{"type", json::array{"string", "null"}}};
  json::object group = object_with({{"cluster_name", string_schema()},
                                    {"name", string_schema()},
                                    {"comment", nullable_string},
                                    {"digest", nullable_string},
                                    {"status", string_schema()},
                                    {"rules", array_of(rule_item)}});
  json::object entry =
      object_with({{"cidr", nullable_string},
                   {"comment", nullable_string},
                   {"nomatch", json::object{{"type", json::array{"boolean", "null"}}}}});
  json::object ipset = object_with({{"cluster_name", string_schema()},
                                    {"zone", string_schema()},
                                    {"name", nullable_string},
                                    {"comment", nullable_string},
                                    {"digest", nullable_string},
                                    {"status", string_schema()},
                                    {"entries", array_of(std::move(entry))}});
  json::object alias = object_with({{"cluster_name", string_schema()},
                                    {"zone", string_schema()},
                                    {"name", nullable_string},
                                    {"cidr", nullable_string},
                                    {"comment", nullable_string},
                                    {"digest", nullable_string},
                                    {"status", string_schema()}});
  return array_of(object_with(
      {{"cluster_name", string_schema()},
       {"status", json::object{{"type", "string"}, {"enum", json::array{"ok", "error"}}}},
       {"error", nullable_string},
       {"security_groups", array_of(std::move(group))},
       {"rules", array_of(rule_item)},
       {"ip_sets", array_of(std::move(ipset))},
       {"aliases", array_of(std::move(alias))},
       {"options", json::object{{"$ref", "#/components/schemas/FirewallOptions"}}}},
      json::array{"cluster_name", "status"}));
}

// GET /proxmox/datacenter/cpu-models: custom CPU models per endpoint (plugin_datacenter.cpp).
json::object cpu_models_schema() {
  const json::object nullable_string{{"type", json::array{"string", "null"}}};
  return array_of(object_with(
      {{"cluster_name", string_schema()},
       {"cputype", string_schema()},
       {"base_cputype", string_schema()},
       {"flags", string_schema()},
       {"vendor_id", string_schema()},
       {"level", json::object{{"type", json::array{"integer", "null"}}}},
       {"description", string_schema()},
       {"status", json::object{{"type", "string"}, {"enum", json::array{"ok", "error"}}}},
       {"error", nullable_string}},
      json::array{"cluster_name", "status"}));
}

json::object components() {
  const json::object detail{{"type", "object"},
                            {"properties", json::object{{"detail", string_schema()}}}};
  const json::object counts{{"type", "integer"}, {"minimum", 0}};
  json::object sync_summary{
      {"type", "object"},
      {"properties",
       json::object{{"created", counts},
                    {"updated", counts},
                    {"unchanged", counts},
                    {"deleted", counts},
                    {"orphans", counts},
                    {"errors", counts},
                    {"dry_run", boolean_schema()},
                    {"scope", string_schema()},
                    {"duration_ms", integer_schema()},
                    {"kinds", json::object{{"type", "object"}}},
                    {"error_messages", json::object{{"type", "array"}, {"items", string_schema()}}},
                    {"proxmox_requests", integer_schema()},
                    {"netbox_requests", json::object{{"type", "object"}}}}}};
  json::object register_key{
      {"type", "object"},
      {"required", json::array{"api_key"}},
      {"properties", json::object{{"api_key", json::object{{"type", "string"}, {"minLength", 32}}},
                                  {"label", string_schema()}}}};
  json::object netbox_endpoint{
      {"type", "object"},
      {"required", json::array{"address", "token"}},
      {"properties",
       endpoint_properties(json::object{
           {"token_version", json::object{{"type", "string"}, {"enum", json::array{"v1", "v2"}}}},
           {"token_key", string_schema()},
           {"token", secret_schema()}})}};
  json::object proxmox_endpoint{
      {"type", "object"},
      {"required", json::array{"address"}},
      {"properties", endpoint_properties(json::object{
                         {"username", string_schema()},
                         {"password", secret_schema()},
                         {"token_name", string_schema()},
                         {"token_value", secret_schema()},
                         {"timeout", integer_schema()},
                         {"site_name", string_schema()},
                         {"tenant_id", json::object{{"type", json::array{"integer", "null"}}}}})}};
  const json::object nullable_string{{"type", json::array{"string", "null"}}};
  const json::object nullable_integer{{"type", json::array{"integer", "null"}}};
  const json::object nullable_boolean{{"type", json::array{"boolean", "null"}}};
  json::object individual{
      {"type", "object"},
      {"required", json::array{"object_type", "action", "proxmox_resource", "netbox_object",
                               "dry_run", "dependencies_synced", "error"}},
      {"properties",
       json::object{
           {"object_type", string_schema()},
           {"action", json::object{{"type", "string"},
                                   {"enum", json::array{"created", "updated", "unchanged",
                                                        "dry_run", "error"}}}},
           {"proxmox_resource", json::object{{"type", "object"}}},
           {"netbox_object", json::object{{"type", json::array{"object", "array", "null"}}}},
           {"dry_run", boolean_schema()},
           {"dependencies_synced",
            json::object{
                {"type", "array"},
                {"items", json::object{{"type", "object"},
                                       {"properties", json::object{{"stage", string_schema()},
                                                                   {"created", counts},
                                                                   {"updated", counts},
                                                                   {"unchanged", counts},
                                                                   {"errors", counts}}}}}}},
           {"error", nullable_string}}}};
  json::object rule_properties{{"cluster_name", string_schema()},   {"zone", string_schema()},
                               {"node", nullable_string},           {"vmid", nullable_integer},
                               {"security_group", nullable_string}, {"pos", nullable_integer},
                               {"enable", nullable_boolean},        {"icmp_type", nullable_string},
                               {"status", string_schema()},         {"error", nullable_string}};
  for (const char* key : {"type", "action", "macro", "iface", "source", "dest", "proto", "dport",
                          "sport", "log", "comment", "digest"})
    rule_properties[key] = nullable_string;
  const json::object rule_item{{"type", "object"},
                               {"required", json::array{"cluster_name", "status"}},
                               {"properties", std::move(rule_properties)}};
  json::object firewall_entries{{"type", "array"}, {"items", rule_item}};
  json::object firewall_options{
      {"type", json::array{"object", "null"}},
      {"properties", json::object{{"cluster_name", string_schema()},
                                  {"zone", string_schema()},
                                  {"node", nullable_string},
                                  {"vmid", nullable_integer},
                                  {"enable", nullable_boolean},
                                  {"policy_in", nullable_string},
                                  {"policy_out", nullable_string},
                                  {"options", json::object{{"type", "object"}}},
                                  {"status", string_schema()}}}};
  json::object firewall_summary = firewall_summary_schema(rule_item);
  json::object cpu_models = cpu_models_schema();
  // A write's body: Proxmox's parameters of the call, as JSON scalars.
  json::object firewall_write{
      {"type", "object"},
      {"additionalProperties",
       json::object{{"type", json::array{"string", "integer", "number", "boolean"}}}}};
  return {
      {"schemas", json::object{{"Detail", detail},
                               {"IndividualSyncResult", std::move(individual)},
                               {"FirewallEntries", std::move(firewall_entries)},
                               {"FirewallOptions", std::move(firewall_options)},
                               {"FirewallWrite", std::move(firewall_write)},
                               {"FirewallSummary", std::move(firewall_summary)},
                               {"CpuModels", std::move(cpu_models)},
                               {"SyncSummary", std::move(sync_summary)},
                               {"RegisterKey", register_key},
                               {"NewKey", std::move(register_key)},
                               {"NetBoxEndpoint", std::move(netbox_endpoint)},
                               {"ProxmoxEndpoint", std::move(proxmox_endpoint)}}},
      {"securitySchemes", json::object{{"ApiKey", json::object{{"type", "apiKey"},
                                                               {"in", "header"},
                                                               {"name", "X-Proxbox-API-Key"}}}}}};
}

std::string operation_id(const RouteDoc& route) {
  std::string id(boost::beast::http::to_string(route.method));
  for (const char c : route.path) {
    id.push_back(std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c))
                                                             : '_');
  }
  return id;
}

}  // namespace

json::object build_openapi(const std::vector<RouteDoc>& routes) {
  json::object paths;
  for (const auto& route : routes) {
    json::object operation{{"summary", route.summary},
                           {"operationId", operation_id(route)},
                           {"tags", json::array{json::string(route.tag)}},
                           {"x-implemented", route.implemented}};
    if (!route.implemented) {
      operation["description"] =
          "Called by the netbox-proxbox plugin; not implemented by this proxbox-api yet: answers "
          "501 with {\"detail\": ...} naming the route.";
    }
    json::array parameters;
    // Path parameters come from the template's {name} segments.
    for (size_t open = route.path.find('{'); open != std::string::npos;
         open = route.path.find('{', open + 1)) {
      const size_t close = route.path.find('}', open);
      const std::string name = route.path.substr(open + 1, close - open - 1);
      const bool numeric = name == "id" || name == "vm_id" || name == "vmid";
      parameters.push_back(json::object{{"name", name},
                                        {"in", "path"},
                                        {"required", true},
                                        {"schema", numeric ? integer_schema() : string_schema()}});
    }
    for (const auto& param : route.query) {
      json::object schema{{"type", param.type}};
      if (std::string_view(param.type) == "array") schema["items"] = integer_schema();
      parameters.push_back(json::object{{"name", param.name},
                                        {"in", "query"},
                                        {"required", false},
                                        {"description", param.description},
                                        {"schema", std::move(schema)}});
    }
    if (!parameters.empty()) operation["parameters"] = std::move(parameters);
    if (!route.request_schema.empty()) {
      operation["requestBody"] = json::object{
          {"required", true},
          {"content",
           json::object{
               {"application/json",
                json::object{{"schema", json::object{{"$ref", "#/components/schemas/" +
                                                                  route.request_schema}}}}}}}};
    }
    json::object responses;
    for (const auto& [code, description] : route.responses) {
      json::object response{{"description", description}};
      if (code != 204) {
        std::string schema = code >= 400 ? "Detail" : "";
        if (code < 400 && route.tag == "sync" && !route.event_stream) schema = "SyncSummary";
        if (code < 400 && !route.response_schema.empty()) schema = route.response_schema;
        const char* media =
            route.event_stream && code < 400 ? "text/event-stream" : "application/json";
        json::object content_schema =
            schema.empty() ? json::object{}
                           : json::object{{"$ref", "#/components/schemas/" + schema}};
        response["content"] =
            json::object{{media, json::object{{"schema", std::move(content_schema)}}}};
      }
      responses[std::to_string(code)] = std::move(response);
    }
    if (route.needs_key) {
      responses["401"] = json::object{{"description", "Missing or invalid X-Proxbox-API-Key"}};
      responses["429"] = json::object{{"description", "Too many failed attempts from this client"}};
      operation["security"] = json::array{json::object{{"ApiKey", json::array{}}}};
    }
    operation["responses"] = std::move(responses);
    const std::string method = common::to_lower(boost::beast::http::to_string(route.method));
    auto& item = paths[route.path];
    if (!item.is_object()) item = json::object{};
    item.as_object()[method] = std::move(operation);
  }
  return {
      {"openapi", "3.1.0"},
      {"info", json::object{{"title", "proxbox-api"},
                            {"version", PBX_VERSION},
                            {"description", "Proxmox → NetBox sync service (diff-based, bulk)"}}},
      {"paths", std::move(paths)},
      {"components", components()}};
}

}  // namespace pbx::api
