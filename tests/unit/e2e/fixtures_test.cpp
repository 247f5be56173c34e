#include "e2e/fixtures.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace pbx::e2e {
namespace {

using proxmox::Service;

class ScopedServiceEnv {
 public:
  explicit ScopedServiceEnv(const char* value) {
    if (const char* old = std::getenv("PROXMOX_SERVICE")) saved_ = old;
    if (value)
      ::setenv("PROXMOX_SERVICE", value, 1);
    else
      ::unsetenv("PROXMOX_SERVICE");
  }
  ~ScopedServiceEnv() {
    if (saved_)
      ::setenv("PROXMOX_SERVICE", saved_->c_str(), 1);
    else
      ::unsetenv("PROXMOX_SERVICE");
  }

 private:
  std::optional<std::string> saved_;
};

TEST(ResolveProxmoxService, ExplicitWinsOverEnvironment) {
  ScopedServiceEnv env("pdm");
  EXPECT_EQ(resolve_proxmox_service("pbs"), Service::pbs);
  EXPECT_EQ(resolve_proxmox_service(), Service::pdm);
}

TEST(ResolveProxmoxService, EnvironmentIsTrimmedAndLowerCased) {
  ScopedServiceEnv env("  PBS \n");
  EXPECT_EQ(resolve_proxmox_service(), Service::pbs);
}

TEST(ResolveProxmoxService, DefaultsToPve) {
  ScopedServiceEnv unset(nullptr);
  EXPECT_EQ(resolve_proxmox_service(), Service::pve);
  ScopedServiceEnv blank("   ");
  EXPECT_EQ(resolve_proxmox_service(), Service::pve);
}

TEST(ResolveProxmoxService, UnknownServiceListsTheValidOnes) {
  ScopedServiceEnv env("pmg");
  try {
    resolve_proxmox_service();
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& error) {
    const std::string message = error.what();
    for (const char* name : {"pve", "pbs", "pdm"})
      EXPECT_NE(message.find(name), std::string::npos) << message;
  }
}

TEST(Fixtures, MinimalClusterOnPveHasOneNodeOneVmOneContainer) {
  const auto scenario = create_minimal_cluster("t1", Service::pve);
  EXPECT_EQ(scenario.service, Service::pve);
  ASSERT_EQ(scenario.clusters.size(), 1u);
  const auto& cluster = scenario.clusters.front();
  EXPECT_EQ(cluster.name, "t1-cluster");
  ASSERT_EQ(cluster.nodes.size(), 1u);
  EXPECT_EQ(count_guests(scenario, "qemu"), 1u);
  EXPECT_EQ(count_guests(scenario, "lxc"), 1u);
  for (const auto& guest : cluster.guests) {
    EXPECT_EQ(guest.node, cluster.nodes.front().name);
    EXPECT_EQ(guest.name.rfind("t1-", 0), 0u) << "prefix keeps parallel tests apart";
  }
  std::vector<std::string> storages;
  for (const auto& storage : cluster.storages)
    storages.push_back(storage.id);
  EXPECT_EQ(storages, (std::vector<std::string>{"local", "backup"}));
}

class NonPveFixtures : public ::testing::TestWithParam<Service> {};

TEST_P(NonPveFixtures, AreLabelledEmptyShells) {
  const auto service = GetParam();
  for (const auto& scenario :
       {create_minimal_cluster("p", service), create_multi_cluster("p", service),
        create_cluster_with_backups("p", service),
        create_custom_cluster("p-custom", {proxmox::NodeScenario{.name = "n1"}}, {}, "p",
                              service)}) {
    EXPECT_EQ(scenario.service, service);
    ASSERT_EQ(scenario.clusters.size(), 1u);
    EXPECT_EQ(count_nodes(scenario), 0u);
    EXPECT_EQ(count_guests(scenario), 0u);
    EXPECT_TRUE(backups_of(scenario).empty());
  }
  EXPECT_EQ(empty_cluster("x", service).clusters.front().name, "x");
}

INSTANTIATE_TEST_SUITE_P(Stubs, NonPveFixtures, ::testing::Values(Service::pbs, Service::pdm));

TEST(Fixtures, MultiClusterHasTwoClustersWithDistinctVmids) {
  const auto scenario = create_multi_cluster("m", Service::pve);
  ASSERT_EQ(scenario.clusters.size(), 2u);
  EXPECT_EQ(count_nodes(scenario), 5u);
  EXPECT_EQ(count_guests(scenario), 7u);
  std::set<int> vmids;
  for (const auto& cluster : scenario.clusters)
    for (const auto& guest : cluster.guests)
      vmids.insert(guest.vmid);
  EXPECT_EQ(vmids.size(), 7u);
}

TEST(Fixtures, ClusterWithBackupsHasBackupsPerGuest) {
  const auto scenario = create_cluster_with_backups("b", Service::pve, 3);
  const auto backups = backups_of(scenario);
  EXPECT_EQ(backups.size(), 6u);
  for (const auto& backup : backups)
    EXPECT_EQ(backup.storage, "backup");
}

TEST(Fixtures, DailyBackupIsDerivedFromTheGuest) {
  proxmox::GuestScenario guest;
  guest.vmid = 101;
  guest.type = "lxc";
  guest.name = "cache";
  guest.node = "pve2";
  const auto backup = daily_backup(guest, 2, 1000);
  EXPECT_EQ(backup.storage, "backup");
  EXPECT_EQ(backup.node, "pve2");
  EXPECT_EQ(backup.vmid, 101);
  EXPECT_EQ(backup.format, "tar.zst");
  EXPECT_EQ(backup.size, (int64_t{1} << 30) + 101 * 4096 + 2);
  EXPECT_EQ(backup.ctime, 1000 + 2 * 86400);
  EXPECT_EQ(backup.notes, "cache backup 3");
  EXPECT_EQ(backup.verification, "ok");
  EXPECT_FALSE(backup.protected_);
  guest.type = "qemu";
  EXPECT_EQ(daily_backup(guest, 0, 1000).format, "vma.zst");
}

TEST(Fixtures, CustomClusterPrefixesNamesAndChecksNodes) {
  proxmox::GuestScenario guest;
  guest.vmid = 500;
  guest.name = "db";
  guest.node = "n2";
  const auto scenario = create_custom_cluster("c-custom", {{.name = "n1"}, {.name = "n2"}}, {guest},
                                              "c", Service::pve);
  const auto& cluster = scenario.clusters.front();
  EXPECT_EQ(cluster.name, "c-custom");
  EXPECT_EQ(cluster.nodes[1].name, "c-n2");
  EXPECT_EQ(cluster.guests[0].node, "c-n2");
  EXPECT_EQ(cluster.guests[0].name, "c-db");
  guest.node = "n9";
  EXPECT_THROW(create_custom_cluster("x", {{.name = "n1"}}, {guest}, "c", Service::pve),
               std::invalid_argument);
}

TEST(Fixtures, SingleClusterSplitsAMultiClusterScenario) {
  const auto scenario = create_multi_cluster("s", Service::pve);
  EXPECT_EQ(single_cluster(scenario, 1).clusters.front().name, "s-b");
  EXPECT_THROW(single_cluster(scenario, 2), std::out_of_range);
}

TEST(Fixtures, EveryFixtureIsAValidScenarioForTheMock) {
  for (const auto service : {Service::pve, Service::pbs, Service::pdm}) {
    for (const auto& scenario :
         {create_minimal_cluster("v", service), create_multi_cluster("v", service),
          create_cluster_with_backups("v", service)}) {
      const auto json = scenario.to_json();
      const auto parsed = proxmox::Scenario::from_json(json);
      EXPECT_EQ(parsed.clusters.size(), scenario.clusters.size());
      EXPECT_EQ(count_guests(parsed), count_guests(scenario));
      EXPECT_EQ(backups_of(parsed).size(), backups_of(scenario).size());
    }
  }
}

}  // namespace
}  // namespace pbx::e2e
