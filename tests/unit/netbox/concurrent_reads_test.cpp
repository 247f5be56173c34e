// Reads side by side on a file database (netbox/emulator.cpp, Emulator::Impl::handle): each
// read on a reader connection of its own, writes alone on the owner's.

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "emulator_test_support.hpp"
#include "program_support.hpp"

namespace pbx::netbox::testing {
namespace {

using http::Verb;

constexpr const char* kTenants = "/api/tenancy/tenants/";

// The database file in a scratch directory (removed with the directory).
std::string database_in(const ScratchDir& dir) {
  return (dir.path() / "netbox.sqlite").string();
}

json::array tenants(int first, int count) {
  json::array batch;
  for (int i = first; i < first + count; ++i) {
    const std::string name = "tenant-" + std::to_string(i);
    batch.push_back({{"name", name}, {"slug", name}});
  }
  return batch;
}

TEST(NetboxConcurrentReads, AReaderSeesEveryWriteCommittedOnTheOwner) {
  ScratchDir dir;
  EmulatorClient client({.database = database_in(dir)});
  ASSERT_EQ(client.send(Verb::post, kTenants, tenants(0, 120)).code(), 201u);
  EXPECT_EQ(client.get(std::string(kTenants) + "?limit=10").at("count"), 120);
  // The reader keeps counts between requests: a commit on the owner's connection must end them.
  ASSERT_EQ(client.send(Verb::post, kTenants, tenants(120, 5)).code(), 201u);
  EXPECT_EQ(client.get(std::string(kTenants) + "?limit=10").at("count"), 125);
  ASSERT_EQ(client.call(Verb::delete_, std::string(kTenants) + "1/").code(), 204u);
  const auto page = client.get(std::string(kTenants) + "?limit=1000");
  EXPECT_EQ(page.at("count"), 124);
  EXPECT_EQ(page.at("results").as_array().size(), 124u);
}

TEST(NetboxConcurrentReads, ListingsBesideBulkWritesSeeWholeWritesOnly) {
  ScratchDir dir;
  EmulatorClient client({.database = database_in(dir)});
  constexpr int kBatch = 50;
  constexpr int kBatches = 20;
  std::atomic<bool> writing{true};
  std::atomic<int> listings{0};
  std::vector<std::string> problems[3];
  std::vector<std::jthread> readers;
  for (auto& found : problems) {
    readers.emplace_back([&client, &writing, &listings, &found] {
      while (writing.load()) {
        const http::Response response =
            client.call(Verb::get, std::string(kTenants) + "?limit=1000&fields=id,name");
        if (response.code() != 200) {
          found.push_back(std::to_string(response.code()) + " " + response.body);
          continue;
        }
        const json::value page = json::parse(response.body);
        const int64_t count = page.at("count").as_int64();
        if (count % kBatch != 0) found.push_back("count " + std::to_string(count));
        if (static_cast<int64_t>(page.at("results").as_array().size()) != count) {
          found.push_back("results differ from count " + std::to_string(count));
        }
        ++listings;
      }
    });
  }
  for (int batch = 0; batch < kBatches; ++batch) {
    EXPECT_EQ(client.send(Verb::post, kTenants, tenants(batch * kBatch, kBatch)).code(), 201u);
  }
  writing = false;
  readers.clear();  // joins
  for (const auto& found : problems) {
    EXPECT_TRUE(found.empty()) << found.size() << " bad listings, first: " << found.front();
  }
  EXPECT_GT(listings.load(), 0);
  EXPECT_EQ(client.get(kTenants).at("count"), kBatch * kBatches);
}

}  // namespace
}  // namespace pbx::netbox::testing
