// The store's paging shortcuts: counts kept between changes, pages chosen on ids. Both must be
// invisible: every answer equals what the plain queries would give.

#include "netbox/store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace pbx::netbox {
namespace {
namespace json = boost::json;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 30; ++i) {
      // Names out of id order, so that ordering by name differs from ordering by id.
      store.insert(sites, json::object{{"name", "site-" + std::to_string((i * 7) % 30 + 100)},
                                       {"status", i % 3 ? "active" : "planned"}});
    }
  }

  Condition active() const {
    Condition where;
    where.add(field_sql("status") + " = ?", {std::string("active")});
    return where;
  }

  const Model& sites = *Registry::instance().by_key("dcim.site");
  Store store{":memory:"};
};

TEST_F(StoreTest, CountFollowsEveryCommittedChange) {
  EXPECT_EQ(store.count(sites, active()), 20);
  EXPECT_EQ(store.count(sites, active()), 20);
  const int64_t id = store.insert(sites, json::object{{"name", "x"}, {"status", "active"}});
  EXPECT_EQ(store.count(sites, active()), 21);
  store.update(sites, id, json::object{{"name", "x"}, {"status", "planned"}});
  EXPECT_EQ(store.count(sites, active()), 20);
  store.remove(sites, 1);  // planned
  EXPECT_EQ(store.count(sites, {}), 30);
  EXPECT_EQ(store.count(sites, active()), 20);
}

TEST_F(StoreTest, CountAfterARolledBackWriteIsTheCommittedOne) {
  ASSERT_EQ(store.count(sites, active()), 20);
  {
    common::Transaction transaction(store.database());
    store.insert(sites, json::object{{"name", "y"}, {"status", "active"}});
    EXPECT_EQ(store.count(sites, active()), 21) << "the transaction sees its own row";
  }  // rolled back
  EXPECT_EQ(store.count(sites, active()), 20);
}

TEST_F(StoreTest, PagesByNameCoverEveryRowOnceInOrder) {
  std::vector<std::string> names;
  for (int64_t offset = 0; offset < 20; offset += 7) {
    for (const StoredObject& row :
         store.select(sites, active(), field_sql("name") + ", id", 7, offset)) {
      names.emplace_back(row.data.at("name").as_string());
    }
  }
  ASSERT_EQ(names.size(), 20u);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), 20u);
  EXPECT_EQ(store.select(sites, active(), "id", -1, 0).size(), 20u) << "no limit";
}

}  // namespace
}  // namespace pbx::netbox
