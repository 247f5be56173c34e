// ListingPrefetch (sync/listing_prefetch.hpp): planned listings are listed once, ahead of their
// take, never more than `ahead` held at once; a take of something not planned lists it there; a
// failed listing fails its take only; what no stage took is dropped at the end.

#include "sync/listing_prefetch.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <stdexcept>

namespace pbx::sync {
namespace {
namespace json = boost::json;

// A NetBox that answers one object naming the listing, counts its calls and checks the bound.
struct FakeLists {
  size_t ahead = 2;
  std::atomic<size_t> takes_begun{0};
  std::mutex mutex;
  std::map<std::string, int> calls;  // listing key → times listed
  size_t started = 0;
  bool bound_held = true;

  ListingPrefetch::List list() {
    return [this](const std::string& path, const http::Params& filters) {
      {
        std::lock_guard lock(mutex);
        ++calls[listing_key(path, filters)];
        ++started;
        // Each take lets one more listing start: never more than `ahead` beyond the takes.
        if (started > takes_begun.load() + ahead) bound_held = false;
      }
      if (path == "/fail/") throw std::runtime_error("NetBox said no");
      return std::vector<json::object>{json::object{{"path", path}}};
    };
  }
  std::vector<json::object> take(ListingPrefetch& prefetch, const std::string& path,
                                 const http::Params& filters = {}) {
    ++takes_begun;
    return prefetch.take(path, filters);
  }
};

std::vector<PlannedListing> planned(std::initializer_list<const char*> paths) {
  std::vector<PlannedListing> listings;
  for (const char* path : paths)
    listings.push_back({path, {{"tag", "proxbox"}}});
  return listings;
}

TEST(ListingPrefetch, PlannedListingsAreListedOnceEachAndServedInOrder) {
  FakeLists fake;
  {
    ListingPrefetch prefetch(fake.list(), fake.ahead);
    prefetch.plan(planned({"/a/", "/b/", "/c/", "/d/", "/e/"}));
    for (const char* path : {"/a/", "/b/", "/c/", "/d/", "/e/"}) {
      const auto objects = fake.take(prefetch, path, {{"tag", "proxbox"}});
      ASSERT_EQ(objects.size(), 1u);
      EXPECT_EQ(objects[0].at("path"), path);
    }
    EXPECT_EQ(prefetch.served(), 5u);
  }
  EXPECT_TRUE(fake.bound_held) << "more than `ahead` listings were held at once";
  ASSERT_EQ(fake.calls.size(), 5u);
  for (const auto& [key, count] : fake.calls)
    EXPECT_EQ(count, 1) << key;
}

TEST(ListingPrefetch, OtherFiltersAreNotThePlannedListing) {
  FakeLists fake;
  ListingPrefetch prefetch(fake.list(), 1);
  prefetch.plan(planned({"/a/"}));
  fake.take(prefetch, "/a/", {{"tag", "other"}});  // not planned: listed here
  EXPECT_EQ(prefetch.served(), 0u);
  fake.take(prefetch, "/a/", {{"tag", "proxbox"}});
  EXPECT_EQ(prefetch.served(), 1u);
  fake.take(prefetch, "/a/", {{"tag", "proxbox"}});  // taken already: listed again, fresh
  EXPECT_EQ(prefetch.served(), 1u);
  std::lock_guard lock(fake.mutex);
  EXPECT_EQ(fake.calls.at(listing_key("/a/", {{"tag", "proxbox"}})), 2);
  EXPECT_EQ(fake.calls.at(listing_key("/a/", {{"tag", "other"}})), 1);
}

TEST(ListingPrefetch, AFailedListingFailsItsTakeOnly) {
  FakeLists fake;
  ListingPrefetch prefetch(fake.list(), 2);
  prefetch.plan(planned({"/fail/", "/b/"}));
  EXPECT_THROW(fake.take(prefetch, "/fail/", {{"tag", "proxbox"}}), std::runtime_error);
  EXPECT_EQ(fake.take(prefetch, "/b/", {{"tag", "proxbox"}}).size(), 1u);
}

TEST(ListingPrefetch, WhatNoStageTookIsDroppedAtTheEnd) {
  FakeLists fake;
  fake.ahead = 3;
  {
    ListingPrefetch prefetch(fake.list(), fake.ahead);
    prefetch.plan(planned({"/a/", "/b/", "/c/", "/d/"}));
    fake.take(prefetch, "/b/", {{"tag", "proxbox"}});
  }  // joins the listings in flight; /d/ may or may not have started, never twice
  std::lock_guard lock(fake.mutex);
  for (const auto& [key, count] : fake.calls)
    EXPECT_EQ(count, 1) << key;
  EXPECT_TRUE(fake.bound_held);
}

}  // namespace
}  // namespace pbx::sync
