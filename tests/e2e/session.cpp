#include "session.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "e2e/cell.hpp"
#include "e2e/fixtures.hpp"

namespace pbx::e2e::suite {
namespace {

namespace json = boost::json;

std::optional<std::string> env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::string without_trailing_slash(std::string url) {
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  return url;
}

std::string random_hex(size_t length) {
  std::random_device device;
  std::string text;
  while (text.size() < length)
    text += fmt::format("{:08x}", device());
  return text.substr(0, length);
}

struct UrlParts {
  std::string scheme;
  std::string host;  // without brackets
  uint16_t port = 0;
};

UrlParts split(const std::string& url) {
  const auto parsed = boost::urls::parse_uri(url);
  if (!parsed) throw std::invalid_argument("not a URL: " + url);
  UrlParts parts;
  parts.scheme = std::string(parsed->scheme());
  parts.host = std::string(parsed->host_address());
  parts.port = parsed->has_port() ? parsed->port_number() : (parts.scheme == "https" ? 443 : 80);
  return parts;
}

json::object parse_object(const http::ClientResponse& response, std::string_view what) {
  const auto value = response.json();
  if (!value.is_object())
    throw std::runtime_error(
        fmt::format("{}: expected a JSON object, got {}", what, response.body));
  return value.as_object();
}

}  // namespace

std::string string_field(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->as_string()) : std::string();
}

int64_t id_of(const json::value* value) {
  if (value == nullptr || value->is_null()) return 0;
  if (value->is_int64()) return value->as_int64();
  if (value->is_object()) {
    if (const auto* id = value->as_object().if_contains("id"); id && id->is_int64())
      return id->as_int64();
  }
  return 0;
}

std::set<std::string> tag_slugs(const json::object& object) {
  std::set<std::string> slugs;
  if (const auto* tags = object.if_contains("tags"); tags && tags->is_array()) {
    for (const auto& tag : tags->as_array()) {
      if (tag.is_object()) slugs.insert(string_field(tag.as_object(), "slug"));
    }
  }
  return slugs;
}

const json::value* custom_field(const json::object& object, std::string_view name) {
  const auto* fields = object.if_contains("custom_fields");
  if (fields == nullptr || !fields->is_object()) return nullptr;
  return fields->as_object().if_contains(name);
}

std::string proxmox_service() {
  return std::string(proxmox::to_string(resolve_proxmox_service()));
}

std::string unique_prefix(std::string_view base) {
  static std::atomic<int> counter{0};
  return fmt::format("{}-{:x}{}", base, ::getpid() & 0xfffff, counter++);
}

// ---- NetBoxReader ------------------------------------------------------------------------

NetBoxReader::NetBoxReader(http::Client& client, std::string base_url, std::string token)
    : client_(client), base_url_(without_trailing_slash(std::move(base_url))) {
  headers_.set(http::Field::authorization,
               token.rfind("nbt_", 0) == 0 ? "Bearer " + token : "Token " + token);
  headers_.set(http::Field::accept, "application/json");
}

http::ClientResponse NetBoxReader::get(std::string_view path_and_query) {
  return client_.get(base_url_ + std::string(path_and_query), headers_);
}

std::vector<json::object> NetBoxReader::list(std::string_view path, std::string_view query) {
  std::vector<json::object> objects;
  std::string url =
      fmt::format("{}{}?limit=1000{}{}", base_url_, path, query.empty() ? "" : "&", query);
  for (int page = 0; !url.empty() && page < 1000; ++page) {
    const auto response = client_.get(url, headers_);
    if (!response.ok()) {
      ADD_FAILURE() << "GET " << url << " -> " << response.status << " " << response.body;
      break;
    }
    const auto document = parse_object(response, url);
    for (const auto& item : document.at("results").as_array())
      objects.push_back(item.as_object());
    const auto* next = document.if_contains("next");
    url = next && next->is_string() ? std::string(next->as_string()) : std::string();
  }
  return objects;
}

std::optional<json::object> NetBoxReader::find_one(std::string_view path, std::string_view query) {
  auto objects = list(path, query);
  if (objects.size() != 1) {
    ADD_FAILURE() << "expected exactly one object at " << path << "?" << query << ", found "
                  << objects.size();
    return std::nullopt;
  }
  return std::move(objects.front());
}

std::optional<int64_t> NetBoxReader::writes_so_far() {
  const auto response = get("/api/__emulator__/stats/");
  if (response.status == 404) return changes_so_far();
  if (!response.ok()) {
    ADD_FAILURE() << "emulator stats: " << response.status << " " << response.body;
    return std::nullopt;
  }
  const auto stats = parse_object(response, "emulator stats");
  if (const auto* writes = stats.if_contains("writes"); writes && writes->is_number())
    return writes->to_number<int64_t>();
  int64_t writes = 0;
  for (const auto& [key, count] : stats.at("requests").as_object()) {
    const std::string_view name = key;
    if (name.find("__emulator__") != std::string_view::npos) continue;
    for (std::string_view method : {"POST ", "PUT ", "PATCH ", "DELETE "}) {
      if (name.rfind(method, 0) == 0) writes += count.to_number<int64_t>();
    }
  }
  return writes;
}

std::optional<int64_t> NetBoxReader::changes_so_far() {
  // The change log moved from extras to core in NetBox 4.1.
  for (const char* path :
       {"/api/core/object-changes/?limit=1", "/api/extras/object-changes/?limit=1"}) {
    const auto response = get(path);
    if (response.status == 404) continue;
    if (!response.ok()) {
      ADD_FAILURE() << path << ": " << response.status << " " << response.body;
      return std::nullopt;
    }
    const auto page = parse_object(response, path);
    if (const auto* count = page.if_contains("count"); count && count->is_number())
      return count->to_number<int64_t>();
    ADD_FAILURE() << path << " has no count: " << response.body;
    return std::nullopt;
  }
  return std::nullopt;
}

// ---- Session ------------------------------------------------------------------------------

struct Session::Impl {
  std::mutex mutex;
  bool started = false;
  std::string start_error;
  std::unique_ptr<CellStack> stack;
  std::string mock_url, netbox_url, netbox_token, proxbox_url, ca_file;
  std::unique_ptr<http::Client> client;
  std::unique_ptr<NetBoxReader> netbox;
  std::optional<http::Headers> api_headers;
  unsigned registration_status = 0;
  bool endpoints_configured = false;
  bool netbox_only = false;

  void ensure_started() {
    const std::lock_guard lock(mutex);
    if (!start_error.empty()) throw std::runtime_error(start_error);
    if (started) return;
    try {
      start();
    } catch (const std::exception& error) {
      start_error = fmt::format("E2E stack did not come up: {}", error.what());
      throw std::runtime_error(start_error);
    }
    started = true;
  }

  void start() {
    mock_url = env("PROXMOX_MOCK_PUBLISHED_URL").value_or("");
    netbox_url = env("PROXBOX_E2E_NETBOX_URL").value_or("");
    netbox_token = env("PROXBOX_E2E_NETBOX_TOKEN").value_or("");
    proxbox_url = env("PROXBOX_E2E_PROXBOX_URL").value_or("");
    if (!netbox_url.empty() && netbox_token.empty())
      throw std::runtime_error("PROXBOX_E2E_NETBOX_URL is set but PROXBOX_E2E_NETBOX_TOKEN is not");
    ca_file = env("PROXBOX_E2E_CA_FILE").value_or("");
    const bool need_mock = mock_url.empty() && !netbox_only;
    const bool need_proxbox = proxbox_url.empty() && !netbox_only;
    if (need_mock || netbox_url.empty() || need_proxbox) {
      CellOptions options;
      options.cell.transport = std::stoi(env("PROXBOX_E2E_TRANSPORT").value_or("6"));
      options.cell.proxmox_service = proxmox_service();
      options.cell.netbox_version = env("PROXBOX_E2E_NETBOX_VERSION").value_or("");
      if (options.cell.netbox_version.empty())
        options.cell.netbox_version =
            netbox::load_versions(netbox::default_versions_file()).back().version;
      options.binaries = Binaries::from_build_dir(default_build_dir());
      options.start_mock = need_mock;
      options.start_netbox = netbox_url.empty();
      options.start_proxbox = need_proxbox;
      stack = std::make_unique<CellStack>(std::move(options));
      if (mock_url.empty()) mock_url = stack->mock_url();
      if (netbox_url.empty()) {
        netbox_url = stack->netbox_url();
        netbox_token = stack->netbox_token();
      }
      if (proxbox_url.empty()) proxbox_url = stack->proxbox_url();
      if (ca_file.empty()) ca_file = stack->ca_file().string();
    }
    mock_url = without_trailing_slash(mock_url);
    netbox_url = without_trailing_slash(netbox_url);
    proxbox_url = without_trailing_slash(proxbox_url);
    http::ClientOptions client_options;
    client_options.ca_file = ca_file;
    client_options.request_timeout = std::chrono::milliseconds{180'000};
    client = std::make_unique<http::Client>(client_options);
    netbox = std::make_unique<NetBoxReader>(*client, netbox_url, netbox_token);
    fmt::print("E2E session: service={} mock={} netbox={} proxbox-api={}{}\n", proxmox_service(),
               mock_url, netbox_url, proxbox_url,
               stack ? fmt::format(" (stood up here in {} ms)", stack->startup_time().count())
                     : std::string());
    std::fflush(stdout);
  }
};

Session::Session() : impl_(std::make_unique<Impl>()) {}
Session::~Session() = default;

namespace {
std::unique_ptr<Session>& session_slot() {
  static std::unique_ptr<Session> slot;
  return slot;
}
}  // namespace

Session& Session::get() {
  auto& slot = session_slot();
  if (!slot) slot.reset(new Session());  // private constructor: make_unique cannot reach it
  return *slot;
}

void Session::shutdown() {
  session_slot().reset();
}

std::string missing_proxbox_plugin() {
  auto& session = Session::get();
  const auto answer = session.netbox().get("/api/plugins/proxbox/backups/?limit=1");
  if (answer.status != 404) return {};
  const auto status = session.netbox().get("/api/status/");
  std::string version = "?";
  if (status.ok()) {
    const auto document = status.json();
    if (const auto* found = document.as_object().if_contains("netbox-version");
        found && found->is_string())
      version = std::string(found->as_string());
  }
  return fmt::format(
      "requires the netbox-proxbox plugin's API; /api/plugins/proxbox/backups/ answers 404 on "
      "NetBox {} (a real NetBox without the plugin)",
      version);
}

void Session::need_only_netbox() {
  const std::lock_guard lock(impl_->mutex);
  impl_->netbox_only = true;
}

const std::string& Session::mock_url() {
  impl_->ensure_started();
  return impl_->mock_url;
}
const std::string& Session::netbox_url() {
  impl_->ensure_started();
  return impl_->netbox_url;
}
const std::string& Session::netbox_token() {
  impl_->ensure_started();
  return impl_->netbox_token;
}
const std::string& Session::proxbox_url() {
  impl_->ensure_started();
  return impl_->proxbox_url;
}
const std::string& Session::ca_file() {
  impl_->ensure_started();
  return impl_->ca_file;
}
http::Client& Session::client() {
  impl_->ensure_started();
  return *impl_->client;
}
NetBoxReader& Session::netbox() {
  impl_->ensure_started();
  return *impl_->netbox;
}

const http::Headers& Session::api_headers() {
  impl_->ensure_started();
  if (impl_->api_headers) return *impl_->api_headers;
  auto key = env("PROXBOX_E2E_PROXBOX_API_KEY");
  if (!key) {
    key = "e2e-" + random_hex(40);
    const auto response =
        impl_->client->send_json(http::Verb::post, impl_->proxbox_url + "/auth/register-key",
                                 json::object{{"api_key", *key}, {"label", "proxbox-e2e"}});
    impl_->registration_status = response.status;
    if (!response.ok()) {
      throw std::runtime_error(
          fmt::format("POST /auth/register-key -> {} {} (a key is already registered? set "
                      "PROXBOX_E2E_PROXBOX_API_KEY)",
                      response.status, response.body));
    }
  }
  http::Headers headers;
  headers.set("X-Proxbox-API-Key", *key);
  impl_->api_headers = std::move(headers);
  return *impl_->api_headers;
}

unsigned Session::registration_status() {
  api_headers();
  return impl_->registration_status;
}

void Session::configure_endpoints() {
  const auto& headers = api_headers();
  if (impl_->endpoints_configured) return;
  auto& client = *impl_->client;
  const auto& base = impl_->proxbox_url;

  const auto netbox = split(impl_->netbox_url);
  const json::object netbox_body{
      {"name", "e2e-netbox"},
      {"address", netbox.host},
      {"port", netbox.port},
      {"scheme", netbox.scheme},
      {"token", impl_->netbox_token},
      {"token_version", impl_->netbox_token.rfind("nbt_", 0) == 0 ? "v2" : "v1"},
      {"verify_ssl", true}};
  const auto existing = client.get(base + "/netbox/endpoint", headers);
  if (!existing.ok()) throw std::runtime_error("GET /netbox/endpoint -> " + existing.body);
  const auto existing_json = existing.json();
  const auto& list = existing_json.as_array();
  const auto saved =
      list.empty()
          ? client.send_json(http::Verb::post, base + "/netbox/endpoint", netbox_body, headers)
          : client.send_json(http::Verb::put,
                             fmt::format("{}/netbox/endpoint/{}", base,
                                         list.front().as_object().at("id").as_int64()),
                             netbox_body, headers);
  if (!saved.ok())
    throw std::runtime_error(
        fmt::format("saving the NetBox endpoint -> {} {}", saved.status, saved.body));

  const auto mock = split(impl_->mock_url);
  const json::object proxmox_body{{"name", "e2e-mock"},
                                  {"address", mock.host},
                                  {"port", mock.port},
                                  {"scheme", mock.scheme},
                                  {"username", kMockTokenUser},
                                  {"token_name", kMockTokenName},
                                  {"token_value", kMockTokenSecret},
                                  {"verify_ssl", mock.scheme == "https"}};
  const auto endpoints = client.get(base + "/proxmox/endpoints", headers);
  if (!endpoints.ok()) throw std::runtime_error("GET /proxmox/endpoints -> " + endpoints.body);
  int64_t existing_id = 0;
  const auto endpoints_json = endpoints.json();
  for (const auto& endpoint : endpoints_json.as_array()) {
    if (string_field(endpoint.as_object(), "name") == "e2e-mock")
      existing_id = endpoint.as_object().at("id").as_int64();
  }
  const auto added =
      existing_id == 0
          ? client.send_json(http::Verb::post, base + "/proxmox/endpoints", proxmox_body, headers)
          : client.send_json(http::Verb::put,
                             fmt::format("{}/proxmox/endpoints/{}", base, existing_id),
                             proxmox_body, headers);
  if (!added.ok())
    throw std::runtime_error(
        fmt::format("saving the Proxmox endpoint -> {} {}", added.status, added.body));
  impl_->endpoints_configured = true;
}

void Session::load_fixture(const proxmox::Scenario& scenario, size_t index) {
  load_into_mock(client(), mock_url(), scenario, index);
}

json::object Session::run_sync(std::string_view route) {
  configure_endpoints();
  const auto url = proxbox_url() + std::string(route);
  const auto response = client().get(url, api_headers());
  if (response.status != 200) {
    ADD_FAILURE() << "GET " << route << " -> " << response.status << " " << response.body;
    return {};
  }
  auto summary = parse_object(response, url);
  if (const auto* errors = summary.if_contains("errors");
      errors && errors->is_number() && errors->to_number<int64_t>() != 0) {
    ADD_FAILURE() << route << " reported errors: " << response.body;
  }
  return summary;
}

// ---- assertions on NetBox -----------------------------------------------------------------

namespace {

int64_t expect_cluster(NetBoxReader& netbox, const proxmox::ClusterScenario& cluster) {
  const auto found = netbox.find_one("/api/virtualization/clusters/",
                                     "name=" + http::percent_encode(cluster.name));
  if (!found) return 0;
  EXPECT_TRUE(tag_slugs(*found).contains("proxbox")) << "cluster " << cluster.name;
  return found->at("id").as_int64();
}

}  // namespace

void expect_devices_synced(NetBoxReader& netbox, const proxmox::Scenario& scenario) {
  for (const auto& cluster : scenario.clusters) {
    const auto cluster_id = expect_cluster(netbox, cluster);
    ASSERT_NE(cluster_id, 0) << "cluster " << cluster.name << " not in NetBox";
    const auto devices =
        netbox.list("/api/dcim/devices/", fmt::format("cluster_id={}", cluster_id));
    EXPECT_EQ(devices.size(), cluster.nodes.size()) << "devices of cluster " << cluster.name;
    std::map<std::string, json::object> by_name;
    for (const auto& device : devices)
      by_name[string_field(device, "name")] = device;
    const auto site =
        netbox.find_one("/api/dcim/sites/",
                        "name=" + http::percent_encode("Proxmox Default Site - " + cluster.name));
    const auto role =
        netbox.find_one("/api/dcim/device-roles/", "name=" + http::percent_encode("Proxmox Node"));
    const auto type = netbox.find_one("/api/dcim/device-types/",
                                      "model=" + http::percent_encode("Proxmox Generic Device"));
    for (const auto& node : cluster.nodes) {
      const auto device = by_name.find(node.name);
      if (device == by_name.end()) {
        ADD_FAILURE() << "no NetBox device for node " << node.name;
        continue;
      }
      const auto& object = device->second;
      EXPECT_EQ(id_of(object.if_contains("cluster")), cluster_id) << node.name;
      if (site) {
        EXPECT_EQ(id_of(object.if_contains("site")), site->at("id").as_int64()) << node.name;
      }
      if (role) {
        EXPECT_EQ(id_of(object.if_contains("role")), role->at("id").as_int64()) << node.name;
      }
      if (type) {
        EXPECT_EQ(id_of(object.if_contains("device_type")), type->at("id").as_int64()) << node.name;
      }
      EXPECT_EQ(string_field(object.at("status").as_object(), "value"),
                node.status == "online" ? "active" : "offline")
          << node.name;
      EXPECT_TRUE(tag_slugs(object).contains("proxbox")) << node.name;
    }
  }
}

void expect_vms_synced(NetBoxReader& netbox, const proxmox::Scenario& scenario) {
  for (const auto& cluster : scenario.clusters) {
    const auto cluster_id = expect_cluster(netbox, cluster);
    ASSERT_NE(cluster_id, 0) << "cluster " << cluster.name << " not in NetBox";
    const auto vms = netbox.list("/api/virtualization/virtual-machines/",
                                 fmt::format("cluster_id={}", cluster_id));
    EXPECT_EQ(vms.size(), cluster.guests.size()) << "virtual machines of cluster " << cluster.name;
    std::map<std::pair<int64_t, std::string>, json::object> by_identity;
    for (const auto& vm : vms) {
      const auto* vmid = custom_field(vm, "proxmox_vm_id");
      const auto* type = custom_field(vm, "proxmox_vm_type");
      if (vmid && vmid->is_int64() && type && type->is_string())
        by_identity[{vmid->as_int64(), std::string(type->as_string())}] = vm;
    }
    std::map<std::string, int64_t> device_ids;
    for (const auto& device :
         netbox.list("/api/dcim/devices/", fmt::format("cluster_id={}", cluster_id))) {
      device_ids[string_field(device, "name")] = device.at("id").as_int64();
    }
    for (const auto& guest : cluster.guests) {
      const auto found = by_identity.find({guest.vmid, guest.type});
      if (found == by_identity.end()) {
        ADD_FAILURE() << "no NetBox VM with proxmox_vm_id=" << guest.vmid
                      << " proxmox_vm_type=" << guest.type << " in cluster " << cluster.name;
        continue;
      }
      const auto& vm = found->second;
      EXPECT_EQ(string_field(vm, "name"), guest.name);
      EXPECT_EQ(id_of(vm.if_contains("cluster")), cluster_id) << guest.name;
      EXPECT_EQ(id_of(vm.if_contains("device")), device_ids[guest.node])
          << guest.name << " should link to the device of node " << guest.node;
      EXPECT_EQ(string_field(vm.at("status").as_object(), "value"),
                guest.status == "running" ? "active" : "offline")
          << guest.name;
      EXPECT_EQ(vm.at("vcpus").to_number<double>(), guest.cores) << guest.name;
      EXPECT_EQ(vm.at("memory").to_number<int64_t>(), guest.memory_mb) << guest.name;
      const auto* role = vm.if_contains("role");
      ASSERT_TRUE(role && role->is_object()) << guest.name << " has no role";
      EXPECT_EQ(string_field(role->as_object(), "name"),
                guest.type == "lxc" ? "Container (LXC)" : "Virtual Machine (QEMU)");
      const auto* node = custom_field(vm, "proxmox_node");
      EXPECT_TRUE(node && node->is_string() && node->as_string() == guest.node) << guest.name;
      const auto* cluster_field = custom_field(vm, "proxmox_cluster");
      EXPECT_TRUE(cluster_field && cluster_field->is_string() &&
                  cluster_field->as_string() == cluster.name)
          << guest.name;
      const auto* onboot = custom_field(vm, "proxmox_start_at_boot");
      EXPECT_TRUE(onboot && onboot->is_bool() && onboot->as_bool() == guest.onboot) << guest.name;
      EXPECT_TRUE(tag_slugs(vm).contains("proxbox")) << guest.name;
    }
  }
}

void expect_backups_synced(NetBoxReader& netbox, const proxmox::Scenario& scenario) {
  for (const auto& cluster : scenario.clusters) {
    const auto cluster_id = expect_cluster(netbox, cluster);
    ASSERT_NE(cluster_id, 0) << "cluster " << cluster.name << " not in NetBox";
    std::map<int64_t, int64_t> vm_by_vmid;  // proxmox vmid → NetBox VM id
    for (const auto& vm : netbox.list("/api/virtualization/virtual-machines/",
                                      fmt::format("cluster_id={}", cluster_id))) {
      if (const auto* vmid = custom_field(vm, "proxmox_vm_id"); vmid && vmid->is_int64())
        vm_by_vmid[vmid->as_int64()] = vm.at("id").as_int64();
    }
    for (const auto& guest : cluster.guests) {
      const auto vm_id = vm_by_vmid[guest.vmid];
      ASSERT_NE(vm_id, 0) << "VM " << guest.vmid << " not in NetBox";
      const auto backups =
          netbox.list("/api/plugins/proxbox/backups/", fmt::format("virtual_machine_id={}", vm_id));
      size_t expected = 0;
      for (const auto& backup : cluster.backups)
        expected += backup.vmid == guest.vmid;
      EXPECT_EQ(backups.size(), expected) << "backups of " << guest.name;
      for (const auto& backup : backups) {
        EXPECT_EQ(id_of(backup.if_contains("virtual_machine")), vm_id);
        EXPECT_EQ(string_field(backup, "storage"), "backup");
        EXPECT_NE(string_field(backup, "volume_id").find(std::to_string(guest.vmid)),
                  std::string::npos)
            << "volume id names the guest: " << string_field(backup, "volume_id");
        EXPECT_TRUE(tag_slugs(backup).contains("proxbox")) << string_field(backup, "volume_id");
      }
    }
  }
}

void expect_custom_fields_present(NetBoxReader& netbox) {
  for (const char* name : {"proxmox_vm_id", "proxmox_vm_type", "proxmox_node", "proxmox_cluster",
                           "proxmox_status", "proxmox_start_at_boot", "proxmox_qemu_agent",
                           "proxmox_unprivileged_container", "proxmox_last_updated"}) {
    const auto fields = netbox.list("/api/extras/custom-fields/", std::string("name=") + name);
    EXPECT_EQ(fields.size(), 1u) << "custom field " << name;
  }
  EXPECT_EQ(netbox.list("/api/extras/tags/", "slug=proxbox").size(), 1u) << "tag proxbox";
}

}  // namespace pbx::e2e::suite
