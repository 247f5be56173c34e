// The operations still answered from generated samples in writable parts of the API
// (sample_only_operations) are exactly the checked-in list sample_only_operations.txt, which the
// README points at: a new sample-only operation next to a write fails here, and so does one
// that has become state-backed until it leaves the list.

#include "proxmox/sample_coverage.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "mock_test_support.hpp"
#include "proxmox/release.hpp"

namespace pbx::proxmox {
namespace {

using namespace pbx::proxmox::testing;

std::set<std::string> checked_in_list() {
  const std::filesystem::path file =
      std::filesystem::path(PBX_SOURCE_DIR) / "tests/unit/proxmox/sample_only_operations.txt";
  std::ifstream in(file);
  EXPECT_TRUE(in) << "cannot read " << file;
  std::set<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.front() != '#') out.insert(line);
  }
  return out;
}

TEST(SampleCoverageTest, SampleOnlyOperationsAreTheCheckedInList) {
  const auto schema = schema_for(Service::pve);
  const BoundHandlers bound =
      bind_handlers(pve_handlers(release_of(Service::pve, *schema)), *schema);
  const std::vector<std::string> found = sample_only_operations(*schema, bound);
  const std::set<std::string> listed = checked_in_list();
  std::string added, gone;
  for (const auto& operation : found) {
    if (!listed.contains(operation)) added += "\n  " + operation;
  }
  const std::set<std::string> now(found.begin(), found.end());
  for (const auto& operation : listed) {
    if (!now.contains(operation)) gone += "\n  " + operation;
  }
  EXPECT_TRUE(added.empty()) << "sample-only beside a write, not in the list (back it with "
                                "state, or add it to sample_only_operations.txt and the README):"
                             << added;
  EXPECT_TRUE(gone.empty()) << "listed as sample-only but now has a handler (remove it from "
                               "sample_only_operations.txt):"
                            << gone;
}

TEST(SampleCoverageTest, AccessIsNoLongerSampleServed) {
  const auto schema = schema_for(Service::pve);
  const BoundHandlers bound =
      bind_handlers(pve_handlers(release_of(Service::pve, *schema)), *schema);
  const std::vector<std::string> found = sample_only_operations(*schema, bound);
  for (const char* operation :
       {"GET /access/users", "GET /access/domains", "GET /access/domains/{realm}",
        "GET /access/groups", "GET /access/roles", "GET /access/acl",
        "GET /access/users/{userid}/token", "POST /access/users/{userid}/token/{tokenid}"}) {
    EXPECT_EQ(std::count(found.begin(), found.end(), operation), 0) << operation;
  }
  // A read beside an unhandled write is listed (the sweep's rule), e.g. the VNet firewall's
  // rules; the datacenter's rules and aliases have handlers (pve_firewall*.cpp).
  EXPECT_EQ(std::count(found.begin(), found.end(), "GET /cluster/sdn/vnets/{vnet}/firewall/rules"),
            1);
  EXPECT_EQ(std::count(found.begin(), found.end(), "GET /cluster/firewall/rules"), 0);
  EXPECT_EQ(std::count(found.begin(), found.end(), "GET /cluster/firewall/aliases"), 0);
}

}  // namespace
}  // namespace pbx::proxmox
