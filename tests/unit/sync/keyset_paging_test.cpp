// NetBoxClient::list pages by id (keyset_paging.hpp) against the fake NetBox: id ranges that
// cover each id once, no offset page, every lasting object listed once under concurrent writes,
// and `next` followed through our own origin when a server ignores the id lookups.

#include "sync/keyset_paging.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <set>

#include "fakes.hpp"
#include "sync/netbox_client.hpp"

namespace pbx::sync {
namespace {
namespace json = boost::json;

using testing::numbered_tags;

// The ranges are consecutive, start after `after`, end at `last`, and none is narrower than
// a page unless it is the last one.
void expect_partition(const std::vector<IdRange>& ranges, int64_t after, int64_t last,
                      int64_t page) {
  ASSERT_FALSE(ranges.empty());
  EXPECT_EQ(ranges.front().after, after);
  EXPECT_EQ(ranges.back().last, last);
  for (size_t i = 0; i < ranges.size(); ++i) {
    EXPECT_LT(ranges[i].after, ranges[i].last) << i;
    if (i + 1 < ranges.size()) {
      EXPECT_EQ(ranges[i].last, ranges[i + 1].after) << i;
      EXPECT_GE(ranges[i].last - ranges[i].after, page) << i;
    }
  }
}

TEST(SplitIdRange, DenseIdsGiveOnePageARange) {
  const auto ranges = split_id_range(1000, 50'000, 49'000, 1000);
  expect_partition(ranges, 1000, 50'000, 1000);
  EXPECT_EQ(ranges.size(), 49u);
  EXPECT_EQ(ranges[0], (IdRange{1000, 2000}));
}

TEST(SplitIdRange, SparseIdsGiveWiderRanges) {
  // 5000 objects spread over a million ids: about five ranges, not a thousand.
  const auto ranges = split_id_range(0, 1'000'000, 5000, 1000);
  expect_partition(ranges, 0, 1'000'000, 1000);
  EXPECT_EQ(ranges.size(), 5u);
}

TEST(SplitIdRange, NothingAfterTheFirstPage) {
  EXPECT_TRUE(split_id_range(10, 10, 5, 1000).empty());
  EXPECT_TRUE(split_id_range(10, 3, 5, 1000).empty());
  const auto one = split_id_range(10, 11, 0, 0);  // odd counts cannot divide by zero
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0], (IdRange{10, 11}));
}

TEST(SplitIdRange, HugeIdsDoNotOverflow) {
  const int64_t top = INT64_MAX - 1;
  const auto ranges = split_id_range(top - 5000, top, 5000, 1000);
  expect_partition(ranges, top - 5000, top, 1000);
  EXPECT_EQ(ranges.size(), 5u);
}

TEST(KeysetListing, PagesByIdWithoutOffsets) {
  testing::FakeNetBox netbox;
  InProcessTransport inner(netbox.handler());
  testing::RecordingTransport recording(inner);
  NetBoxClient client(recording, "http://127.0.0.1:9", netbox.token);
  client.create("/extras/tags/", numbered_tags(0, 4500));
  recording.clear();
  const auto tags = client.list("/extras/tags/", {{"fields", "id,slug"}});
  ASSERT_EQ(tags.size(), 4500u);
  for (size_t i = 0; i < tags.size(); ++i)
    ASSERT_EQ(tags[i].at("id").as_int64(), static_cast<int64_t>(i + 1)) << "in id order";
  const auto urls = recording.urls();
  // First page, the highest id, then ranges (1000,2000] ... (4000,4500] of one page each.
  EXPECT_EQ(urls.size(), 2u + 4u);
  size_t keyset_pages = 0;
  for (const auto& url : urls) {
    EXPECT_EQ(url.find("offset="), std::string::npos) << url;
    EXPECT_NE(url.find("fields=id%2Cslug"), std::string::npos) << "filters kept: " << url;
    keyset_pages += url.find("id__gt=") != std::string::npos;
  }
  EXPECT_EQ(keyset_pages, 4u);
}

TEST(KeysetListing, ConcurrentWritesNeitherHideNorRepeatALastingObject) {
  testing::FakeNetBox netbox;
  InProcessTransport inner(netbox.handler());
  NetBoxClient writer(inner, "http://127.0.0.1:9", netbox.token);
  writer.create("/extras/tags/", numbered_tags(0, 5000));  // ids 1..5000
  std::deque<int64_t> doomed;
  std::set<int64_t> lasting;
  for (int64_t id = 1; id <= 5000; ++id)
    (id % 7 == 0 ? doomed.push_back(id) : void(lasting.insert(id)));
  // Before each page: one deletion at an end of the id space (an offset page after a deletion
  // below it skips an object) and two creations.
  testing::WritingTransport writing(inner, writer, doomed);
  NetBoxClient client(writing, "http://127.0.0.1:9", netbox.token);
  const auto tags = client.list("/extras/tags/");
  ASSERT_GT(writing.writes(), 5u) << "the writes interleaved with the pages";
  std::map<int64_t, int> seen;
  int64_t previous = 0;
  for (const auto& tag : tags) {
    const int64_t id = tag.at("id").as_int64();
    EXPECT_GT(id, previous) << "ascending ids, none twice";
    previous = id;
    ++seen[id];
  }
  for (const int64_t id : lasting)
    EXPECT_EQ(seen[id], 1) << "tag " << id << " existed throughout";
}

TEST(KeysetListing, FollowsNextThroughOurOriginWhenIdLookupsAreIgnored) {
  testing::FakeNetBox netbox;
  netbox.id_lookups_honoured = false;
  InProcessTransport inner(netbox.handler());
  testing::RecordingTransport recording(inner);
  NetBoxClient client(recording, "http://127.0.0.1:9", netbox.token);
  client.create("/extras/tags/", numbered_tags(0, 2500));
  recording.clear();
  const auto tags = client.list("/extras/tags/");
  ASSERT_EQ(tags.size(), 2500u);
  for (size_t i = 0; i < tags.size(); ++i)
    ASSERT_EQ(tags[i].at("id").as_int64(), static_cast<int64_t>(i + 1));
  const auto urls = recording.urls();
  ASSERT_FALSE(urls.empty());
  EXPECT_NE(urls.back().find("offset=2000"), std::string::npos) << urls.back();
  for (const auto& url : urls)
    EXPECT_TRUE(url.starts_with("http://127.0.0.1:9/api/extras/tags/")) << url;
}

}  // namespace
}  // namespace pbx::sync
