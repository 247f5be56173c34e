#include "api/service.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/ip/address.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <stop_token>

#include "api/endpoint_store.hpp"
#include "api/plugin_events.hpp"
#include "api/plugin_routes.hpp"
#include "api/route_doc.hpp"
#include "common/clock.hpp"
#include "common/json.hpp"
#include "common/result.hpp"
#include "common/sqlite.hpp"
#include "http/router.hpp"

namespace pbx::api {
namespace json = boost::json;
using common::field;
using common::json_bool;
using common::json_int;
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

namespace {

bool truthy(std::string_view text) {
  return text == "1" || text == "true" || text == "True" || text == "yes" || text == "on";
}

std::optional<json::object> parse_object(const std::string& body) {
  boost::system::error_code error;
  json::value value = json::parse(body, error);
  if (error || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

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

}  // namespace

struct Service::Impl {
  ServiceOptions options;
  std::mutex database_mutex;
  common::Database database;
  KeyStore keys;
  EndpointStore endpoints;
  KeyGuard key_guard;
  http::Router router;
  std::vector<RouteDoc> docs;
  // What earlier syncs read of each guest (sync/guest_read_cache.hpp), kept in `database`.
  std::shared_ptr<sync::GuestReadCache> read_cache;

  // One sync at a time: two would race on the same NetBox objects. A second request while one
  // runs is answered 409 at once rather than queued: the plugin and cron would otherwise pile
  // up blocked requests that time out on their side while still holding their place here.
  struct SyncState {
    std::mutex mutex;
    bool running = false;
    std::string scope, started_at;
    std::optional<json::object> last_run;  // summary of the last run that finished
  };
  std::shared_ptr<SyncState> sync_state = std::make_shared<SyncState>();

  // Held for as long as a sync runs; whoever owns the run last (the handler, or the SSE producer
  // thread) releases it, also when the run throws or the stream is never started.
  class SyncSlot {
   public:
    explicit SyncSlot(std::shared_ptr<SyncState> state) : state_(std::move(state)) {}
    SyncSlot(const SyncSlot&) = delete;
    SyncSlot& operator=(const SyncSlot&) = delete;
    ~SyncSlot() {
      std::lock_guard lock(state_->mutex);
      state_->running = false;
    }
    void finished(json::object summary) {
      std::lock_guard lock(state_->mutex);
      state_->last_run = std::move(summary);
    }

   private:
    std::shared_ptr<SyncState> state_;
  };

  std::shared_ptr<SyncSlot> try_start_sync(sync::SyncScope scope) {
    std::lock_guard lock(sync_state->mutex);
    if (sync_state->running) return nullptr;
    sync_state->running = true;
    sync_state->scope = std::string(sync::to_string(scope));
    sync_state->started_at = common::utc_now_iso8601();
    return std::make_shared<SyncSlot>(sync_state);
  }

  json::object sync_status() {
    std::lock_guard lock(sync_state->mutex);
    json::object status{{"running", sync_state->running}};
    status["scope"] = sync_state->running ? json::value(sync_state->scope) : json::value(nullptr);
    status["started_at"] =
        sync_state->running ? json::value(sync_state->started_at) : json::value(nullptr);
    status["last_run"] = sync_state->last_run ? json::value(*sync_state->last_run) : nullptr;
    return status;
  }

  explicit Impl(ServiceOptions service_options)
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

  // A cache that cannot be loaded is started empty (the next sync reads every guest).
  void load_read_cache() {
    read_cache = std::make_shared<sync::GuestReadCache>(options.read_cache);
    try {
      std::lock_guard lock(database_mutex);
      read_cache->load(database);
    } catch (const std::exception& error) {
      spdlog::warn("guest read cache not loaded ({}): the next sync reads every guest",
                   error.what());
      read_cache->clear();
    }
  }

  void save_read_cache() {
    if (!read_cache) return;
    try {
      std::lock_guard lock(database_mutex);
      read_cache->save(database);
    } catch (const std::exception& error) {
      spdlog::warn("guest read cache not saved ({}): the next sync reads more guests",
                   error.what());
    }
  }

  void add(RouteDoc doc, std::function<Response(http::Request&)> handler) {
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

  template <typename Record>
  void add_endpoint_routes(EndpointCollection<Record> spec) {
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
    add({V::get, c.path, c.summaries[1], c.tag, true, {}, {}, answers},
        [collection](http::Request&) {
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

  // Done when the request carries a stored key, else the 401/429 to answer.
  common::Result<void, Response> authenticate(const http::Request& request) {
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

  std::shared_ptr<sync::Transport> transport_for(const RemoteTarget& target) {
    return options.transport_factory(target);
  }

  std::optional<NetBoxConnection> netbox_connection() {
    const auto endpoint = endpoints.netbox();
    if (!endpoint) return std::nullopt;
    NetBoxConnection connection;
    connection.transport = transport_for({endpoint->base_url(), endpoint->verify_ssl, 30});
    connection.client = std::make_unique<sync::NetBoxClient>(
        *connection.transport, endpoint->base_url(), endpoint->authorization_token());
    return connection;
  }

  // Proxmox endpoints selected by `proxmox_endpoint_ids` (all when absent), or the refusal: 422
  // for a malformed id, 400 when none is configured or none of the ids exists.
  OrRefusal<ProxmoxSources> sources_for(const http::Request& request) {
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
      source.transport =
          transport_for({endpoint.base_url(), endpoint.verify_ssl, endpoint.timeout});
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

  // One stage run (see plugin_routes.hpp): JSON answers the engine's summary (plus what the
  // route adds); a stream sends the plugin's payloads (plugin_events.hpp), ending in `complete`.
  Response run_stage(http::Request& request, StageRun stage) {
    ProxmoxSources sources;
    if (stage.sources) {
      sources = *stage.sources;
    } else {
      auto selected = sources_for(request);
      if (!selected) return selected.error();
      sources = std::move(*selected);
    }
    if (!endpoints.netbox())
      return detail_response(Status::bad_request, "No NetBox endpoint is configured.");
    sync::SyncOptions sync_options;
    sync_options.scope = stage.scope;
    sync_options.delete_orphans =
        stage.allow_delete && (truthy(request.query_value("delete_orphans").value_or("")) ||
                               (!stage.delete_flag.empty() &&
                                truthy(request.query_value(stage.delete_flag).value_or(""))));
    sync_options.dry_run = truthy(request.query_value("dry_run").value_or(""));
    sync_options.reader = options.reader;
    sync_options.reader.read_cache = read_cache;
    sync_options.reader.full_read = truthy(request.query_value("full_read").value_or(""));
    // A per-VM run reads its guest fresh, whatever the cache holds.
    if (const auto* vm = stage.extra_result.if_contains("virtual_machine"); vm && vm->is_object()) {
      if (const auto* vmid = vm->as_object().if_contains("proxmox_vm_id");
          vmid && vmid->is_int64()) {
        sync_options.reader.fresh_vmids.insert(static_cast<int>(vmid->as_int64()));
      }
    }
    if (stage.only_guest) {
      sync_options.reader.fresh_vmids.insert(*stage.only_guest);
      sync_options.reader.listing_narrowed = true;
    }
    sync_options.limits = options.sync_limits;
    auto slot = try_start_sync(stage.scope);
    if (!slot) return detail_response(Status::conflict, "a sync is already running");

    auto run =
        [this, sources = std::move(sources), sync_options](
            SyncSlot& held, std::stop_token stop,
            const sync::EventCallback& on_event) -> common::Result<sync::SyncSummary, std::string> {
      auto connection = netbox_connection();
      if (!connection) return common::Failure{"No NetBox endpoint is configured."};
      sync::SyncOptions run_options = sync_options;
      run_options.stop = std::move(stop);
      try {
        sync::SyncEngine engine(*connection->client, sources, run_options, on_event);
        sync::SyncSummary summary = engine.run();
        save_read_cache();
        held.finished(summary.to_json());
        return summary;
      } catch (const std::exception& error) {
        std::string message = std::string("NetBox is unavailable: ") + error.what();
        held.finished(json::object{{"error", message}});
        return common::Failure{std::move(message)};
      }
    };
    if (!stage.stream) {
      auto outcome = run(*slot, {}, {});
      if (!outcome) return detail_response(Status::bad_gateway, outcome.error());
      json::object summary = outcome->to_json();
      for (auto& [name, value] : stage.extra_result)
        summary[name] = std::move(value);
      return Response::json(std::move(summary));
    }
    return Response::events([run = std::move(run), slot, stage](http::EventSink& sink) {
      const PluginEventTranslator translator(stage.stage);
      auto send = [&](const SseFrame& frame) {
        return sink.send(frame.event, json::serialize(frame.data));
      };
      // A client that went away cancels its sync: nobody would see the rest, and the run would
      // hold the slot that a new request needs.
      std::stop_source client_gone;
      auto outcome = run(*slot, client_gone.get_token(), [&](const sync::SyncEvent& event) {
        for (const auto& frame : translator.translate(event)) {
          if (!send(frame)) client_gone.request_stop();
        }
      });
      if (!outcome) {
        const std::string& message = outcome.error();
        send({"error", error_payload("netbox", message)});
        send({"complete", complete_payload(false, message, nullptr,
                                           json::array{json::object{{"detail", message}}})});
        return;
      }
      send(translator.complete_for(*outcome, stage.extra_result));
    });
  }

  PluginRouteHooks plugin_hooks;

  void register_routes();
  json::object openapi_document() const { return build_openapi(docs); }
};

void Service::Impl::register_routes() {
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

  // Keys.
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

  add_endpoint_routes(EndpointCollection<NetBoxEndpoint>{
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
          [this](NetBoxEndpoint endpoint) { return endpoints.save_netbox(std::move(endpoint)); },
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

  add_endpoint_routes(EndpointCollection<ProxmoxEndpointRecord>{
      .path = "/proxmox/endpoints",
      .tag = "proxmox",
      .schema = "ProxmoxEndpoint",
      .noun = "Proxmox endpoint",
      .summaries = {"Add a Proxmox endpoint", "List Proxmox endpoints", "Read a Proxmox endpoint",
                    "Change a Proxmox endpoint", "Remove a Proxmox endpoint"},
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

  add({V::get,
       "/sync/status",
       "Whether a sync is running, and the summary of the last one that finished",
       "sync",
       true,
       {},
       {},
       {{200, "{running, scope, started_at, last_run}"}}},
      [this](http::Request&) { return Response::json(sync_status()); });

  // Custom fields (and the legacy path the plugin used).
  for (const char* path : {"/extras/custom-fields/create", "/extras/extras/custom-fields/create"}) {
    add({V::get,
         path,
         "Create the custom fields and the proxbox tag the sync writes (idempotent)",
         "extras",
         true,
         {},
         {},
         {{200, "The custom fields"}, {400, "No NetBox endpoint"}, {502, "NetBox error"}}},
        [this](http::Request&) {
          auto connection = netbox_connection();
          if (!connection)
            return detail_response(Status::bad_request, "No NetBox endpoint is configured.");
          try {
            json::array fields;
            for (auto& object :
                 sync::ensure_custom_fields(*connection->client, connection->client->status()))
              fields.push_back(std::move(object));
            return Response::json(fields);
          } catch (const std::exception& error) {
            return detail_response(Status::bad_gateway, error.what());
          }
        });
  }

  // The plugin's stages (JSON and SSE), full-update, bootstrap and the routes it calls.
  plugin_hooks.add = [this](RouteDoc doc, std::function<Response(http::Request&)> handler) {
    add(std::move(doc), std::move(handler));
  };
  plugin_hooks.run_stage = [this](http::Request& request, StageRun stage) {
    return run_stage(request, std::move(stage));
  };
  plugin_hooks.netbox = [this] { return netbox_connection(); };
  plugin_hooks.proxmox_sources = [this](const http::Request& request) {
    return sources_for(request);
  };
  add_plugin_routes(plugin_hooks);
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
