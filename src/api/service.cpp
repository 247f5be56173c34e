#include "api/service.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <set>

#include "api/service_impl.hpp"
#include "common/json.hpp"

namespace pbx::api {
namespace json = boost::json;
using common::field;
using common::json_string;
using http::Response;
using http::Status;

TransportFactory http_transport_factory(std::string ca_file) {
  return [ca_file = std::move(ca_file)](const RemoteTarget& target) {
    http::ClientOptions options;
    options.verify_tls = target.verify_tls;
    options.ca_file = ca_file;
    options.request_timeout = std::chrono::seconds(std::max(1, target.timeout_seconds));
    options.max_retries = 4;
    options.user_agent = "proxbox-api/" PBX_VERSION;
    return std::make_shared<sync::HttpTransport>(std::move(options));
  };
}

std::optional<json::object> parse_object(const std::string& body) {
  boost::system::error_code error;
  json::value value = json::parse(body, error);
  if (error || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

namespace {

// The answer to a key the store did not take.
Response key_not_stored(KeyNotStored reason) {
  switch (reason) {
    case KeyNotStored::too_short:
      return detail_response(Status::bad_request, "API key must be at least 32 characters.");
    case KeyNotStored::already_registered:
      return detail_response(Status::conflict, "An API key is already configured.");
    case KeyNotStored::already_stored:
      break;
  }
  return detail_response(Status::bad_request, "This API key is already stored.");
}

}  // namespace

Service::Impl::Impl(ServiceOptions service_options)
    : options(std::move(service_options)),
      database(options.database_path),
      keys(database, database_mutex, options.pwhash),
      endpoints(database, database_mutex, SecretBox(options.encryption_key)),
      key_guard(keys, options.key_guard, options.clock) {
  router.on_not_found(
      [](const http::Request&) { return detail_response(Status::not_found, "Not Found"); });
  router.on_method_not_allowed([](const http::Request&, const std::vector<http::Verb>&) {
    return detail_response(Status::method_not_allowed, "Method Not Allowed");
  });
  if (options.use_read_cache) load_read_cache();
  register_routes();
}

void Service::Impl::load_read_cache() {
  read_cache = std::make_shared<sync::GuestReadCache>(options.read_cache);
  try {
    std::lock_guard lock(database_mutex);
    read_cache->load(database);
  } catch (const std::exception& error) {
    spdlog::warn("guest read cache not loaded ({}): the next sync reads every guest", error.what());
    read_cache->clear();
  }
}

void Service::Impl::save_read_cache() {
  if (!read_cache) return;
  try {
    std::lock_guard lock(database_mutex);
    read_cache->save(database);
  } catch (const std::exception& error) {
    spdlog::warn("guest read cache not saved ({}): the next sync reads more guests", error.what());
  }
}

void Service::Impl::add(RouteDoc doc, std::function<Response(http::Request&)> handler) {
  const bool needs_key = doc.needs_key;
  router.add(doc.method, doc.path,
             [this, needs_key, handler = std::move(handler)](http::Request& request) {
               if (needs_key) {
                 if (auto allowed = authenticate(request); !allowed) return allowed.error();
               }
               try {
                 return handler(request);
               } catch (const std::exception& error) {
                 return detail_response(Status::internal_server_error, error.what());
               }
             });
  docs.push_back(std::move(doc));
}

common::Result<void, Response> Service::Impl::authenticate(const http::Request& request) {
  // Which key, which address, how many tries: KeyGuard (api/keys.hpp) decides.
  const auto admitted = key_guard.admit(request);
  if (admitted) return {};
  const KeyRefusal& refusal = admitted.error();
  Response response = detail_response(refusal.status, refusal.detail);
  if (refusal.retry_after > 0) {
    response.headers.set(http::Field::retry_after, std::to_string(refusal.retry_after));
  }
  return common::Failure{std::move(response)};
}

std::shared_ptr<sync::Transport> Service::Impl::transport_for(const RemoteTarget& target) {
  return options.transport_factory(target);
}

std::optional<NetBoxConnection> Service::Impl::netbox_connection() {
  const auto endpoint = endpoints.netbox();
  if (!endpoint) return std::nullopt;
  NetBoxConnection connection;
  connection.transport = transport_for({endpoint->base_url(), endpoint->verify_ssl, 30});
  connection.client = std::make_unique<sync::NetBoxClient>(
      *connection.transport, endpoint->base_url(), endpoint->authorization_token());
  return connection;
}

OrRefusal<ProxmoxSources> Service::Impl::sources_for(const http::Request& request) {
  std::set<int64_t> wanted;
  for (const auto& value : request.query_values("proxmox_endpoint_ids")) {
    std::string_view rest = value;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      const std::string_view item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      if (item.empty()) continue;
      const auto id = parse_positive_id(item);
      if (!id)
        return refuse(Status::unprocessable_entity,
                      "proxmox_endpoint_ids must be positive integers");
      wanted.insert(*id);
    }
  }
  std::vector<sync::ProxmoxSource> sources;
  for (const auto& endpoint : endpoints.proxmox()) {
    if (!wanted.empty() && !wanted.count(endpoint.id)) continue;
    sync::ProxmoxSource source;
    source.name = endpoint.name;
    source.credentials = {endpoint.base_url(), endpoint.api_token(), endpoint.username,
                          endpoint.password};
    source.transport = transport_for({endpoint.base_url(), endpoint.verify_ssl, endpoint.timeout});
    source.site_name = endpoint.site_name;
    source.tenant_id = endpoint.tenant_id;
    sources.push_back(std::move(source));
  }
  if (sources.empty()) {
    return refuse(Status::bad_request, wanted.empty()
                                           ? "No Proxmox endpoint is configured."
                                           : "None of the requested Proxmox endpoints exists.");
  }
  return sources;
}

void Service::Impl::register_routes() {
  add_meta_routes();
  add_key_routes();
  add_endpoint_routes();
  add_sync_routes();
}

void Service::Impl::add_meta_routes() {
  using V = http::Verb;
  add({V::get, "/", "Service information", "meta", false, {}, {}, {{200, "Service information"}}},
      [](http::Request&) {
        return Response::json(json::object{
            {"name", "proxbox-api"}, {"version", PBX_VERSION}, {"openapi", "/openapi.json"}});
      });
  add({V::get, "/health", "Liveness", "meta", false, {}, {}, {{200, "Healthy"}}},
      [](http::Request&) {
        return Response::json(json::object{{"status", "ok"}});
      });
  add({V::get, "/version", "Version", "meta", false, {}, {}, {{200, "Version"}}},
      [](http::Request&) {
        return Response::json(json::object{{"version", PBX_VERSION}});
      });
  add({V::get, "/openapi.json", "This OpenAPI document", "meta", false, {}, {}, {{200, "OpenAPI"}}},
      [this](http::Request&) { return Response::json(openapi_document()); });
}

void Service::Impl::add_key_routes() {
  using V = http::Verb;
  add({V::post,
       "/auth/register-key",
       "Register the first API key (once per database)",
       "auth",
       false,
       {},
       "RegisterKey",
       {{201, "Registered"},
        {400, "Key too short"},
        {409, "A key is already registered"},
        {422, "Bad body"}}},
      [this](http::Request& request) {
        const auto body = parse_object(request.body);
        if (!body || !body->if_contains("api_key")) {
          return detail_response(Status::unprocessable_entity,
                                 "Body must be {\"api_key\": ..., \"label\": ...}");
        }
        const auto registered = keys.register_first(json_string(field(*body, "api_key")),
                                                    json_string(field(*body, "label")));
        if (!registered) return key_not_stored(registered.error());
        return detail_response(Status::created, "API key registered.");
      });
  add({V::get,
       "/auth/keys",
       "List API keys (never their values)",
       "auth",
       true,
       {},
       {},
       {{200, "Keys"}, {401, "Missing or invalid key"}, {429, "Locked out"}}},
      [this](http::Request&) {
        // Upstream's shape, which the plugin validates before it stores a backend key:
        // {"keys": [{id, label, is_active, created_at: Unix seconds}]}.
        json::array list;
        for (const auto& key : keys.list()) {
          list.push_back(json::object{{"id", key.id},
                                      {"label", key.label},
                                      {"is_active", true},
                                      {"created_at", key.created_at_seconds}});
        }
        return Response::json(json::object{{"keys", std::move(list)}});
      });
  // The plugin asks this (unauthenticated) before it adopts a key: exactly one of the two is
  // true.
  add({V::get,
       "/auth/bootstrap-status",
       "Whether the first API key is still to be registered",
       "auth",
       false,
       {},
       {},
       {{200, "Status"}}},
      [this](http::Request&) {
        const bool has_keys = keys.any();
        return Response::json(
            json::object{{"needs_bootstrap", !has_keys}, {"has_db_keys", has_keys}});
      });
  add({V::post,
       "/auth/keys",
       "Add an API key",
       "auth",
       true,
       {},
       "NewKey",
       {{201, "Created"}, {400, "Key too short"}, {401, "Missing or invalid key"}}},
      [this](http::Request& request) {
        const auto body = parse_object(request.body);
        if (!body || !body->if_contains("api_key")) {
          return detail_response(Status::unprocessable_entity,
                                 "Body must be {\"api_key\": ..., \"label\": ...}");
        }
        const auto id =
            keys.add(json_string(field(*body, "api_key")), json_string(field(*body, "label")));
        if (!id) return key_not_stored(id.error());
        return Response::json(
            Status::created,
            json::object{{"id", *id}, {"label", json_string(field(*body, "label"))}});
      });
  add({V::delete_,
       "/auth/keys/{id}",
       "Delete an API key",
       "auth",
       true,
       {},
       {},
       {{204, "Deleted"}, {404, "No such key"}, {401, "Missing or invalid key"}}},
      [this](http::Request& request) {
        const auto id = parse_positive_id(request.path_param("id"));
        if (!id || !keys.remove(*id))
          return detail_response(Status::not_found, "API key not found.");
        return Response::empty(Status::no_content);
      });
}

Service::Service(ServiceOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Service::~Service() = default;

http::Response Service::handle(http::Request& request) {
  return impl_->router.dispatch(request);
}

http::Handler Service::as_handler() {
  return [this](http::Request& request) { return handle(request); };
}

boost::json::object Service::openapi() const {
  return impl_->openapi_document();
}

}  // namespace pbx::api
