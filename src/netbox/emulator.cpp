#include "netbox/emulator.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/object.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>

#include "http/router.hpp"
#include "netbox/auth.hpp"
#include "netbox/errors.hpp"
#include "netbox/model.hpp"
#include "netbox/options_metadata.hpp"
#include "netbox/reads.hpp"
#include "netbox/rendering.hpp"
#include "netbox/request_context.hpp"
#include "netbox/schema_document.hpp"
#include "netbox/store.hpp"
#include "netbox/writes.hpp"

namespace pbx::netbox {
namespace {

namespace json = boost::json;
using http::Request;
using http::Response;
using http::Status;
using http::Verb;

// What a route does with the request and its context.
using Action = std::function<Response(RequestContext&, const Request&)>;

std::vector<const Model*> served_models(std::string_view version) {
  std::vector<const Model*> models;
  for (const Model& model : Registry::instance().models()) {
    if (model.since.empty() || compare_versions(version, model.since) >= 0) {
      models.push_back(&model);
    }
  }
  return models;
}

std::vector<const Model*> all_models() {
  std::vector<const Model*> models;
  for (const Model& model : Registry::instance().models())
    models.push_back(&model);
  return models;
}

// Requests that only read: served side by side on reader connections when the database is a
// file (Emulator::Impl::handle).
bool is_read(Verb method) {
  return method == Verb::get || method == Verb::head || method == Verb::options;
}

bool is_write(Verb method) {
  return method == Verb::post || method == Verb::put || method == Verb::patch ||
         method == Verb::delete_;
}

}  // namespace

struct Emulator::Impl {
  EmulatorOptions options;
  Store store;
  Authenticator authenticator;
  const FieldOrder field_order;
  // The router matches paths (templates, 404 vs 405); what a route does is in `actions`, keyed
  // by (template, method), because actions take the request's context as a parameter.
  http::Router router;
  std::map<std::pair<std::string, Verb>, Action> actions;
  // Writes take it alone; reads share it, each on a reader connection of its own (`readers`),
  // so a read never sees a write half done and reads use every core. With ":memory:" (one
  // connection is the whole database) every request takes it alone, on `store`.
  std::shared_mutex mutex;
  // Taken by a write for as long as it waits and runs, and passed through by every read before
  // it shares `mutex`: a waiting write holds new reads back (glibc's shared mutex lets a stream
  // of reads starve writes, as a listing ahead of its stage would starve that stage's writes).
  std::mutex write_turnstile;
  const bool concurrent_reads;
  std::mutex readers_mutex;
  std::vector<std::unique_ptr<Store>> idle_readers;  // reader connections between requests
  std::mutex stats_mutex;                            // request_counts and write_count
  std::map<std::string, int64_t> request_counts;
  int64_t write_count = 0;
  std::mutex schema_mutex;
  std::optional<json::object> schema;  // the OpenAPI document, built on its first request

  static EmulatorOptions with_default_token(EmulatorOptions options) {
    if (options.tokens.empty()) options.tokens.push_back(kDefaultToken);
    return options;
  }

  explicit Impl(EmulatorOptions emulator_options)
      : options(with_default_token(std::move(emulator_options))),
        store(options.database),
        authenticator(options.tokens, options.version),
        field_order(field_order_for(all_models(), options.version)),
        concurrent_reads(options.database != ":memory:" && !options.database.empty()) {
    register_routes();
  }

  // A reader connection for one request, back to the idle ones when it ends.
  class ReaderLease {
   public:
    explicit ReaderLease(Impl& impl) : impl_(impl) {
      {
        std::lock_guard lock(impl_.readers_mutex);
        if (!impl_.idle_readers.empty()) {
          reader_ = std::move(impl_.idle_readers.back());
          impl_.idle_readers.pop_back();
        }
      }
      if (!reader_) reader_ = std::make_unique<Store>(impl_.options.database, Store::Role::reader);
    }
    ~ReaderLease() {
      std::lock_guard lock(impl_.readers_mutex);
      impl_.idle_readers.push_back(std::move(reader_));
    }
    ReaderLease(const ReaderLease&) = delete;
    ReaderLease& operator=(const ReaderLease&) = delete;
    Store& store() { return *reader_; }

   private:
    Impl& impl_;
    std::unique_ptr<Store> reader_;
  };

  bool at_least(std::string_view version) const {
    return compare_versions(options.version, version) >= 0;
  }

  // ---- routes ----------------------------------------------------------------------------

  void route(Verb method, const std::string& pattern, Action action, bool open = false) {
    router.add(method, pattern, [](Request&) -> Response {
      throw std::logic_error("netbox-emulator routes are served through Emulator::handle");
    });
    action = [this, open, action = std::move(action)](RequestContext& context, const Request& r) {
      auto allowed =
          open ? authenticator.authenticate_if_presented(r) : authenticator.authenticate(r);
      if (!allowed) return allowed.error();
      return action(context, r);
    };
    actions.emplace(std::make_pair(pattern, method), std::move(action));
  }

  void register_model_routes(const Model* model) {
    const std::string list = "/api/" + model->path + "/";
    const std::string item = list + "{id}/";
    const Model& m = *model;
    route(Verb::get, list,
          [&m](RequestContext& c, const Request& r) { return list_objects(c, m, r); });
    route(Verb::post, list,
          [&m](RequestContext& c, const Request& r) { return create_objects(c, m, r); });
    route(Verb::put, list,
          [&m](RequestContext& c, const Request& r) { return update_objects(c, m, r, false); });
    route(Verb::patch, list,
          [&m](RequestContext& c, const Request& r) { return update_objects(c, m, r, true); });
    route(Verb::delete_, list,
          [&m](RequestContext& c, const Request& r) { return delete_objects(c, m, r); });
    route(Verb::get, item,
          [&m](RequestContext& c, const Request& r) { return get_object(c, m, r); });
    route(Verb::put, item,
          [&m](RequestContext& c, const Request& r) { return update_object(c, m, r, false); });
    route(Verb::patch, item,
          [&m](RequestContext& c, const Request& r) { return update_object(c, m, r, true); });
    route(Verb::delete_, item,
          [&m](RequestContext& c, const Request& r) { return delete_object(c, m, r); });
    route(Verb::options, list,
          [&m](RequestContext& c, const Request&) { return options_metadata(c, m, false, false); });
    route(Verb::options, item, [&m](RequestContext& c, const Request& r) {
      const auto id = path_id(r);
      return options_metadata(c, m, true, id && c.store.get(m, *id));
    });
  }

  void register_routes() {
    route(
        Verb::get, "/api/", [](RequestContext& c, const Request&) { return api_root(c); }, true);
    route(
        Verb::get, "/api/status/", [this](RequestContext&, const Request&) { return status(); },
        true);
    route(
        Verb::get, "/api/schema/",
        [this](RequestContext&, const Request& r) {
          std::lock_guard lock(schema_mutex);
          if (!schema) schema = schema_document(served_models(options.version), options);
          return schema_response(r, *schema);
        },
        true);
    if (at_least("4.5")) {
      route(Verb::get, "/api/authentication-check/", [](RequestContext& c, const Request&) {
        return Response::json(json::object{{"id", 1},
                                           {"url", c.base + "/api/users/users/1/"},
                                           {"display", "admin"},
                                           {"username", "admin"}});
      });
    }
    route(Verb::post, "/api/__emulator__/reset/", [this](RequestContext&, const Request&) {
      store.clear_all();
      std::lock_guard lock(stats_mutex);
      request_counts.clear();
      write_count = 0;
      return Response::json(json::object{{"reset", true}});
    });
    route(Verb::get, "/api/__emulator__/stats/",
          [this](RequestContext&, const Request&) { return stats(); });
    std::set<std::string> apps;
    for (const Model* model : served_models(options.version)) {
      register_model_routes(model);
      apps.insert(model->path.substr(0, model->path.rfind('/')));
    }
    for (const std::string& app : apps) {
      route(Verb::get, "/api/" + app + "/",
            [this, app](RequestContext& c, const Request&) { return app_root(c, app); });
    }
    route(Verb::get, "/api/plugins/", [](RequestContext& c, const Request&) {
      return Response::json(json::object{{"proxbox", c.base + "/api/plugins/proxbox/"}});
    });
  }

  static Response api_root(const RequestContext& context) {
    json::object root;
    for (const char* app : {"circuits", "core", "dcim", "extras", "ipam", "plugins", "status",
                            "tenancy", "users", "virtualization", "vpn", "wireless"}) {
      root[app] = context.base + "/api/" + app + "/";
    }
    return Response::json(root);
  }

  Response app_root(const RequestContext& context, const std::string& app) const {
    json::object endpoints;
    for (const Model* model : served_models(options.version)) {
      if (model->path.substr(0, model->path.rfind('/')) != app) continue;
      const std::string endpoint = model->path.substr(model->path.rfind('/') + 1);
      endpoints[endpoint] = context.base + "/api/" + model->path + "/";
    }
    return Response::json(endpoints);
  }

  Response status() const {
    json::object apps{{"django_filters", "24.3"},    {"django_tables2", "2.7.5"},
                      {"drf_spectacular", "0.28.0"}, {"mptt", "0.16.0"},
                      {"rest_framework", "3.15.2"},  {"taggit", "6.1.0"}};
    json::object body;
    body["django-version"] = at_least("4.5") ? "5.2.8" : "5.1.5";
    body[at_least("4.4") ? "installed_apps" : "installed-apps"] = apps;
    body["netbox-version"] = options.full_version;
    if (at_least("4.3")) body["netbox-full-version"] = options.full_version;
    if (at_least("4.4")) body["hostname"] = "netbox-emulator";
    body["plugins"] = json::object{{"netbox_proxbox", "0.0.7"}};
    body["python-version"] = "3.12.3";
    body["rq-workers-running"] = 1;
    return Response::json(body);
  }

  Response stats() {
    std::lock_guard lock(stats_mutex);
    json::object counts;
    for (const auto& [key, value] : request_counts)
      counts[key] = value;
    return Response::json(json::object{{"requests", counts}, {"writes", write_count}});
  }

  // ---- entry -----------------------------------------------------------------------------

  // Every request but the admin API's, by method and path template; writes counted apart.
  void count_request(const Request& request, const http::Router::Match& match) {
    if (request.path.starts_with("/api/__emulator__/")) return;
    const std::string method(boost::beast::http::to_string(request.method));
    std::lock_guard lock(stats_mutex);
    request_counts[method + " " + (match.handler ? match.pattern : request.path)] += 1;
    if (is_write(request.method)) ++write_count;
  }

  // 404 for an unknown path, 405 (with Allow) for a known path and another method.
  static Response not_routed(const Request& request, const http::Router::Match& match) {
    if (!match.path_known) return detail(Status::not_found, "Not found.");
    Response response =
        detail(Status::method_not_allowed,
               "Method \"" + std::string(boost::beast::http::to_string(request.method)) +
                   "\" not allowed.");
    std::string allow;
    for (const Verb verb : match.allowed) {
      if (!allow.empty()) allow += ", ";
      allow += boost::beast::http::to_string(verb);
    }
    response.headers.set(http::Field::allow, allow);
    return response;
  }

  Response serve(RequestContext& context, const Request& request,
                 const http::Router::Match& match) {
    if (!match.handler) return not_routed(request, match);
    auto action = actions.find({match.pattern, request.method});
    if (action == actions.end() && request.method == Verb::head) {
      action = actions.find({match.pattern, Verb::get});  // the router answers HEAD with GET
    }
    return action->second(context, request);
  }

  Response handle(Request& request) {
    if (concurrent_reads && is_read(request.method)) {
      { std::lock_guard wait_for_writes(write_turnstile); }
      std::shared_lock lock(mutex);
      ReaderLease reader(*this);
      return handle_on(reader.store(), request);
    }
    std::lock_guard hold_reads_back(write_turnstile);
    std::unique_lock lock(mutex);
    return handle_on(store, request);
  }

  Response handle_on(Store& connection, Request& request) {
    connection.trim_cache();
    RequestContext context{connection, options, field_order, base_url(request)};
    request.path_params.clear();
    const http::Router::Match match =
        router.match(request.method, request.path_segments(), request.path_params);
    count_request(request, match);
    Response response;
    try {
      response = serve(context, request, match);
    } catch (const std::exception& error) {
      // Never expected: storage failures are bugs, reported in NetBox's shape, not a crash.
      spdlog::error("netbox-emulator: {} {} failed: {}",
                    std::string(boost::beast::http::to_string(request.method)), request.target,
                    error.what());
      response = detail(Status::internal_server_error, error.what());
    }
    response.headers.set("API-Version", options.version);
    return response;
  }
};

Emulator::Emulator(EmulatorOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Emulator::~Emulator() = default;

http::Response Emulator::handle(http::Request& request) {
  return impl_->handle(request);
}

http::Handler Emulator::handler() {
  return [this](http::Request& request) { return handle(request); };
}

const EmulatorOptions& Emulator::options() const {
  return impl_->options;
}

}  // namespace pbx::netbox
