// The engine's listings ahead (SyncOptions::listings_ahead, sync/listing_prefetch.hpp) through
// the real proxmox-mock Engine and netbox-emulator: every planned listing is the one its stage
// makes (taken, never listed twice), and a run with them ends as one without.

#include <gtest/gtest.h>

#include "read_cache_stack.hpp"

namespace pbx::sync {
namespace {
using testing::ReadCacheStack;

// Task history, snapshots, disks, VM interfaces, MACs, the VMs' addresses and backups.
constexpr size_t kPlanned = 7;

TEST_F(ReadCacheStack, ListingsAheadAreTheStagesOwnAndChangeNothing) {
  listings_ahead_ = 0;
  const auto initial = run();
  EXPECT_EQ(initial.listings_served_ahead, 0u);
  const auto plain = run();
  EXPECT_EQ(plain.netbox_requests.writes(), 0u);

  listings_ahead_ = 2;
  const auto ahead = run();
  EXPECT_EQ(ahead.listings_served_ahead, kPlanned) << "a planned listing its stage did not take";
  EXPECT_EQ(ahead.netbox_requests.get, plain.netbox_requests.get)
      << "a listing made twice (planned and again by its stage) or left out";
  EXPECT_EQ(ahead.netbox_requests.writes(), 0u);
  for (const auto& [kind, counts] : plain.kinds) {
    ASSERT_TRUE(ahead.kinds.count(kind)) << kind;
    EXPECT_EQ(ahead.kinds.at(kind).unchanged, counts.unchanged) << kind;
  }
}

// A change seen through a listing made ahead is written as without it: exactly those objects.
TEST_F(ReadCacheStack, AChangeIsWrittenOnceWithListingsAhead) {
  run();
  const auto& vm = guest_of_type("qemu");
  proxmox(http::Verb::post, "/nodes/" + vm.node + "/qemu/" + std::to_string(vm.vmid) + "/snapshot",
          {{"snapname", "ahead"}});
  const auto changed = run(/*full_read=*/true);
  EXPECT_EQ(changed.listings_served_ahead, kPlanned);
  EXPECT_EQ(changed.kinds.at("snapshots").created, 1u);
  EXPECT_EQ(changed.kinds.at("task_history").created, 1u) << "the snapshot's task";
  EXPECT_EQ(changed.totals().created, 2u);
  EXPECT_EQ(changed.totals().updated, 0u);
}

}  // namespace
}  // namespace pbx::sync
