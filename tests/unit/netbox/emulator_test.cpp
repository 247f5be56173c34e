// Routing and the whole engine (netbox/emulator.cpp): status, the admin API, persistence, and
// random bodies that must never cause a 500.

#include <gtest/gtest.h>

#include <filesystem>

#include "emulator_test_support.hpp"

namespace pbx::netbox::testing {
namespace {

using http::Verb;

TEST(NetboxStatus, KeysChangeWithVersion) {
  EmulatorClient client({.version = "4.6", .full_version = "4.6.5"});
  const auto status = client.get("/api/status/").as_object();
  EXPECT_TRUE(status.contains("installed_apps"));
  EXPECT_TRUE(status.contains("hostname"));
  EXPECT_EQ(status.at("netbox-full-version"), "4.6.5");
}

TEST(NetboxPersistence, RestartKeepsEveryObject) {
  const auto file = std::filesystem::temp_directory_path() /
                    ("netbox-emulator-" + std::to_string(::getpid()) + ".sqlite");
  std::filesystem::remove(file);
  {
    EmulatorClient client({.database = file.string()});
    make_topology(client);
  }
  {
    EmulatorClient client({.database = file.string()});
    EXPECT_EQ(client.get("/api/virtualization/clusters/").at("results").at(0).at("name"), "pve");
    EXPECT_EQ(client.get("/api/dcim/device-types/").at("count"), 1);
  }
  for (const char* suffix : {"", "-wal", "-shm"})
    std::filesystem::remove(file.string() + suffix);
}

TEST(NetboxAdmin, StatsCountWritesAndResetClears) {
  EmulatorClient client;
  client.send(Verb::post, kVms, {{"name", "x"}});  // 400, still a write request
  make_topology(client);
  const auto stats = client.get("/api/__emulator__/stats");
  EXPECT_EQ(stats.at("requests").at("POST /api/virtualization/virtual-machines/"), 1);
  EXPECT_EQ(stats.at("writes"), 7);
  EXPECT_EQ(client.call(Verb::post, "/api/__emulator__/reset", {}, "").code(), 403u);
  EXPECT_EQ(client.call(Verb::post, "/api/__emulator__/reset").code(), 200u);
  EXPECT_EQ(client.get("/api/dcim/sites/").at("count"), 0);
  EXPECT_EQ(client.get("/api/__emulator__/stats").at("writes"), 0);
}

}  // namespace
}  // namespace pbx::netbox::testing
