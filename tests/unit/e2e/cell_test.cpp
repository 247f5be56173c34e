#include "e2e/cell.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "common/files.hpp"
#include "e2e/supervisor.hpp"

namespace pbx::e2e {
namespace {

using namespace std::chrono_literals;

TEST(NginxConfig, TemplateRendersWithEveryPlaceholderFilled) {
  const auto content =
      common::read_file(std::filesystem::path(PBX_SOURCE_DIR) / "deploy/nginx/tls-proxy.conf.in");
  ASSERT_FALSE(content.empty());
  const auto config =
      render_nginx_config(content, "/tmp/cell", "[::1]:8443", "/tmp/cell/server.pem",
                          "/tmp/cell/server.key", "[::1]:8000");
  EXPECT_EQ(config.find('@'), std::string::npos) << config;
  EXPECT_NE(config.find("listen [::1]:8443 ssl;"), std::string::npos);
  EXPECT_NE(config.find("server [::1]:8000;"), std::string::npos);
  EXPECT_NE(config.find("ssl_certificate /tmp/cell/server.pem;"), std::string::npos);
  EXPECT_NE(config.find("proxy_buffering off;"), std::string::npos) << "SSE must stream";
}

TEST(NginxConfig, RenderedConfigPassesNginxSyntaxCheck) {
  TempDir dir("nginx-test");
  const auto binaries = Binaries::from_build_dir("/nonexistent");
  if (!std::filesystem::exists(binaries.nginx)) GTEST_SKIP() << "nginx not installed";
  common::write_file(dir.path() / "server.pem", "");
  const auto config_file = dir.path() / "nginx.conf";
  common::write_file(
      config_file,
      render_nginx_config(common::read_file(binaries.nginx_template), dir.path(), "127.0.0.1:1",
                          dir.path() / "server.pem", dir.path() / "server.key", "127.0.0.1:2"));
  // -t parses the config; the empty certificate makes it fail only at the ssl step, after the
  // syntax has been accepted.
  common::ProcessOptions options;
  options.argv = {binaries.nginx.string(), "-t", "-p",    dir.path().string(), "-c",
                  config_file.string(),    "-e", "stderr"};
  const auto result = common::run_command(options, 30s);
  EXPECT_EQ(result.output.find("unknown directive"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find("invalid"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("server.pem"), std::string::npos)
      << "nginx should have got as far as the certificate:\n"
      << result.output;
}

TEST(MakeUrl, BracketsIpv6) {
  EXPECT_EQ(make_url(true, "::1", 443), "https://[::1]:443");
  EXPECT_EQ(make_url(false, "127.0.0.1", 80), "http://127.0.0.1:80");
}

TEST(Binaries, CheckNamesWhatIsMissing) {
  const auto binaries = Binaries::from_build_dir("/nonexistent-build");
  try {
    binaries.check(true, true);
    FAIL() << "expected CellError";
  } catch (const CellError& error) {
    const std::string message = error.what();
    for (const char* name : {"proxmox-mock", "netbox-emulator", "proxbox-api",
                             "e2e_mock_http_suite", "e2e_mock_backend_suite"})
      EXPECT_NE(message.find(name), std::string::npos) << message;
  }
  EXPECT_EQ(Binaries::from_prefix("/opt/p", "/b").proxbox_api, "/opt/p/bin/proxbox-api");
  EXPECT_TRUE(Binaries::from_build_dir("relative/build").proxmox_mock.is_absolute())
      << "children start in the cell's temp dir";
}

TEST(Supervisor, TempDirIsRemovedUnlessKept) {
  std::filesystem::path removed, kept;
  {
    TempDir dir("supervisor-test");
    removed = dir.path();
    common::write_file(dir.path() / "file", "x");
  }
  {
    TempDir dir("supervisor-test");
    kept = dir.path();
    dir.keep();
  }
  EXPECT_FALSE(std::filesystem::exists(removed));
  EXPECT_TRUE(std::filesystem::exists(kept));
  std::filesystem::remove_all(kept);
}

// A SIGTERM to the runner kills every supervised child at once (it would otherwise outlive the
// runner: destructors do not run on a signal). Runs in a death-test child so the flag stays there.
TEST(SupervisorDeathTest, SignalKillsSupervisedChildren) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        install_teardown_on_signals();
        SupervisedProcess sleeper({.argv = {"/bin/sleep", "30"}});
        ::raise(SIGTERM);
        const auto code = sleeper.process().wait_for(2s);
        std::_Exit(code && *code == 128 + SIGKILL && teardown_signal() == SIGTERM ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace pbx::e2e
