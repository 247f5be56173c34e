#pragma once
// A real NetBox for the E2E matrix: the library side of scripts/netbox-real. The script installs
// a vendored NetBox release into a cached virtual environment, keeps a migrated template
// database, and serves a fresh copy of it with gunicorn; this class runs the script in its own
// supervised process group (so a signal or a destructor stops gunicorn and drops the copy) and
// reads the ready file it writes.

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "e2e/matrix.hpp"

namespace pbx::e2e {

class SupervisedProcess;

// $PBX_NETBOX_REAL, else <source tree>/scripts/netbox-real.
std::filesystem::path netbox_real_script();

// What `netbox-real RELEASE check` says about this machine.
struct RealNetBoxAvailability {
  bool available = false;
  std::string reason;  // when unavailable: "requires PostgreSQL at 127.0.0.1:5432 (...)"
};
// Throws CellError when the script fails for another reason than a missing requirement.
RealNetBoxAvailability check_real_netbox(std::string_view release);

struct RealNetBoxOptions {
  std::string release;                    // "4.4"
  std::filesystem::path work_dir;         // the script's log and ready file go here
  std::string listen = "127.0.0.1:0";     // "[::1]:0" for IPv6
  std::filesystem::path tls_certificate;  // both set: gunicorn serves native TLS
  std::filesystem::path tls_private_key;
  // The first install creates the virtual environment and migrates the template (minutes);
  // later ones find both in the cache.
  std::chrono::milliseconds install_timeout{std::chrono::minutes{25}};
  std::chrono::milliseconds start_timeout{std::chrono::minutes{3}};
};

class RealNetBox {
 public:
  // Installs (or finds cached) and serves. Throws CellError naming the step that failed, with
  // the tail of the script's log.
  explicit RealNetBox(RealNetBoxOptions options);
  // Stops gunicorn; the script drops the instance's database on its way out.
  ~RealNetBox();
  RealNetBox(const RealNetBox&) = delete;
  RealNetBox& operator=(const RealNetBox&) = delete;

  const std::string& url() const { return url_; }
  const std::string& token() const { return token_; }  // v1, 40 hex
  const std::string& token_v2() const {
    return token_v2_;
  }  // "nbt_<key>.<secret>" from 4.5, else ""
  const std::string& netbox_version() const { return netbox_version_; }  // "4.4.10"
  const std::string& database() const { return database_; }              // this instance's copy
  int pid() const;  // the script's process (and group) id
  // The token a client should use: v2 where the release has it.
  const std::string& preferred_token() const { return token_v2_.empty() ? token_ : token_v2_; }

 private:
  void install();
  void serve();

  RealNetBoxOptions options_;
  std::unique_ptr<SupervisedProcess> server_;
  std::string url_;
  std::string token_;
  std::string token_v2_;
  std::string netbox_version_;
  std::string database_;
};

}  // namespace pbx::e2e
