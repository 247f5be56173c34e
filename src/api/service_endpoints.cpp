// The NetBox endpoint (/netbox/endpoint: zero or one) and the Proxmox endpoints
// (/proxmox/endpoints: many) as the plugin configures them — the same five routes over each
// (create, list, read, change, remove), secrets masked in every answer — and /netbox/status.

#include <array>
#include <boost/asio/ip/address.hpp>

#include "api/service_impl.hpp"
#include "common/json.hpp"

namespace pbx::api {
namespace json = boost::json;
using common::json_bool;
using common::json_int;
using common::json_string;
using http::Response;
using http::Status;

namespace {

// Upstream keeps a domain and an IP address and dials `domain or ip_address`; the plugin reads
// that pair back from the rows it lists and refuses to sync through a row whose host it cannot
// match with its own endpoint's. Ours keeps one address: it is shown as whichever of the two
// it is.
void add_domain_and_ip(json::object& object, const std::string& address) {
  boost::system::error_code error;
  boost::asio::ip::make_address(address, error);
  object["domain"] = error ? address : std::string();
  object["ip_address"] = error ? std::string() : address;
}

json::object netbox_json(const NetBoxEndpoint& endpoint) {
  json::object object{{"id", endpoint.id},
                      {"name", endpoint.name},
                      {"address", endpoint.address},
                      {"port", endpoint.port},
                      {"scheme", endpoint.scheme},
                      {"url", endpoint.base_url()},
                      {"token_version", endpoint.token_version},
                      {"token_key", endpoint.token_key},
                      {"token", mask_secret(endpoint.token)},
                      {"verify_ssl", endpoint.verify_ssl}};
  add_domain_and_ip(object, endpoint.address);
  return object;
}

json::object proxmox_json(const ProxmoxEndpointRecord& endpoint) {
  json::object object{
      {"id", endpoint.id},
      {"name", endpoint.name},
      {"address", endpoint.address},
      {"port", endpoint.port},
      {"scheme", endpoint.scheme},
      {"url", endpoint.base_url()},
      {"username", endpoint.username},
      {"password", endpoint.password.empty() ? json::value(nullptr)
                                             : json::value(mask_secret(endpoint.password))},
      {"token_name", endpoint.token_name},
      {"token_value", endpoint.token_value.empty()
                          ? json::value(nullptr)
                          : json::value(mask_secret(endpoint.token_value))},
      {"verify_ssl", endpoint.verify_ssl},
      {"timeout", endpoint.timeout},
      {"site_name", endpoint.site_name}};
  object["tenant_id"] =
      endpoint.tenant_id ? json::value(*endpoint.tenant_id) : json::value(nullptr);
  add_domain_and_ip(object, endpoint.address);
  return object;
}

// A secret field in a write: absent or the mask we handed out keeps the stored value.
void apply_secret(const json::object& body, std::string_view name, std::string& target) {
  const auto* value = body.if_contains(name);
  if (!value) return;
  if (value->is_null()) {
    target.clear();
    return;
  }
  const std::string text = json_string(value);
  if (text != mask_secret(target)) target = text;
}

// The connection fields NetBox and Proxmox endpoints share (the reference's aliases included).
template <typename Endpoint>
void apply_connection(const json::object& body, Endpoint& endpoint) {
  if (const auto* v = body.if_contains("name")) endpoint.name = json_string(v);
  // The plugin sends all three, an unset one as null or "" (a NetBox endpoint with only an IP
  // address: "domain": ""); the last one that is set wins.
  for (const char* key : {"address", "ip_address", "domain"}) {
    if (const auto* v = body.if_contains(key); v && !v->is_null() && !json_string(v).empty())
      endpoint.address = json_string(v);
  }
  if (const auto* v = body.if_contains("port")) endpoint.port = static_cast<int>(json_int(v));
  if (const auto* v = body.if_contains("scheme")) endpoint.scheme = json_string(v);
  if (const auto* v = body.if_contains("verify_ssl")) endpoint.verify_ssl = json_bool(v, true);
}

template <typename Endpoint>
common::Result<void, std::string> check_connection(const Endpoint& endpoint) {
  if (endpoint.address.empty()) return common::Failure{"address is required"};
  if (endpoint.port <= 0 || endpoint.port > 65535)
    return common::Failure{"port must be 1 to 65535"};
  if (endpoint.scheme != "http" && endpoint.scheme != "https")
    return common::Failure{"scheme must be http or https"};
  return {};
}

// Applies the fields present in `body`; fails with the message for a bad value.
common::Result<void, std::string> apply_netbox(const json::object& body, NetBoxEndpoint& endpoint) {
  if (auto checked = check_endpoint_body(body); !checked) return checked;
  apply_connection(body, endpoint);
  if (const auto* v = body.if_contains("token_version")) endpoint.token_version = json_string(v);
  if (const auto* v = body.if_contains("token_key")) endpoint.token_key = json_string(v);
  apply_secret(body, "token", endpoint.token);
  if (auto checked = check_connection(endpoint); !checked) return checked;
  if (!common::parse_enum<common::NetBoxToken::Version>(endpoint.token_version)) {
    return common::Failure{"token_version must be v1 or v2"};
  }
  if (endpoint.token.empty()) return common::Failure{"token is required"};
  return {};
}

common::Result<void, std::string> apply_proxmox(const json::object& body,
                                                ProxmoxEndpointRecord& endpoint) {
  if (auto checked = check_endpoint_body(body); !checked) return checked;
  apply_connection(body, endpoint);
  if (const auto* v = body.if_contains("username")) endpoint.username = json_string(v);
  if (const auto* v = body.if_contains("token_name")) endpoint.token_name = json_string(v);
  if (const auto* v = body.if_contains("timeout"))
    endpoint.timeout = static_cast<int>(json_int(v, 30));
  for (const char* key : {"site_name", "site"}) {
    if (const auto* v = body.if_contains(key)) endpoint.site_name = json_string(v);
  }
  if (const auto* v = body.if_contains("tenant_id")) {
    endpoint.tenant_id = v->is_null() ? std::nullopt : std::optional<int64_t>(json_int(v));
  }
  apply_secret(body, "password", endpoint.password);
  apply_secret(body, "token_value", endpoint.token_value);
  if (auto checked = check_connection(endpoint); !checked) return checked;
  if (endpoint.name.empty()) endpoint.name = endpoint.address;
  if (endpoint.username.find('@') == std::string::npos)
    return common::Failure{"username must be user@realm"};
  if (endpoint.password.empty() && endpoint.api_token().empty()) {
    return common::Failure{"either password or token_name + token_value is required"};
  }
  return {};
}

// The five routes over a collection of endpoints (create, list, read, change, remove). The
// NetBox endpoint (one) and the Proxmox endpoints (many) differ only in what this holds.
template <typename Record>
struct EndpointCollection {
  std::string path;  // the collection; items are `path/{id}`
  std::string tag;
  std::string schema;                    // request body component
  std::string noun;                      // "NetBox endpoint", for "... not found."
  std::array<std::string, 5> summaries;  // create, list, read, change, remove
  std::string shown_as;                  // what a 200 answer holds
  std::string create_conflict;           // what a 409 on create means
  std::function<std::vector<Record>()> list;
  std::function<std::optional<Record>(int64_t)> find;
  std::function<common::Result<Record, SaveConflict>(Record)> save;
  std::function<bool(int64_t)> remove;
  std::function<common::Result<void, std::string>(const json::object&, Record&)> apply;
  std::function<json::object(const Record&)> to_json;
};

using AddRoute = std::function<void(RouteDoc, std::function<Response(http::Request&)>)>;

template <typename Record>
void add_collection_routes(const AddRoute& add, EndpointCollection<Record> spec) {
  using V = http::Verb;
  auto collection = std::make_shared<const EndpointCollection<Record>>(std::move(spec));
  const auto& c = *collection;
  const std::string item = c.path + "/{id}";
  const std::vector<std::pair<int, std::string>> answers{
      {200, c.shown_as}, {401, "Missing or invalid key"}, {404, "Not found"}, {422, "Invalid"}};
  // Validates the body into `record` and saves it; `status` on success.
  const auto save_from_body = [collection](const http::Request& request, Record record,
                                           Status status) {
    const auto body = parse_object(request.body);
    if (!body) return detail_response(Status::unprocessable_entity, "Body must be a JSON object");
    if (auto applied = collection->apply(*body, record); !applied)
      return detail_response(Status::unprocessable_entity, applied.error());
    auto saved = collection->save(std::move(record));
    if (!saved) return detail_response(Status::conflict, saved.error().message);
    return Response::json(status, collection->to_json(*saved));
  };
  const auto not_found = [collection] {
    return detail_response(Status::not_found, collection->noun + " not found.");
  };

  add({V::post,
       c.path,
       c.summaries[0],
       c.tag,
       true,
       {},
       c.schema,
       {{201, "Created"}, {409, c.create_conflict}, {422, "Invalid"}}},
      [save_from_body](http::Request& request) {
        return save_from_body(request, Record{}, Status::created);
      });
  add({V::get, c.path, c.summaries[1], c.tag, true, {}, {}, answers}, [collection](http::Request&) {
    json::array list;
    for (const auto& record : collection->list())
      list.push_back(collection->to_json(record));
    return Response::json(list);
  });
  add({V::get, item, c.summaries[2], c.tag, true, {}, {}, answers},
      [collection, not_found](http::Request& request) {
        const auto id = parse_positive_id(request.path_param("id"));
        const auto record = id ? collection->find(*id) : std::nullopt;
        if (!record) return not_found();
        return Response::json(collection->to_json(*record));
      });
  add({V::put, item, c.summaries[3], c.tag, true, {}, c.schema, answers},
      [collection, not_found, save_from_body](http::Request& request) {
        const auto id = parse_positive_id(request.path_param("id"));
        auto record = id ? collection->find(*id) : std::nullopt;
        if (!record) return not_found();
        return save_from_body(request, std::move(*record), Status::ok);
      });
  add({V::delete_,
       item,
       c.summaries[4],
       c.tag,
       true,
       {},
       {},
       {{204, "Deleted"}, {404, "Not found"}}},
      [collection, not_found](http::Request& request) {
        const auto id = parse_positive_id(request.path_param("id"));
        if (!id || !collection->remove(*id)) return not_found();
        return Response::empty(Status::no_content);
      });
}

}  // namespace

void Service::Impl::add_endpoint_routes() {
  using V = http::Verb;
  const AddRoute add_route = [this](RouteDoc doc, std::function<Response(http::Request&)> handler) {
    add(std::move(doc), std::move(handler));
  };
  add_collection_routes(
      add_route,
      EndpointCollection<NetBoxEndpoint>{
          .path = "/netbox/endpoint",
          .tag = "netbox",
          .schema = "NetBoxEndpoint",
          .noun = "NetBox endpoint",
          .summaries = {"Configure the NetBox endpoint", "List the NetBox endpoint (zero or one)",
                        "Read the NetBox endpoint", "Change the NetBox endpoint",
                        "Remove the NetBox endpoint"},
          .shown_as = "The NetBox endpoint (token masked)",
          .create_conflict = "One is already configured",
          .list =
              [this] {
                std::vector<NetBoxEndpoint> list;
                if (auto endpoint = endpoints.netbox()) list.push_back(std::move(*endpoint));
                return list;
              },
          .find = [this](int64_t id) { return endpoints.netbox(id); },
          .save =
              [this](NetBoxEndpoint endpoint) {
                return endpoints.save_netbox(std::move(endpoint));
              },
          .remove = [this](int64_t id) { return endpoints.delete_netbox(id); },
          .apply = apply_netbox,
          .to_json = netbox_json});
  add({V::get,
       "/netbox/status",
       "Reachability, version and latency of NetBox",
       "netbox",
       true,
       {},
       {},
       {{200, "Status"}, {400, "No endpoint configured"}}},
      [this](http::Request&) {
        auto connection = netbox_connection();
        if (!connection)
          return detail_response(Status::bad_request, "No NetBox endpoint is configured.");
        try {
          const auto status = connection->client->status();
          return Response::json(json::object{{"reachable", true},
                                             {"netbox_version", status.version.text},
                                             {"latency_ms", status.latency.count()},
                                             {"url", connection->client->api_root()}});
        } catch (const std::exception& error) {
          return Response::json(json::object{{"reachable", false},
                                             {"netbox_version", nullptr},
                                             {"latency_ms", nullptr},
                                             {"url", connection->client->api_root()},
                                             {"error", error.what()}});
        }
      });

  add_collection_routes(add_route,
                        EndpointCollection<ProxmoxEndpointRecord>{
                            .path = "/proxmox/endpoints",
                            .tag = "proxmox",
                            .schema = "ProxmoxEndpoint",
                            .noun = "Proxmox endpoint",
                            .summaries = {"Add a Proxmox endpoint", "List Proxmox endpoints",
                                          "Read a Proxmox endpoint", "Change a Proxmox endpoint",
                                          "Remove a Proxmox endpoint"},
                            .shown_as = "Proxmox endpoint (secrets masked)",
                            .create_conflict = "Name taken",
                            .list = [this] { return endpoints.proxmox(); },
                            .find = [this](int64_t id) { return endpoints.proxmox(id); },
                            .save =
                                [this](ProxmoxEndpointRecord endpoint) {
                                  return endpoints.save_proxmox(std::move(endpoint));
                                },
                            .remove = [this](int64_t id) { return endpoints.delete_proxmox(id); },
                            .apply = apply_proxmox,
                            .to_json = proxmox_json});
}

}  // namespace pbx::api
