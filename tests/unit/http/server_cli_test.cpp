#include "http/server_cli.hpp"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

namespace pbx::http {
namespace {

ServerCli parse(std::vector<std::string> args) {
  CLI::App app{"test"};
  ServerCli cli;
  add_server_flags(app, cli, "127.0.0.1:8006");
  std::reverse(args.begin(), args.end());
  app.parse(args);
  return cli;
}

TEST(ServerCli, DefaultsToTheGivenListenAddress) {
  const auto options = to_server_options(parse({}), "mock");
  ASSERT_EQ(options.listen.size(), 1U);
  EXPECT_EQ(options.listen[0].to_string(), "127.0.0.1:8006");
  EXPECT_FALSE(options.listen[0].tls);
  EXPECT_EQ(options.name, "mock");
  EXPECT_TRUE(options.access_log);
}

TEST(ServerCli, RepeatedListenTlsAndThreads) {
  const auto cli = parse({"--listen", "127.0.0.1:0", "--listen", "[::1]:0", "--tls", "--threads",
                          "3", "--no-access-log", "--log-level", "debug"});
  const auto options = to_server_options(cli, "x");
  ASSERT_EQ(options.listen.size(), 2U);
  EXPECT_EQ(options.listen[1].host, "::1");
  EXPECT_TRUE(options.listen[0].tls && options.listen[1].tls);
  EXPECT_EQ(options.io_threads, 3U);
  EXPECT_FALSE(options.access_log);
  EXPECT_EQ(cli.log_level, "debug");
}

TEST(ServerCli, RejectsBadInputWithTheFlagName) {
  EXPECT_THROW(parse({"--log-level", "loud"}), CLI::ValidationError);
  try {
    to_server_options(parse({"--listen", "nonsense"}), "x");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("--listen"), std::string::npos) << error.what();
  }
  EXPECT_THROW(to_server_options(parse({"--tls", "--tls-cert", "/nonexistent.pem"}), "x"),
               std::invalid_argument);  // key missing
  EXPECT_THROW(to_server_options(parse({"--tls-cert", "/a.pem", "--tls-key", "/b.pem"}), "x"),
               std::invalid_argument);  // no TLS listener
}

}  // namespace
}  // namespace pbx::http
