// The netbox-emulator program over real sockets: flags, versions, tokens, persistence.

#include <gtest/gtest.h>

#include <fstream>

#include "http/client.hpp"
#include "netbox/emulator.hpp"
#include "program_support.hpp"

namespace pbx::netbox::testing {
namespace {

namespace json = boost::json;

const std::string kV2Token = "nbt_abcdefghijkl.s3cr3t";

http::Headers auth(const std::string& value) {
  http::Headers headers;
  headers.set(http::Field::authorization, value);
  return headers;
}

TEST(NetboxProgram, ServesTheSelectedVersionWithV1AndV2Tokens) {
  ScratchDir scratch;
  auto emulator = start_emulator(
      scratch, {"--netbox-version", "4.5", "--token", kDefaultToken, "--token", kV2Token});
  ASSERT_FALSE(emulator.url.empty()) << "did not start; see " << emulator.log;
  http::Client client;
  const auto status = client.get(emulator.url + "/api/status/");
  EXPECT_EQ(status.status, 200u);
  EXPECT_EQ(status.header("API-Version"), "4.5");
  EXPECT_EQ(status.json().at("netbox-version"), "4.5.3");
  EXPECT_EQ(client.get(emulator.url + "/api/dcim/sites/", auth("Bearer " + kV2Token)).status, 200u);
  EXPECT_EQ(
      client.get(emulator.url + "/api/dcim/sites/", auth(std::string("Token ") + kDefaultToken))
          .status,
      200u);
  EXPECT_EQ(client.get(emulator.url + "/api/dcim/sites/", auth("Token 0000")).status, 403u);
}

TEST(NetboxProgram, DefaultsToNewestVersionAndDefaultToken) {
  ScratchDir scratch;
  auto emulator = start_emulator(scratch, {});
  ASSERT_FALSE(emulator.url.empty()) << "did not start; see " << emulator.log;
  http::Client client;
  const auto sites =
      client.get(emulator.url + "/api/dcim/sites/", auth(std::string("Token ") + kDefaultToken));
  EXPECT_EQ(sites.status, 200u);
  EXPECT_EQ(sites.header("API-Version"), "4.6");
}

TEST(NetboxProgram, ListensOnIpv6AndNextLinksUseTheHostHeader) {
  ScratchDir scratch;
  auto emulator = start_emulator(scratch, {"--listen", "[::1]:0"});
  ASSERT_FALSE(emulator.url.empty()) << "did not start; see " << emulator.log;
  http::Client client;
  const auto headers = auth(std::string("Token ") + kDefaultToken);
  json::array tenants;
  for (int i = 0; i < 3; ++i) {
    tenants.push_back({{"name", "t" + std::to_string(i)}, {"slug", "t" + std::to_string(i)}});
  }
  ASSERT_EQ(
      client.send_json(http::Verb::post, emulator.url + "/api/tenancy/tenants/", tenants, headers)
          .status,
      201u);
  const auto page = client.get(emulator.url + "/api/tenancy/tenants/?limit=1", headers).json();
  const std::string next(page.at("next").as_string());
  EXPECT_TRUE(next.starts_with(emulator.url)) << next;
  EXPECT_EQ(client.get(next, headers).json().at("results").at(0).at("name"), "t1");
}

TEST(NetboxProgram, RestartWithTheSameDatabaseKeepsObjects) {
  ScratchDir scratch;
  const std::string db = (scratch.path() / "netbox.sqlite").string();
  const auto headers = auth(std::string("Token ") + kDefaultToken);
  http::Client client;
  {
    auto emulator = start_emulator(scratch, {"--db", db}, "first");
    ASSERT_FALSE(emulator.url.empty()) << "did not start; see " << emulator.log;
    ASSERT_EQ(client
                  .send_json(http::Verb::post, emulator.url + "/api/dcim/sites/",
                             json::value{{"name", "kept"}, {"slug", "kept"}}, headers)
                  .status,
              201u);
    EXPECT_EQ(emulator.process->terminate(), 0);
  }
  auto emulator = start_emulator(scratch, {"--db", db}, "second");
  ASSERT_FALSE(emulator.url.empty()) << "did not restart; see " << emulator.log;
  const auto sites = client.get(emulator.url + "/api/dcim/sites/", headers).json();
  EXPECT_EQ(sites.at("count"), 1);
  EXPECT_EQ(sites.at("results").at(0).at("name"), "kept");
}

TEST(NetboxProgram, UnknownFieldsAreIgnoredUnlessStrict) {
  ScratchDir scratch;
  const auto headers = auth(std::string("Token ") + kDefaultToken);
  const json::value site{{"name", "s"}, {"slug", "s"}, {"bogus", 1}};
  http::Client client;
  auto strict = start_emulator(scratch, {"--strict-fields"}, "strict");
  ASSERT_FALSE(strict.url.empty()) << "did not start; see " << strict.log;
  const auto refused =
      client.send_json(http::Verb::post, strict.url + "/api/dcim/sites/", site, headers);
  EXPECT_EQ(refused.status, 400u);
  EXPECT_EQ(refused.json().at("bogus").at(0), "Unknown field.");
  auto lenient = start_emulator(scratch, {}, "lenient");
  ASSERT_FALSE(lenient.url.empty()) << "did not start; see " << lenient.log;
  EXPECT_EQ(
      client.send_json(http::Verb::post, lenient.url + "/api/dcim/sites/", site, headers).status,
      201u);
}

TEST(NetboxProgram, InstalledBinaryReadsVersionsFromShareProxbox) {
  ScratchDir scratch;
  const auto prefix = scratch.path() / "prefix";
  std::filesystem::create_directories(prefix / "bin");
  std::filesystem::create_directories(prefix / "share" / "proxbox");
  std::filesystem::copy_file(emulator_binary(), prefix / "bin" / "netbox-emulator");
  std::ofstream(prefix / "share" / "proxbox" / "netbox-versions.json")
      << R"({"versions": [{"version": "4.2", "full_version": "4.2.2", "schema": null}]})";
  auto emulator = start_emulator(scratch, {}, "installed", prefix / "bin" / "netbox-emulator");
  ASSERT_FALSE(emulator.url.empty()) << "did not start; see " << emulator.log;
  http::Client client;
  EXPECT_EQ(client.get(emulator.url + "/api/status/").header("API-Version"), "4.2")
      << "the newest version of the installed file, not the source tree's";
}

TEST(NetboxProgram, RejectsUnknownVersionsAndMalformedTokens) {
  ScratchDir scratch;
  for (const auto& flags :
       std::vector<std::vector<std::string>>{{"--netbox-version", "9.9"},
                                             {"--token", "short"},
                                             {"--netbox-version", "4.2", "--token", kV2Token}}) {
    auto emulator = start_emulator(scratch, flags);
    EXPECT_TRUE(emulator.url.empty());
    EXPECT_EQ(emulator.process->wait_for(std::chrono::seconds(10)), 2) << flags.back();
  }
}

}  // namespace
}  // namespace pbx::netbox::testing
