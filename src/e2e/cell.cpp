#include "e2e/cell.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <thread>

#include "common/files.hpp"
#include "e2e/fixtures.hpp"
#include "e2e/real_netbox.hpp"
#include "e2e/supervisor.hpp"
#include "http/tls.hpp"

namespace pbx::e2e {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

using common::read_file;
using common::write_file;

fs::path find_program(std::string_view name) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/sbin:/usr/bin:/sbin:/bin";
  for (std::string_view extra : {std::string_view{}, std::string_view{"/usr/sbin:/sbin"}}) {
    auto search = extra.empty() ? dirs : extra;
    while (!search.empty()) {
      const auto colon = search.find(':');
      const fs::path candidate = fs::path(search.substr(0, colon)) / name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
      if (colon == std::string_view::npos) break;
      search.remove_prefix(colon + 1);
    }
  }
  return fs::path("/usr/sbin") / name;
}

// Binds an ephemeral port and releases it, for programs (nginx) that cannot report the port
// they bound. The caller retries when someone else takes it meanwhile.
uint16_t pick_free_port(bool ipv6) {
  const int fd = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw CellError("socket() failed while picking a port");
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (ipv6) {
    auto* address = reinterpret_cast<sockaddr_in6*>(&storage);
    address->sin6_family = AF_INET6;
    address->sin6_addr = in6addr_loopback;
    length = sizeof(sockaddr_in6);
  } else {
    auto* address = reinterpret_cast<sockaddr_in*>(&storage);
    address->sin_family = AF_INET;
    address->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    length = sizeof(sockaddr_in);
  }
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) == 0) {
    port = ntohs(ipv6 ? reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port
                      : reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
  }
  ::close(fd);
  if (port == 0) throw CellError("could not bind an ephemeral loopback port");
  return port;
}

bool accepts_connections(bool ipv6, uint16_t port) {
  const int fd = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  int result = -1;
  if (ipv6) {
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_addr = in6addr_loopback;
    address.sin6_port = htons(port);
    result = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  } else {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    result = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  }
  ::close(fd);
  return result == 0;
}

std::string bracketed(std::string_view host) {
  return host.find(':') != std::string_view::npos ? fmt::format("[{}]", host) : std::string(host);
}

void replace_all(std::string& text, std::string_view placeholder, std::string_view value) {
  for (auto at = text.find(placeholder); at != std::string::npos;
       at = text.find(placeholder, at + value.size())) {
    text.replace(at, placeholder.size(), value);
  }
}

}  // namespace

std::string make_url(bool tls, std::string_view host, uint16_t port) {
  return fmt::format("{}://{}:{}", tls ? "https" : "http", bracketed(host), port);
}

std::string render_nginx_config(const std::string& config_template, const fs::path& prefix,
                                const std::string& listen, const fs::path& certificate,
                                const fs::path& private_key, const std::string& backend_address) {
  auto config = config_template;
  replace_all(config, "@PREFIX@", prefix.string());
  replace_all(config, "@LISTEN@", listen);
  replace_all(config, "@CERTIFICATE@", certificate.string());
  replace_all(config, "@PRIVATE_KEY@", private_key.string());
  replace_all(config, "@BACKEND_ADDRESS@", backend_address);
  return config;
}

fs::path default_build_dir() {
  if (const char* configured = std::getenv("PBX_BUILD_DIR"); configured && *configured)
    return configured;
  std::error_code error;
  const auto self = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    // <build>/apps/proxbox-e2e/proxbox-e2e or <build>/tests/e2e/<suite>
    return self.parent_path().parent_path().parent_path();
  }
  return fs::current_path();
}

Binaries Binaries::from_build_dir(const fs::path& build_dir_argument) {
  // Children start in the cell's temp dir, so relative paths would not resolve there.
  const auto build_dir = fs::absolute(build_dir_argument);
  Binaries binaries;
  binaries.proxmox_mock = build_dir / "apps" / "proxmox-mock" / "proxmox-mock";
  binaries.netbox_emulator = build_dir / "apps" / "netbox-emulator" / "netbox-emulator";
  binaries.proxbox_api = build_dir / "apps" / "proxbox-api" / "proxbox-api";
  binaries.mock_http_suite = build_dir / "tests" / "e2e" / "e2e_mock_http_suite";
  binaries.mock_backend_suite = build_dir / "tests" / "e2e" / "e2e_mock_backend_suite";
  binaries.nginx = find_program("nginx");
  binaries.nginx_template = fs::path(PBX_SOURCE_DIR) / "deploy" / "nginx" / "tls-proxy.conf.in";
  return binaries;
}

Binaries Binaries::from_prefix(const fs::path& prefix_argument, const fs::path& build_dir) {
  const auto prefix = fs::absolute(prefix_argument);
  auto binaries = from_build_dir(build_dir);
  binaries.proxmox_mock = prefix / "bin" / "proxmox-mock";
  binaries.netbox_emulator = prefix / "bin" / "netbox-emulator";
  binaries.proxbox_api = prefix / "bin" / "proxbox-api";
  if (const auto installed = prefix / "share" / "proxbox" / "nginx" / "tls-proxy.conf.in";
      fs::exists(installed)) {
    binaries.nginx_template = installed;
  }
  return binaries;
}

void Binaries::check(bool need_servers, bool need_suites) const {
  std::vector<std::pair<std::string_view, const fs::path*>> needed;
  if (need_servers) {
    needed.insert(needed.end(), {{"proxmox-mock", &proxmox_mock},
                                 {"netbox-emulator", &netbox_emulator},
                                 {"proxbox-api", &proxbox_api},
                                 {"nginx", &nginx},
                                 {"nginx template", &nginx_template}});
  }
  if (need_suites) {
    needed.insert(needed.end(), {{"e2e_mock_http_suite", &mock_http_suite},
                                 {"e2e_mock_backend_suite", &mock_backend_suite}});
  }
  std::string missing;
  for (const auto& [name, path] : needed) {
    if (!fs::exists(*path))
      missing += fmt::format("\n  {}: {} does not exist", name, path->string());
  }
  if (!missing.empty()) {
    throw CellError("missing programs (build them: cmake --build <build dir>):" + missing);
  }
}

fs::path install_release_package(const fs::path& build_dir, const fs::path& prefix) {
  const auto log = prefix.parent_path() / "cpack.log";
  common::ProcessOptions cpack;
  cpack.argv = {"cpack", "-G", "TGZ", "-B", (prefix.parent_path() / "package").string()};
  cpack.working_directory = build_dir;
  const auto packed = common::run_command(cpack, 600s);
  if (packed.exit_code != 0) {
    throw CellError(fmt::format("cpack -G TGZ failed in {} (exit {}):\n{}", build_dir.string(),
                                packed.exit_code, packed.output));
  }
  fs::path archive;
  for (const auto& entry : fs::directory_iterator(prefix.parent_path() / "package")) {
    if (entry.path().string().ends_with(".tar.gz")) archive = entry.path();
  }
  if (archive.empty()) throw CellError("cpack produced no .tar.gz:\n" + packed.output);
  fs::create_directories(prefix);
  common::ProcessOptions untar;
  untar.argv = {"tar", "-xzf", archive.string(), "-C", prefix.string(), "--strip-components=1"};
  const auto extracted = common::run_command(untar, 120s);
  if (extracted.exit_code != 0) {
    throw CellError(fmt::format("extracting {} failed:\n{}", archive.string(), extracted.output));
  }
  return prefix;
}

struct CellStack::Impl {
  CellOptions options;
  const TransportBundle& bundle;
  TempDir work_dir;
  std::string netbox_token;
  // Declared after work_dir (its logs live there) and before `processes`, whose front ends
  // (nginx, proxbox-api) must stop first.
  std::unique_ptr<RealNetBox> real_netbox;
  fs::path ca_file;
  fs::path certificate_file;
  fs::path private_key_file;
  // Declaration order is start order; destruction tears down in reverse.
  std::vector<std::unique_ptr<SupervisedProcess>> processes;
  std::string mock_url;
  std::string netbox_url;
  std::string proxbox_url;
  std::chrono::milliseconds startup_time{0};

  explicit Impl(CellOptions cell_options)
      : options(std::move(cell_options)),
        bundle(transport_bundle(options.cell.transport)),
        work_dir("proxbox-e2e-" + options.cell.id()),
        netbox_token(options.netbox_token) {
    if (options.keep_work_dir) work_dir.keep();
  }
  // Front ends first, so nothing forwards to a backend that is already gone.
  ~Impl() {
    while (!processes.empty())
      processes.pop_back();
  }

  std::string host() const { return std::string(bundle.loopback_host()); }

  void write_certificates() {
    const auto authority = http::CertificateAuthority::generate("proxbox-e2e " + options.cell.id());
    ca_file = work_dir.path() / "ca.pem";
    write_file(ca_file, authority.root().certificate_pem);
    certificate_file = work_dir.path() / "server.pem";
    private_key_file = work_dir.path() / "server.key";
    http::write_bundle(authority.issue({"127.0.0.1", "::1", "localhost"}), certificate_file,
                       private_key_file);
  }

  std::vector<std::string> listen_flags(bool tls) const {
    std::vector<std::string> flags{"--listen", fmt::format("{}:0", bracketed(host()))};
    if (tls) {
      flags.insert(flags.end(), {"--tls", "--tls-cert", certificate_file.string(), "--tls-key",
                                 private_key_file.string()});
    }
    return flags;
  }

  // Starts a program that announces itself through --ready-file; returns its first URL.
  std::string start_server(std::string_view name, std::vector<std::string> argv,
                           std::map<std::string, std::string> env = {}) {
    const auto ready_file = work_dir.path() / fmt::format("{}.ready.json", name);
    const auto log_file = work_dir.path() / fmt::format("{}.log", name);
    argv.insert(argv.end(), {"--ready-file", ready_file.string()});
    common::ProcessOptions process_options;
    process_options.argv = std::move(argv);
    process_options.env = std::move(env);
    process_options.working_directory = work_dir.path();
    process_options.stdout_file = log_file;
    auto& supervised =
        processes.emplace_back(std::make_unique<SupervisedProcess>(std::move(process_options)));
    const auto ready =
        common::wait_for_ready_file(supervised->process(), ready_file, options.startup_timeout);
    if (!ready) {
      throw CellError(fmt::format("{} did not become ready within {} ms; log {}:\n{}", name,
                                  options.startup_timeout.count(), log_file.string(),
                                  log_tail(log_file)));
    }
    try {
      const auto document = boost::json::parse(*ready);
      return std::string(document.at("endpoints").at(0).at("url").as_string());
    } catch (const std::exception& error) {
      throw CellError(
          fmt::format("{} wrote an unreadable ready file ({}): {}", name, error.what(), *ready));
    }
  }

  // nginx cannot report an ephemeral port, so pick one and retry when it was taken meanwhile.
  std::string start_nginx(std::string_view name, const std::string& backend_url) {
    const auto dir = work_dir.path() / fmt::format("nginx-{}", name);
    fs::create_directories(dir);
    const auto config_template = read_file(options.binaries.nginx_template);
    if (config_template.empty())
      throw CellError("empty nginx template " + options.binaries.nginx_template.string());
    const auto backend_address = backend_url.substr(backend_url.find("://") + 3);
    const auto log_file = work_dir.path() / fmt::format("nginx-{}.log", name);
    std::string last_log;
    for (int attempt = 0; attempt < 5; ++attempt) {
      const auto port = pick_free_port(bundle.ipv6);
      const auto listen = fmt::format("{}:{}", bracketed(host()), port);
      const auto config_file = dir / "nginx.conf";
      write_file(config_file, render_nginx_config(config_template, dir, listen, certificate_file,
                                                  private_key_file, backend_address));
      common::ProcessOptions process_options;
      process_options.argv = {options.binaries.nginx.string(),
                              "-p",
                              dir.string(),
                              "-c",
                              config_file.string(),
                              "-e",
                              "stderr"};
      process_options.stdout_file = log_file;
      auto nginx = std::make_unique<SupervisedProcess>(std::move(process_options));
      const auto deadline = std::chrono::steady_clock::now() + options.startup_timeout;
      while (std::chrono::steady_clock::now() < deadline && nginx->process().running() &&
             !accepts_connections(bundle.ipv6, port)) {
        std::this_thread::sleep_for(10ms);
      }
      if (nginx->process().running() && accepts_connections(bundle.ipv6, port)) {
        processes.push_back(std::move(nginx));
        return make_url(true, host(), port);
      }
      last_log = log_tail(log_file);
      if (last_log.find("Address already in use") == std::string::npos) break;
    }
    throw CellError(
        fmt::format("nginx in front of {} did not start; log:\n{}", backend_url, last_log));
  }

  // Exposes a server per `exposure`: plain or native TLS directly, or plain behind nginx.
  std::string start_exposed(std::string_view name, Exposure exposure, std::vector<std::string> argv,
                            std::map<std::string, std::string> env = {}) {
    auto flags = listen_flags(exposure == Exposure::native_tls);
    argv.insert(argv.end(), flags.begin(), flags.end());
    const auto direct_url = start_server(name, std::move(argv), std::move(env));
    if (exposure != Exposure::nginx_tls) return direct_url;
    return start_nginx(name, direct_url);
  }

  // gunicorn serves plain or native TLS itself; nginx goes in front as for the emulator.
  void start_real_netbox(const std::string& release) {
    RealNetBoxOptions real;
    real.release = release;
    real.work_dir = work_dir.path();
    real.listen = fmt::format("{}:0", bracketed(host()));
    if (bundle.netbox == Exposure::native_tls) {
      real.tls_certificate = certificate_file;
      real.tls_private_key = private_key_file;
    }
    real_netbox = std::make_unique<RealNetBox>(std::move(real));
    netbox_token = real_netbox->preferred_token();
    netbox_url = real_netbox->url();
    if (bundle.netbox == Exposure::nginx_tls) netbox_url = start_nginx("netbox", netbox_url);
  }

  void start() {
    const auto started = std::chrono::steady_clock::now();
    write_certificates();
    const auto service = proxmox::parse_service(options.cell.proxmox_service);
    if (options.start_mock) {
      const auto scenario_file = work_dir.path() / "scenario.json";
      write_file(scenario_file,
                 boost::json::serialize(create_minimal_cluster("boot", service).to_json()));
      auto argv = std::vector<std::string>{options.binaries.proxmox_mock.string(), "--service",
                                           options.cell.proxmox_service, "--scenario",
                                           scenario_file.string()};
      auto flags = listen_flags(false);
      argv.insert(argv.end(), flags.begin(), flags.end());
      mock_url = start_server("proxmox-mock", std::move(argv));
    }
    if (options.start_netbox) {
      if (const auto release = real_netbox_release(options.cell.netbox_version)) {
        start_real_netbox(*release);
      } else {
        netbox_url = start_exposed(
            "netbox-emulator", bundle.netbox,
            {options.binaries.netbox_emulator.string(), "--db", ":memory:", "--netbox-version",
             options.cell.netbox_version, "--token", netbox_token, "--strict-fields"});
      }
    }
    if (options.start_proxbox) {
      proxbox_url = start_exposed(
          "proxbox-api", bundle.proxbox,
          {options.binaries.proxbox_api.string(), "serve", "--ca-file", ca_file.string()},
          {{"PROXBOX_DATABASE_PATH", (work_dir.path() / "proxbox.db").string()},
           {"PROXBOX_CA_FILE", ca_file.string()}});
    }
    startup_time = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
  }
};

CellStack::CellStack(CellOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  install_teardown_on_signals();
  impl_->start();
}

CellStack::~CellStack() = default;

const Cell& CellStack::cell() const {
  return impl_->options.cell;
}
const std::string& CellStack::mock_url() const {
  return impl_->mock_url;
}
const std::string& CellStack::netbox_url() const {
  return impl_->netbox_url;
}
const std::string& CellStack::proxbox_url() const {
  return impl_->proxbox_url;
}
const std::string& CellStack::netbox_token() const {
  return impl_->netbox_token;
}
const fs::path& CellStack::ca_file() const {
  return impl_->ca_file;
}
const fs::path& CellStack::work_dir() const {
  return impl_->work_dir.path();
}
std::chrono::milliseconds CellStack::startup_time() const {
  return impl_->startup_time;
}

std::map<std::string, std::string> CellStack::environment() const {
  std::map<std::string, std::string> env{
      {"PROXMOX_SERVICE", impl_->options.cell.proxmox_service},
      {"PROXMOX_API_MODE", "mock"},
      {"PROXBOX_E2E_CA_FILE", impl_->ca_file.string()},
      {"PROXBOX_E2E_TRANSPORT", std::to_string(impl_->options.cell.transport)},
      {"PROXBOX_E2E_NETBOX_VERSION", impl_->options.cell.netbox_version},
  };
  // The suite checks /api/status/ against the version: a real NetBox reports "4.4.10".
  if (const auto release = real_netbox_release(impl_->options.cell.netbox_version))
    env["PROXBOX_E2E_NETBOX_VERSION"] = *release;
  if (!impl_->mock_url.empty()) env["PROXMOX_MOCK_PUBLISHED_URL"] = impl_->mock_url;
  if (!impl_->netbox_url.empty()) {
    env["PROXBOX_E2E_NETBOX_URL"] = impl_->netbox_url;
    env["PROXBOX_E2E_NETBOX_TOKEN"] = impl_->netbox_token;
  }
  if (!impl_->proxbox_url.empty()) env["PROXBOX_E2E_PROXBOX_URL"] = impl_->proxbox_url;
  return env;
}

}  // namespace pbx::e2e
