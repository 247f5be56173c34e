#include "proxmox/engine.hpp"

#include <fmt/format.h>
#include <malloc.h>

#include <boost/json.hpp>
#include <chrono>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include "common/json.hpp"
#include "common/text.hpp"
#include "http/router.hpp"
#include "proxmox/auth.hpp"
#include "proxmox/faults.hpp"
#include "proxmox/handlers.hpp"
#include "proxmox/journal.hpp"
#include "proxmox/openapi.hpp"
#include "proxmox/parameter_validation.hpp"
#include "proxmox/response_cache.hpp"
#include "proxmox/sample_data.hpp"
#include "proxmox/state.hpp"
#include "proxmox/storage_ledger.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using Verb = http::Verb;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kApiPrefix = "/api2/json";
constexpr size_t kLargeBody = size_t{1} << 20;

http::Response json_body(unsigned status, std::string body) {
  http::Response response;
  response.status = static_cast<http::Status>(status);
  response.headers.set(http::Field::content_type, "application/json;charset=UTF-8");
  response.body = std::move(body);
  return response;
}

std::string data_body(const json::value& data) {
  json::object wrapper;
  wrapper["data"] = data;
  return json::serialize(wrapper);
}

// Proxmox answers errors with data null and the message as the status line's reason phrase
// (clients such as proxmoxer show it). The text also goes into the body because a reason phrase
// is easily lost on the way (proxies, HTTP/2, client libraries).
http::Response api_error(unsigned status, std::string_view message) {
  json::object body{{"data", nullptr}};
  if (!message.empty()) body["message"] = message;
  http::Response response = json_body(status, json::serialize(body));
  response.reason = std::string(message);
  return response;
}

http::Response validation_error(const ValidationErrors& errors) {
  json::object body = error_body(errors);
  if (!body.contains("message")) body["message"] = errors.reason;
  http::Response response = json_body(400, json::serialize(body));
  response.reason = errors.reason;
  return response;
}

bool is_write(Verb method) {
  return method != Verb::get && method != Verb::head && method != Verb::options;
}

bool has_dot_segment(std::string_view path) {
  for (const auto segment : http::split_path(path)) {
    if (segment == ".." || segment == ".") return true;
  }
  return false;
}

bool world_readable(const Operation& operation) {
  const json::value* permissions = operation.permissions;
  if (permissions == nullptr || !permissions->is_object()) return false;
  const auto* user = permissions->as_object().if_contains("user");
  return user != nullptr && user->is_string() && user->as_string() == "world";
}

int64_t unix_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Re-parses a scenario through its JSON form so the same checks apply to files, POST bodies
// and in-process loads (unknown keys, dangling references).
Scenario checked(const Scenario& scenario) {
  return Scenario::from_json(scenario.to_json());
}

// The privileges this release knows: the properties GET /access/roles/{roleid} may return.
std::vector<std::string> schema_privileges(const ApiSchema& schema) {
  std::vector<std::string> out;
  const Operation* read_role = schema.operation(Verb::get, "/access/roles/{roleid}");
  if (read_role == nullptr || !read_role->returns->is_object()) return out;
  const auto* properties = read_role->returns->as_object().if_contains("properties");
  if (properties == nullptr || !properties->is_object()) return out;
  for (const auto& [name, spec] : properties->as_object())
    out.emplace_back(name);
  return out;
}

std::vector<ExtraPath> extra_paths() {
  const json::value any = nullptr;
  return {
      {Verb::get, "/health", "Readiness: {\"status\":\"ready\"}", any},
      {Verb::get, "/", "Service, schema and operation count", any},
      {Verb::get, "/version", "Mock and schema version", any},
      {Verb::get, "/openapi.json", "This document", any},
      {Verb::get, "/mock/state", "Export the state as a scenario", any},
      {Verb::post, "/mock/scenario", "Replace the state with a scenario", any},
      {Verb::post, "/mock/reset", "Return to the start scenario", any},
      {Verb::get, "/mock/faults", "List fault rules", any},
      {Verb::post, "/mock/faults", "Add a fault rule", any},
      {Verb::delete_, "/mock/faults", "Remove fault rules (all, or ?id=N)", any},
      {Verb::get, "/mock/requests", "Request journal (?limit=N)", any},
      {Verb::delete_, "/mock/requests", "Clear the request journal", any},
      {Verb::get, "/mock/cache", "Response cache and journal sizes against their bounds", any},
  };
}

// The guests a write names: its {vmid}, the vmid of a create, the newid of a clone and the
// target-vmid of a disk handed to another guest.
std::vector<int> named_guests(const ApiCall& call) {
  std::vector<int> vmids;
  for (const std::string_view name : {"vmid", "newid", "target-vmid"}) {
    const auto vmid = call.integer(name);
    if (vmid && *vmid > 0 && *vmid <= INT32_MAX) vmids.push_back(static_cast<int>(*vmid));
  }
  return vmids;
}

}  // namespace

ClusterScenario default_cluster(Service service) {
  ClusterScenario cluster;
  if (service == Service::pdm) {
    cluster.name = "pdm";
    cluster.mode = "standalone";
    return cluster;
  }
  if (service == Service::pbs) {
    cluster.name = "pbs";
    cluster.mode = "standalone";
    cluster.nodes = {NodeScenario{"pbs1", "online", "192.0.2.20", 4, 16LL << 30, 256LL << 30}};
    cluster.datastores = {DatastoreScenario{"store1", "/mnt/datastore/store1", {}}};
    BackupScenario vm_backup;
    vm_backup.storage = "store1";
    vm_backup.vmid = 100;
    vm_backup.format = "vma.zst";
    vm_backup.ctime = 1767225600;
    vm_backup.size = 4LL << 30;
    vm_backup.verification = "ok";
    BackupScenario ct_backup = vm_backup;
    ct_backup.vmid = 101;
    ct_backup.format = "tar.zst";
    ct_backup.size = 1LL << 30;
    cluster.backups = {vm_backup, ct_backup};
    return cluster;
  }
  cluster.name = "pve";
  cluster.mode = "standalone";
  cluster.nodes = {NodeScenario{"pve1", "online", "192.0.2.11", 8, 32LL << 30, 512LL << 30}};
  cluster.storages = {
      StorageScenario{"local", "dir", {"iso", "vztmpl", "backup"}, false, {}, 100LL << 30},
      StorageScenario{"local-lvm", "lvmthin", {"images", "rootdir"}, false, {}, 1LL << 40},
  };
  // An installer ISO and a container template, as an installed node usually has by then.
  cluster.volumes = {
      VolumeScenario{"local", "", "local:iso/debian-12.8.0-amd64-netinst.iso", "iso", "iso",
                     661651456, 1731196800, 0},
      VolumeScenario{"local", "", "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", "vztmpl",
                     "tzst", 126023680, 1727740800, 0},
  };
  GuestScenario vm;
  vm.vmid = 100;
  vm.name = "web01";
  vm.node = "pve1";
  vm.cores = 2;
  vm.memory_mb = 2048;
  vm.disk_gb = 32;
  vm.agent = true;
  vm.os_type = "l26";
  vm.tags = {"prod", "web"};
  vm.nics = {NicScenario{"net0", "", "vmbr0", {"192.0.2.100/24"}}};
  GuestScenario ct;
  ct.vmid = 101;
  ct.type = "lxc";
  ct.name = "dns01";
  ct.node = "pve1";
  ct.memory_mb = 512;
  ct.disk_gb = 8;
  ct.os_type = "debian";
  ct.nics = {NicScenario{"eth0", "", "vmbr0", {"192.0.2.101/24"}}};
  cluster.guests = {vm, ct};
  cluster.sdn_zones = {SdnZoneScenario{"lan", "simple", "", 0, {}, "pve"}};
  cluster.sdn_vnets = {SdnVnetScenario{"vnet1", "lan", 0, "lab network", false}};
  cluster.sdn_subnets = {SdnSubnetScenario{"vnet1", "10.0.1.0/24", "10.0.1.1", true}};
  return cluster;
}

struct Engine::Impl {
  EngineOptions options;
  std::shared_ptr<const ApiSchema> schema;
  BoundHandlers handlers;
  Authenticator auth;
  FaultInjector faults;
  RequestJournal journal;
  std::once_flag openapi_once;  // built on first use: it costs more than loading the schema
  std::string openapi_body;

  mutable std::shared_mutex state_mutex;
  std::unique_ptr<ClusterState> state;
  std::vector<std::string> privileges;  // the schema's privilege names (built-in roles)

  ResponseCache cache;
  std::mutex rebuild_mutex;

  explicit Impl(EngineOptions engine_options)
      : options(std::move(engine_options)),
        auth(
            options.service, [this](std::string_view userid) { return account(userid); },
            options.seed),
        faults(options.seed) {
    schema = options.schema;
    if (!schema && options.service != Service::pdm) {
      std::filesystem::path file = options.schema_file;
      if (file.empty()) {
        const auto found =
            ApiSchema::default_file(options.service, ApiSchema::default_schema_dir());
        if (!found) {
          throw std::runtime_error(fmt::format("no schema for service {} in {}",
                                               to_string(options.service),
                                               ApiSchema::default_schema_dir().string()));
        }
        file = *found;
      }
      schema = std::make_shared<const ApiSchema>(ApiSchema::load(file));
    }
    if (schema) {
      // Fails start-up when a handler names an operation this schema does not have.
      const Release release = release_of(options.service, *schema);
      handlers = bind_handlers(
          options.service == Service::pbs ? pbs_handlers(release) : pve_handlers(release), *schema);
      if (options.service == Service::pve) privileges = schema_privileges(*schema);
    }
    if (!options.cluster) options.cluster = default_cluster(options.service);
    reset_state(*options.cluster, options.access);
  }

  // The account as the state holds it now (the Authenticator asks on every check).
  std::optional<UserScenario> account(std::string_view userid) const {
    std::shared_lock lock(state_mutex);
    if (!state) return std::nullopt;
    const UserScenario* user = state->access().find_user(userid);
    return user == nullptr ? std::nullopt : std::optional<UserScenario>(*user);
  }

  AccessConfig current_access() const {
    std::shared_lock lock(state_mutex);
    return state->access().export_config();
  }

  const std::string& openapi() {
    std::call_once(openapi_once, [this] {
      const json::object document = schema ? build_openapi(*schema, options.service, extra_paths())
                                           : build_openapi(options.service, extra_paths());
      openapi_body = json::serialize(document);
    });
    return openapi_body;
  }

  void reset_state(const ClusterScenario& cluster, const AccessConfig& access) {
    Scenario scenario;
    scenario.service = options.service;
    scenario.clusters = {cluster};
    access.into(scenario);
    const Scenario valid = checked(scenario);
    auto fresh = std::make_unique<ClusterState>(valid.clusters.front(), options.service,
                                                options.task_duration);
    fresh->access() = AccessState(AccessConfig::of(valid), privileges);
    {
      std::unique_lock lock(state_mutex);
      state = std::move(fresh);
    }
    cache.clear();
  }

  Scenario export_state() const {
    Scenario scenario;
    scenario.service = options.service;
    {
      std::shared_lock lock(state_mutex);
      scenario.clusters.push_back(state->export_scenario());
      state->access().export_config().into(scenario);
    }
    return scenario;
  }

  http::Response route(http::Request& request, std::string& user) {
    const std::string_view path = request.path;
    if (path.starts_with("/mock/")) return admin(request);

    if (!faults.empty()) {
      const FaultDecision fault = faults.decide(request.method, path);
      if (fault.delay.count() > 0) std::this_thread::sleep_for(fault.delay);
      if (fault.reset) {
        // The status only reaches the journal: the server sends nothing but a reset.
        http::Response response = api_error(502, "injected connection reset");
        response.delivery = http::Delivery::reset_connection;
        return response;
      }
      if (fault.error_status) return api_error(*fault.error_status, fault.error_message);
      if (fault.truncate) {
        http::Response response = route_unfaulted(request, user);
        response.delivery = http::Delivery::truncate_body;
        response.truncate_at = response.body.size() / 2;
        return response;
      }
    }
    return route_unfaulted(request, user);
  }

  http::Response route_unfaulted(http::Request& request, std::string& user) {
    const std::string_view path = request.path;
    if (path == kApiPrefix || path.starts_with(std::string(kApiPrefix) + "/")) {
      return api(request, user);
    }
    if (request.method != Verb::get && request.method != Verb::head) {
      return api_error(405, "method not allowed");
    }
    if (path == "/health") return json_body(200, R"({"status":"ready"})");
    if (path == "/" || path.empty()) return http::Response::json(root_info());
    if (path == "/version") {
      json::object info = root_info();
      info.erase("operations");
      return http::Response::json(info);
    }
    if (path == "/openapi.json") return json_body(200, openapi());
    return api_error(404, fmt::format("no such path '{}'", path));
  }

  json::object root_info() const {
    json::object info{{"service", to_string(options.service)},
                      {"name", "proxmox-mock"},
                      {"version", PBX_VERSION},
                      {"cluster", cluster_name()},
                      {"auth", options.auth}};
    if (schema) {
      info["schema"] =
          json::object{{"file", schema->file().string()}, {"version", schema->version_label()}};
      info["schema_status"] = "loaded";
      info["operations"] = schema->operation_count();
    } else {
      info["schema"] = nullptr;
      info["schema_status"] = "pending";
      info["operations"] = 0;
    }
    return info;
  }

  std::string cluster_name() const {
    std::shared_lock lock(state_mutex);
    return state->name();
  }

  http::Response api(http::Request& request, std::string& user) {
    std::string api_path(request.path.substr(kApiPrefix.size()));
    if (api_path.empty()) api_path = "/";
    const std::string method_name(boost::beast::http::to_string(request.method));
    if (has_dot_segment(api_path)) {
      return json_body(400, R"({"data":null,"errors":{"path":"invalid path segment"}})");
    }
    if (!schema) {
      return api_error(501, fmt::format("Method '{} {}' not implemented (no {} schema yet)",
                                        method_name, api_path, to_string(options.service)));
    }
    // Segments of the raw target, so "10.0.0.0%2F24" reaches a {cidr} as one value.
    std::vector<std::string> api_segments = request.path_segments();
    const bool under_prefix =
        api_segments.size() >= 2 && api_segments[0] == "api2" && api_segments[1] == "json";
    api_segments.erase(api_segments.begin(),
                       api_segments.begin() + static_cast<std::ptrdiff_t>(under_prefix ? 2 : 0));
    request.path_params.clear();
    const ApiSchema::Lookup lookup =
        under_prefix ? schema->find(request.method, api_segments, request.path_params)
                     : ApiSchema::Lookup{};

    if (options.auth && !(lookup.operation && world_readable(*lookup.operation))) {
      const AuthResult result = auth.authenticate(request, is_write(request.method));
      if (!result.identity) return api_error(401, result.failure);
      user = result.identity->user;
      if (!result.identity->token_id.empty()) user += "!" + result.identity->token_id;
    }
    if (user.empty()) user = "root@pam";

    if (lookup.operation == nullptr) {
      const std::string message =
          fmt::format("Method '{} {}' not implemented", method_name, api_path);
      // PVE's REST handler answers 501 whenever no handler matches, unknown path or not
      // (PVE::HTTPServer's rest_handler); PBS and PDM (proxmox-rest-server) say 404 for a path
      // they do not know.
      const bool not_implemented = lookup.path_known || options.service == Service::pve;
      return api_error(not_implemented ? 501 : 404, message);
    }
    const Operation& operation = *lookup.operation;
    auto validated = validate_request(operation, request);
    if (!validated) return validation_error(validated.error());
    const json::object& params = validated->values;

    if (request.method == Verb::post && operation.path == "/access/ticket") {
      return login(params);
    }
    const HandlerSpec* handler = handlers.find(operation);
    if (handler == nullptr) {
      return json_body(200,
                       data_body(sample_returns(operation, request.path_params, options.seed)));
    }
    return run_handler(*handler, request, params, user);
  }

  http::Response run_handler(const HandlerSpec& spec, const http::Request& request,
                             const json::object& params, const std::string& user) {
    ApiCall call{request, params, user};
    ApiResult result;
    if (spec.write) {
      std::unique_lock lock(state_mutex);
      {
        // The guests a write names are the only ones it may change: their storage is
        // accounted again around it (storage_ledger.hpp).
        GuestStorageEdit edit(*state, named_guests(call));
        result = spec.write(*state, call);
      }
      check_storage_ledger(*state);
    } else {
      std::shared_lock lock(state_mutex);
      const bool cacheable = spec.cacheable && request.method == Verb::get;
      const uint64_t version = state->version();
      const int64_t second = ClusterState::now_seconds();
      const std::string key = cacheable ? ResponseCache::key_for(request.path, params) : "";
      const auto cached = [&]() -> std::optional<http::Response> {
        if (auto body = cache.find(key, version, second)) return json_body(200, std::move(*body));
        return std::nullopt;
      };
      std::unique_lock<std::mutex> single_flight;
      if (cacheable) {
        if (auto response = cached()) return std::move(*response);
        // One thread rebuilds a stale body; the others wait for it instead of each building
        // the same multi-megabyte answer at the turn of every second.
        single_flight = std::unique_lock(rebuild_mutex);
        if (auto response = cached()) return std::move(*response);
      }
      result = spec.read(*state, call);
      if (cacheable && result.status == 200) {
        std::string body = data_body(result.data);
        if (body.size() > kLargeBody) {
          // A 10,000-guest listing builds a DOM of tens of MB per worker thread; without a trim
          // glibc keeps those pages in per-thread arenas and RSS ratchets up.
          result.data = nullptr;
          malloc_trim(0);
        }
        cache.store(key, version, second, body);
        return json_body(200, std::move(body));
      }
    }
    if (result.status != 200 && !result.errors.empty()) {
      json::object body{{"data", nullptr}, {"errors", result.errors}, {"message", result.message}};
      http::Response response = json_body(result.status, json::serialize(body));
      response.reason = result.message;
      return response;
    }
    if (result.status != 200) return api_error(result.status, result.message);
    return json_body(200, data_body(result.data));
  }

  http::Response login(const json::object& params) {
    const auto text = [&](std::string_view name) -> std::string {
      return std::string(common::string_member(params, name));
    };
    std::string username = text("username");
    const std::string realm = text("realm");
    if (!realm.empty() && username.find('@') == std::string::npos) username += "@" + realm;
    std::optional<IssuedTicket> issued = auth.login(username, text("password"));
    if (!issued && !options.auth) {
      // --no-auth: any credentials open a session, so clients that insist on logging in work.
      issued = auth.issue(username.empty() ? "root@pam" : username);
    }
    if (!issued) return api_error(401, "authentication failure");
    json::object data{
        {"username", issued->username},
        {"ticket", issued->ticket},
        {"CSRFPreventionToken", issued->csrf_token},
        {"cap", json::object{
                    {"vms", json::object{{"VM.Allocate", 1}, {"VM.PowerMgmt", 1}, {"VM.Audit", 1}}},
                    {"storage", json::object{{"Datastore.Audit", 1}}},
                    {"nodes", json::object{{"Sys.Audit", 1}}}}}};
    if (options.service == Service::pve) {
      std::shared_lock lock(state_mutex);
      if (state->mode() == "cluster") data["clustername"] = state->name();
    }
    return json_body(200, data_body(data));
  }

  // ---- /mock admin API ---------------------------------------------------------------------

  http::Response admin(http::Request& request) {
    const std::string_view path = request.path;
    const Verb method = request.method;
    const auto bad_request = [](std::string_view field, std::string_view message) {
      json::object body{{"data", nullptr}, {"errors", json::object{{field, message}}}};
      return json_body(400, json::serialize(body));
    };
    if (path == "/mock/state" && method == Verb::get) {
      return http::Response::json(json::object{{"data", export_state().to_json()}});
    }
    if (path == "/mock/reset" && method == Verb::post) {
      reset_state(*options.cluster, options.access);
      journal.clear();
      return json_body(200, R"({"data":null})");
    }
    if (path == "/mock/scenario" && method == Verb::post) {
      json::error_code error;
      const json::value body = json::parse(request.body, error);
      if (error || !body.is_object()) return bad_request("body", "expected a JSON object");
      try {
        const bool full = body.as_object().contains("clusters");
        Scenario scenario;
        if (full) {
          scenario = Scenario::from_json(body);
          if (body.as_object().contains("service") && scenario.service != options.service) {
            return bad_request("service",
                               fmt::format("this endpoint serves {}", to_string(options.service)));
          }
          if (scenario.clusters.size() != 1) {
            return bad_request("clusters", "exactly one cluster per endpoint");
          }
        } else {
          json::object wrapped{{"clusters", json::array{body}}};
          scenario = Scenario::from_json(wrapped);
        }
        reset_state(scenario.clusters.front(), full && !scenario.users.empty()
                                                   ? AccessConfig::of(scenario)
                                                   : current_access());
      } catch (const std::invalid_argument& problem) {
        return bad_request("scenario", problem.what());
      }
      return json_body(200, data_body(json::object{{"cluster", cluster_name()}}));
    }
    if (path == "/mock/faults") {
      if (method == Verb::get) return json_body(200, data_body(faults.list()));
      if (method == Verb::delete_) {
        if (const auto id = request.query_value("id")) {
          if (!faults.remove(common::parse_number<int>(*id, common::kLeadingNumber).value_or(0))) {
            return api_error(404, "no such fault rule");
          }
        } else {
          faults.clear();
        }
        return json_body(200, R"({"data":null})");
      }
      if (method == Verb::post) {
        json::error_code error;
        const json::value body = json::parse(request.body, error);
        if (error) return bad_request("body", "expected a JSON object");
        try {
          const int id = faults.add(body);
          return json_body(200, data_body(json::object{{"id", id}}));
        } catch (const std::invalid_argument& problem) {
          return bad_request("rule", problem.what());
        }
      }
    }
    if (path == "/mock/cache" && method == Verb::get) {
      const ResponseCache::Stats stats = cache.stats();
      return json_body(200, data_body(json::object{
                                {"cache", json::object{{"entries", stats.entries},
                                                       {"bytes", stats.bytes},
                                                       {"max_bytes", stats.max_bytes}}},
                                {"journal", json::object{{"entries", journal.size()},
                                                         {"bytes", journal.bytes()},
                                                         {"max_bytes", journal.max_bytes()}}}}));
    }
    if (path == "/mock/requests") {
      if (method == Verb::delete_) {
        journal.clear();
        return json_body(200, R"({"data":null})");
      }
      if (method == Verb::get) {
        size_t limit = 100;
        if (const auto text = request.query_value("limit")) {
          const long long parsed = std::atoll(std::string(*text).c_str());
          if (parsed <= 0) return bad_request("limit", "must be a positive integer");
          limit = static_cast<size_t>(parsed);
        }
        return json_body(200, data_body(RequestJournal::to_json(journal.last(limit))));
      }
    }
    return api_error(404, fmt::format("no admin endpoint '{} {}'",
                                      std::string(boost::beast::http::to_string(method)), path));
  }
};

Engine::Engine(EngineOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Engine::~Engine() = default;

http::Response Engine::handle(http::Request& request) {
  const auto started = Clock::now();
  const int64_t arrived = unix_millis();
  std::string user;
  http::Response response;
  try {
    response = impl_->route(request, user);
  } catch (const std::exception& error) {
    response = api_error(500, error.what());
  } catch (...) {
    response = api_error(500, "internal error");
  }
  if (!request.path.starts_with("/mock/")) {
    const size_t question = request.target.find('?');
    impl_->journal.record(JournalEntry{
        std::string(boost::beast::http::to_string(request.method)), request.path,
        question == std::string::npos ? std::string() : request.target.substr(question + 1),
        response.code(),
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started).count(),
        arrived, user});
  }
  return response;
}

http::Handler Engine::as_handler() {
  return [this](http::Request& request) { return handle(request); };
}

Service Engine::service() const {
  return impl_->options.service;
}
std::string Engine::cluster_name() const {
  return impl_->cluster_name();
}
const ApiSchema* Engine::schema() const {
  return impl_->schema.get();
}

void Engine::load(const ClusterScenario& cluster, AccessConfig access) {
  impl_->reset_state(cluster, access.users.empty() ? impl_->current_access() : access);
}

Scenario Engine::export_state() const {
  return impl_->export_state();
}

}  // namespace pbx::proxmox
