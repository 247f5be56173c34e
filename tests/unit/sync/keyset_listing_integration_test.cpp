// NetBoxClient::list against the real netbox-emulator (in process): keyset pages over several
// pages of a plain and a tag-filtered list, under concurrent writes, and every NetBox version
// the emulator certifies answering id__gt/id__lte/ordering=-id the same way.

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <set>

#include "fakes.hpp"
#include "netbox/emulator.hpp"
#include "sync/netbox_client.hpp"

namespace pbx::sync {
namespace {
namespace json = boost::json;

constexpr const char* kBase = "http://127.0.0.1:1";

class KeysetListingIntegration : public ::testing::TestWithParam<std::string> {
 protected:
  netbox::Emulator emulator{[] {
    netbox::EmulatorOptions options;
    options.version = GetParam();
    options.full_version = GetParam() == "4.2" ? "4.2.2" : GetParam() == "4.5" ? "4.5.3" : "4.6.5";
    return options;
  }()};
  InProcessTransport transport{emulator.handler()};
  NetBoxClient writer{transport, kBase, netbox::kDefaultToken};
};

TEST_P(KeysetListingIntegration, ListsEveryLastingObjectOnceUnderConcurrentWrites) {
  // ids 1..4700: five pages, the first and four ranges listed concurrently.
  for (int from = 0; from < 4700; from += 500)
    writer.create("/extras/tags/", testing::numbered_tags(from, 500));
  std::deque<int64_t> doomed;
  std::set<int64_t> lasting;
  for (int64_t id = 1; id <= 4700; ++id)
    (id % 11 == 0 ? doomed.push_back(id) : void(lasting.insert(id)));
  testing::WritingTransport writing(transport, writer, doomed);
  testing::RecordingTransport recording(writing);
  NetBoxClient client(recording, kBase, netbox::kDefaultToken);
  const auto tags = client.list("/extras/tags/", {{"fields", "id,slug"}});
  ASSERT_GT(writing.writes(), 4u) << "the writes interleaved with the pages";
  std::map<int64_t, int> seen;
  int64_t previous = 0;
  for (const auto& tag : tags) {
    const int64_t id = tag.at("id").as_int64();
    ASSERT_GT(id, previous) << "ascending ids, none twice";
    previous = id;
    ++seen[id];
  }
  for (const int64_t id : lasting)
    ASSERT_EQ(seen[id], 1) << "tag " << id << " existed throughout";
  size_t keyset_pages = 0;
  for (const auto& url : recording.urls()) {
    EXPECT_EQ(url.find("offset="), std::string::npos) << url;
    keyset_pages += url.find("id__gt=") != std::string::npos;
  }
  EXPECT_GE(keyset_pages, 4u);
}

TEST_P(KeysetListingIntegration, ATagFilteredListHasEveryTaggedObject) {
  const auto tag = writer.create("/extras/tags/", testing::numbered_tags(0, 1)).at(0);
  const int64_t tag_id = tag.at("id").as_int64();
  std::vector<json::object> sites;
  std::set<int64_t> tagged;
  for (int i = 0; i < 3300; ++i) {
    sites.push_back({{"name", "s" + std::to_string(i)},
                     {"slug", "s" + std::to_string(i)},
                     {"status", "active"},
                     {"tags", i % 3 ? json::array{tag_id} : json::array{}}});
  }
  for (const auto& site : writer.create("/dcim/sites/", sites)) {
    if (!site.at("tags").as_array().empty()) tagged.insert(site.at("id").as_int64());
  }
  ASSERT_EQ(tagged.size(), 2200u);
  std::set<int64_t> listed;
  for (const auto& site : writer.list("/dcim/sites/", {{"tag", "t0"}}))
    EXPECT_TRUE(listed.insert(site.at("id").as_int64()).second) << "none twice";
  EXPECT_EQ(listed, tagged);
}

INSTANTIATE_TEST_SUITE_P(NetBoxVersions, KeysetListingIntegration,
                         ::testing::Values("4.2", "4.5", "4.6"));

}  // namespace
}  // namespace pbx::sync
