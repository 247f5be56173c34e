// scripts/netbox-real through its library side: what a machine lacks is named (and makes a cell
// skip), and a real NetBox serves on an ephemeral port and leaves neither process nor database.
// The serving tests need PostgreSQL, Redis and a Python for NetBox 4.4; without them they skip
// with the script's reason. The first run on a machine installs NetBox and migrates its
// template (minutes); later runs copy the template (seconds).
#include "e2e/real_netbox.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <cerrno>
#include <optional>
#include <thread>

#include "common/files.hpp"
#include "common/process.hpp"
#include "e2e/cell.hpp"
#include "e2e/supervisor.hpp"
#include "http/client.hpp"
#include "http/tls.hpp"

namespace pbx::e2e {
namespace {

using namespace std::chrono_literals;

// Sets an environment variable for the scope and restores the previous value.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) previous_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (previous_)
      ::setenv(name_, previous_->c_str(), 1);
    else
      ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> previous_;
};

bool database_exists(const std::string& name) {
  common::ProcessOptions options;
  const char* host = std::getenv("PGHOST");
  const char* user = std::getenv("PGUSER");
  options.argv = {"psql",
                  "-X",
                  "-At",
                  "-h",
                  host ? host : "127.0.0.1",
                  "-U",
                  user ? user : "postgres",
                  "-d",
                  "postgres",
                  "-c",
                  "SELECT count(*) FROM pg_database WHERE datname = '" + name + "'"};
  const auto result = common::run_command(options, 30s);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  return result.output.starts_with("1");
}

http::Headers token_header(const std::string& token) {
  http::Headers headers;
  headers.set("Authorization", "Token " + token);
  return headers;
}

// Orphaned workers of a killed group are reaped by init a moment later, so allow for that.
bool group_alive(int pid) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (::kill(-pid, 0) != 0 && errno == ESRCH) return false;
    std::this_thread::sleep_for(100ms);
  }
  return true;
}

// The check for `release` says it is unavailable with a reason that starts with `expected`.
void expect_unavailable(std::string_view release, std::string_view expected) {
  const auto availability = check_real_netbox(release);
  EXPECT_FALSE(availability.available) << release;
  EXPECT_TRUE(availability.reason.starts_with(expected)) << availability.reason;
}

#define PBX_SKIP_WITHOUT_REAL_NETBOX_4_4()                             \
  do {                                                                 \
    if (const auto ready = check_real_netbox("4.4"); !ready.available) \
      GTEST_SKIP() << ready.reason;                                    \
  } while (false)

TEST(RealNetBoxCheck, MissingPostgresIsNamed) {
  // Nothing listens on port 1 of the loopback.
  const ScopedEnv port("PGPORT", "1");
  expect_unavailable("4.4", "requires PostgreSQL at 127.0.0.1:1");
}

TEST(RealNetBoxCheck, MissingRedisIsNamed) {
  PBX_SKIP_WITHOUT_REAL_NETBOX_4_4();
  const ScopedEnv redis("NETBOX_REAL_REDIS", "127.0.0.1:1");
  expect_unavailable("4.4", "requires Redis at 127.0.0.1:1");
}

TEST(RealNetBoxCheck, MissingInterpreterIsNamed) {
  PBX_SKIP_WITHOUT_REAL_NETBOX_4_4();
  const ScopedEnv python("NETBOX_REAL_PYTHON", "/bin/false");
  expect_unavailable("4.6", "requires Python >= 3.12 for NetBox 4.6");
}

TEST(RealNetBoxCheck, ReleaseWithoutATreeIsNamed) {
  expect_unavailable("4.5", "requires the NetBox 4.5 release tree");
}

TEST(RealNetBoxCheck, ScriptFailureIsAnError) {
  EXPECT_THROW(check_real_netbox("not-a-version"), CellError);
}

// IPv6 and native TLS (transport 7's NetBox side); plain IPv4 is what the E2E cell uses.
TEST(RealNetBoxServer, ServesTlsOnIpv6AndLeavesNothingBehind) {
  PBX_SKIP_WITHOUT_REAL_NETBOX_4_4();
  TempDir dir("real-netbox-test");
  const auto authority = http::CertificateAuthority::generate("real-netbox-test");
  http::write_bundle(authority.issue({"::1", "localhost"}), dir.path() / "server.pem",
                     dir.path() / "server.key");
  RealNetBoxOptions options;
  options.release = "4.4";
  options.work_dir = dir.path();
  options.listen = "[::1]:0";
  options.tls_certificate = dir.path() / "server.pem";
  options.tls_private_key = dir.path() / "server.key";
  std::string database;
  int pid = -1;
  {
    RealNetBox netbox(options);
    database = netbox.database();
    pid = netbox.pid();
    EXPECT_TRUE(netbox.url().starts_with("https://[::1]:")) << netbox.url();
    EXPECT_NE(netbox.url().substr(netbox.url().rfind(':') + 1), "0")
        << "the URL must carry the bound port: " << netbox.url();
    EXPECT_EQ(netbox.token().size(), 40u);
    EXPECT_TRUE(netbox.token_v2().empty()) << "v2 tokens exist from NetBox 4.5";
    EXPECT_TRUE(netbox.netbox_version().starts_with("4.4.")) << netbox.netbox_version();
    EXPECT_TRUE(database_exists(database)) << database;

    http::ClientOptions client_options;
    client_options.ca_pem = authority.root().certificate_pem;
    client_options.request_timeout = 60s;
    http::Client client(client_options);
    const auto status = client.get(netbox.url() + "/api/status/", token_header(netbox.token()));
    ASSERT_EQ(status.status, 200u) << status.body;
    EXPECT_EQ(status.json().as_object().at("netbox-version").as_string(), netbox.netbox_version());
    const auto refused =
        client.get(netbox.url() + "/api/dcim/sites/", token_header(std::string(40, '0')));
    EXPECT_EQ(refused.status, 403u) << refused.body;
  }
  EXPECT_FALSE(group_alive(pid)) << "gunicorn or the script outlived RealNetBox";
  EXPECT_FALSE(database_exists(database)) << database << " was not dropped";
}

TEST(RealNetBoxServer, EachInstanceGetsItsOwnDatabase) {
  PBX_SKIP_WITHOUT_REAL_NETBOX_4_4();
  TempDir dir("real-netbox-test");
  RealNetBoxOptions options;
  options.release = "4.4";
  options.work_dir = dir.path() / "a";
  std::filesystem::create_directories(options.work_dir);
  RealNetBox first(options);
  options.work_dir = dir.path() / "b";
  std::filesystem::create_directories(options.work_dir);
  RealNetBox second(options);
  EXPECT_NE(first.database(), second.database());
  EXPECT_NE(first.url(), second.url());

  // A site written to one is not in the other: both start from the same template.
  http::Client client;
  const auto created =
      client.send_json(http::Verb::post, first.url() + "/api/dcim/sites/",
                       boost::json::object{{"name", "only-in-first"}, {"slug", "only-in-first"}},
                       token_header(first.token()));
  ASSERT_EQ(created.status, 201u) << created.body;
  const auto listed = client.get(second.url() + "/api/dcim/sites/?slug=only-in-first",
                                 token_header(second.token()));
  ASSERT_EQ(listed.status, 200u) << listed.body;
  EXPECT_EQ(listed.json().as_object().at("count").as_int64(), 0);
}

}  // namespace
}  // namespace pbx::e2e
