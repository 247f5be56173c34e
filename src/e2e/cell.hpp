#pragma once
// Stands one matrix cell up on loopback: a CA and a server certificate, proxmox-mock,
// netbox-emulator and proxbox-api, each exposed per the cell's transport bundle (plain http,
// native TLS, or plain behind a generated nginx TLS proxy), all on ephemeral ports. Everything
// lives in SupervisedProcess objects and one TempDir, so destruction (or a signal) tears the
// whole cell down.

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "e2e/matrix.hpp"

namespace pbx::e2e {

class CellError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr std::string_view kDefaultNetBoxToken = "0123456789abcdef0123456789abcdef01234567";
inline constexpr std::string_view kMockTokenUser = "root@pam";
inline constexpr std::string_view kMockTokenName = "proxbox";
inline constexpr std::string_view kMockTokenSecret = "00000000-0000-0000-0000-000000000000";

struct Binaries {
  std::filesystem::path proxmox_mock;
  std::filesystem::path netbox_emulator;
  std::filesystem::path proxbox_api;
  std::filesystem::path nginx;
  std::filesystem::path mock_http_suite;
  std::filesystem::path mock_backend_suite;
  std::filesystem::path nginx_template;

  // dev mode: everything from a CMake build tree.
  static Binaries from_build_dir(const std::filesystem::path& build_dir_argument);
  // release mode: the servers from an installed prefix (prefix/bin), the suites from the build.
  static Binaries from_prefix(const std::filesystem::path& prefix_argument,
                              const std::filesystem::path& build_dir);
  // Throws CellError naming every missing program and how to build it.
  void check(bool need_servers, bool need_suites) const;
};

// The build tree this program runs from: $PBX_BUILD_DIR, else two levels above the executable
// (build/<name>/apps/proxbox-e2e/proxbox-e2e → build/<name>).
std::filesystem::path default_build_dir();

// Builds the CPack TGZ in `build_dir` and extracts it into `prefix` (created). Returns prefix.
std::filesystem::path install_release_package(const std::filesystem::path& build_dir,
                                              const std::filesystem::path& prefix);

struct CellOptions {
  Cell cell;
  Binaries binaries;
  // Which services to stand up; a service left out is expected to come from outside.
  bool start_mock = true;
  bool start_netbox = true;
  bool start_proxbox = true;
  std::string netbox_token = std::string(kDefaultNetBoxToken);
  std::chrono::milliseconds startup_timeout{30'000};
  bool keep_work_dir = false;  // for debugging: logs and configs stay in the temp dir
};

class CellStack {
 public:
  // Stands everything up. Throws CellError (with the failing program's log tail) when a part
  // does not come up; whatever already started is torn down.
  explicit CellStack(CellOptions options);
  ~CellStack();
  CellStack(const CellStack&) = delete;
  CellStack& operator=(const CellStack&) = delete;

  const Cell& cell() const;
  const std::string& mock_url() const;     // empty when not started here
  const std::string& netbox_url() const;   // as clients reach it (nginx URL when proxied)
  const std::string& proxbox_url() const;  // as clients reach it
  const std::string& netbox_token() const;
  const std::filesystem::path& ca_file() const;  // PEM root every client must trust
  const std::filesystem::path& work_dir() const;
  std::chrono::milliseconds startup_time() const;

  // The environment the suite reads (PROXMOX_SERVICE, PROXMOX_MOCK_PUBLISHED_URL,
  // PROXBOX_E2E_NETBOX_URL, PROXBOX_E2E_NETBOX_TOKEN, PROXBOX_E2E_PROXBOX_URL,
  // PROXBOX_E2E_CA_FILE, ...); only entries for services started here.
  std::map<std::string, std::string> environment() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Renders deploy/nginx/tls-proxy.conf.in. Exposed for tests.
std::string render_nginx_config(const std::string& config_template,
                                const std::filesystem::path& prefix, const std::string& listen,
                                const std::filesystem::path& certificate,
                                const std::filesystem::path& private_key,
                                const std::string& backend_address);

// "http://127.0.0.1:80", "https://[::1]:443".
std::string make_url(bool tls, std::string_view host, uint16_t port);

}  // namespace pbx::e2e
