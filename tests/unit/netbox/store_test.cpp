// The store's paging shortcuts: counts kept between changes, pages chosen on ids. Both must be
// invisible: every answer equals what the plain queries would give. Its indexes: every
// uniqueness lookup is an index search, and the tag table answers as each row's `tags` would.

#include "netbox/store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "netbox/coercion.hpp"

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

// SQLite's plan for a count over `where`: one line per step ("SEARCH ... USING INDEX ...").
std::string query_plan(Store& store, const Model& model, const Condition& where) {
  auto plan = store.database().prepare("EXPLAIN QUERY PLAN SELECT count(*) FROM " + model.table() +
                                       " WHERE " + where.sql);
  int index = 1;
  for (const common::SqlValue& value : where.params)
    plan.bind(index++, value);
  std::string steps;
  while (plan.step())
    steps += plan.column_text(3) + "\n";
  return steps;
}

// check_unique runs one lookup per rule on every write; a scan there makes bulk creates
// quadratic (30,000 task-history rows took minutes), so none may scan, whatever the model.
TEST(StoreIndexes, EveryUniquenessLookupSearchesAnIndex) {
  Store store(":memory:");
  int rules = 0;
  for (const Model& model : Registry::instance().models()) {
    for (const UniqueRule& rule : model.unique) {
      json::object out;
      for (const std::string& field : rule.fields)
        out[field] = "x";
      const auto where = unique_condition(rule, out, int64_t{7});
      ASSERT_TRUE(where) << model.key;
      const std::string plan = query_plan(store, model, *where);
      EXPECT_EQ(plan.find("SCAN"), std::string::npos) << model.key << ": " << plan;
      ++rules;
    }
  }
  EXPECT_GT(rules, 20) << "the registry's rules were walked";
}

TEST(StoreIndexes, UniqueConditionSkipsARuleWithANullField) {
  const UniqueRule rule{{"vmid", "name"}, false, {}, "__all__", "clash", "", ""};
  EXPECT_FALSE(unique_condition(rule, json::object{{"vmid", 1}, {"name", nullptr}}, {}));
  EXPECT_FALSE(unique_condition(rule, json::object{{"vmid", 1}}, {}));
  const UniqueRule scoped{{"name"}, false, {"site"}, "name", "clash", "", ""};
  EXPECT_FALSE(unique_condition(scoped, json::object{{"name", "a"}, {"site", 3}}, {}));
  EXPECT_TRUE(unique_condition(scoped, json::object{{"name", "a"}, {"site", nullptr}}, {}));
}

// NetBox's global address table: an address clashes with any other of the same host, whatever
// its mask; 10.0.0.10 is not 10.0.0.1, and the lookup searches the address index.
TEST(StoreIndexes, StartsWithMatchesTheByteRangeAndSearchesAnIndex) {
  Store store(":memory:");
  const Model& ips = *Registry::instance().by_key("ipam.ipaddress");
  for (const char* address : {"10.0.0.1/24", "10.0.0.1/32", "10.0.0.10/24", "10.0.0.0/8",
                              "2001:db8::1/64", "2001:db8::10/64"}) {
    store.insert(ips, json::object{{"address", address}});
  }
  auto matching = [&](const std::string& prefix) {
    Condition where;
    where.add_starts_with(field_sql("address"), prefix);
    std::vector<std::string> found;
    for (const StoredObject& row : store.select(ips, where, "id", -1, 0))
      found.emplace_back(row.data.at("address").as_string());
    return found;
  };
  EXPECT_EQ(matching("10.0.0.1/"), (std::vector<std::string>{"10.0.0.1/24", "10.0.0.1/32"}));
  EXPECT_EQ(matching("2001:db8::1/"), (std::vector<std::string>{"2001:db8::1/64"}));
  EXPECT_TRUE(matching("10.0.0.2/").empty());
  EXPECT_EQ(matching("\xFF").size(), 0u) << "a last byte of 0xFF has no successor";
  Condition where;
  where.add_starts_with(field_sql("address"), "10.0.0.1/");
  const std::string plan = query_plan(store, ips, where);
  EXPECT_NE(plan.find("USING INDEX"), std::string::npos) << plan;
}

class TagIndexTest : public ::testing::Test {
 protected:
  // The rows carrying tag `tag` through the tag table, and as each row's `tags` array says.
  std::vector<int64_t> tagged(int64_t tag) {
    Condition where;
    where.add(tagged_sql(sites), {tag});
    return store.ids(sites, where);
  }
  std::vector<int64_t> tagged_in_json(int64_t tag) {
    Condition where;
    where.add("EXISTS (SELECT 1 FROM json_each(data, '$.tags') WHERE value = ?)", {tag});
    return store.ids(sites, where);
  }
  int64_t site(const std::string& name, json::array tags) {
    return store.insert(sites, json::object{{"name", name}, {"tags", std::move(tags)}});
  }

  const Model& sites = *Registry::instance().by_key("dcim.site");
  Store store{":memory:"};
};

TEST_F(TagIndexTest, FollowsInsertsUpdatesAndDeletes) {
  const int64_t a = site("a", {1, 2});
  const int64_t b = site("b", {2});
  site("c", {});
  EXPECT_EQ(tagged(1), (std::vector<int64_t>{a}));
  EXPECT_EQ(tagged(2), (std::vector<int64_t>{a, b}));
  store.update(sites, b, json::object{{"name", "b"}, {"tags", json::array{1, 3}}});
  EXPECT_EQ(tagged(1), (std::vector<int64_t>{a, b}));
  EXPECT_EQ(tagged(2), (std::vector<int64_t>{a}));
  EXPECT_EQ(tagged(3), (std::vector<int64_t>{b}));
  store.update(sites, a, json::object{{"name", "a"}});  // no tags at all
  EXPECT_EQ(tagged(1), (std::vector<int64_t>{b}));
  store.remove(sites, b);
  EXPECT_TRUE(tagged(1).empty());
  EXPECT_TRUE(tagged(3).empty());
  for (int64_t tag = 1; tag <= 3; ++tag)
    EXPECT_EQ(tagged(tag), tagged_in_json(tag)) << tag;
}

TEST_F(TagIndexTest, ARolledBackWriteLeavesNoTag) {
  {
    common::Transaction transaction(store.database());
    site("a", {5});
    EXPECT_EQ(tagged(5).size(), 1u);
  }
  EXPECT_TRUE(tagged(5).empty());
}

TEST_F(TagIndexTest, ClearAllEmptiesIt) {
  site("a", {1});
  store.clear_all();
  EXPECT_TRUE(tagged(1).empty());
  const int64_t again = site("b", {1});
  EXPECT_EQ(tagged(1), (std::vector<int64_t>{again}));
}

// A database file written before the tag table existed is indexed when it is opened.
TEST(StoreTagIndex, ADatabaseWithoutTheTableIsFilledOnOpening) {
  const Model& sites = *Registry::instance().by_key("dcim.site");
  const auto file = std::filesystem::temp_directory_path() /
                    ("netbox-store-tags-" + std::to_string(::getpid()) + ".sqlite");
  std::filesystem::remove(file);
  int64_t id = 0;
  {
    Store store(file.string());
    id = store.insert(sites, json::object{{"name", "a"}, {"tags", json::array{4}}});
    const std::string tags = tags_table(sites);
    store.database().exec("DROP TRIGGER " + tags + "_insert; DROP TRIGGER " + tags +
                          "_update; DROP TRIGGER " + tags + "_delete; DROP TABLE " + tags);
  }
  {
    Store store(file.string());
    Condition where;
    where.add(tagged_sql(sites), {int64_t{4}});
    EXPECT_EQ(store.ids(sites, where), (std::vector<int64_t>{id}));
  }
  for (const char* suffix : {"", "-wal", "-shm"})
    std::filesystem::remove(file.string() + suffix);
}

// SQLite's plan for one keyset page (`id__gt` + `ordering=id`, as the sync lists) under
// `where`, which must already hold the `id > ?` bound.
std::string keyset_plan(Store& store, const Model& model, const Condition& where) {
  auto plan = store.database().prepare("EXPLAIN QUERY PLAN " + page_sql(model, where, "id, id"));
  int index = 1;
  for (const common::SqlValue& value : where.params)
    plan.bind(index++, value);
  plan.bind(index, int64_t{1000}).bind(index + 1, int64_t{0});
  std::string steps;
  while (plan.step())
    steps += plan.column_text(3) + "\n";
  return steps;
}

// A keyset page costs a range scan of the primary key from the cursor on, whatever else the
// filter holds: never a scan of the table, a sort, or a list of every tagged row built per page.
TEST(StoreKeysetPage, IsARangeScanOfThePrimaryKey) {
  Store store(":memory:");
  const Model& vms = *Registry::instance().by_key("virtualization.virtualmachine");
  Condition plain;
  plain.add("id > ?", {int64_t{5}});
  Condition tagged;
  tagged.add(tagged_sql(vms), {int64_t{1}});
  tagged.add("id > ?", {int64_t{5}});
  tagged.add("id <= ?", {int64_t{9000}});
  Condition clustered;
  clustered.add(field_sql("cluster") + " IN (?)", {int64_t{3}});
  clustered.add("id > ?", {int64_t{5}});
  for (const auto* where : {&plain, &tagged, &clustered}) {
    const std::string plan = keyset_plan(store, vms, *where);
    EXPECT_NE(plan.find("rowid>?"), std::string::npos) << where->sql << "\n" << plan;
    EXPECT_EQ(plan.find("SCAN"), std::string::npos) << where->sql << "\n" << plan;
    EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << where->sql << "\n" << plan;
    size_t lists = 0;
    for (size_t at = plan.find("LIST SUBQUERY"); at != std::string::npos;
         at = plan.find("LIST SUBQUERY", at + 1))
      ++lists;
    EXPECT_EQ(lists, 1u) << "only the page's own ids: " << where->sql << "\n" << plan;
  }
}

TEST(StoreKeysetPage, PagesByIdCoverEveryRowOnceInOrder) {
  Store store(":memory:");
  const Model& sites = *Registry::instance().by_key("dcim.site");
  for (int i = 0; i < 25; ++i) {
    store.insert(sites, json::object{{"name", "s" + std::to_string(i)},
                                     {"tags", i % 2 ? json::array{7} : json::array{}}});
  }
  std::vector<int64_t> listed;
  for (int64_t cursor = 0;;) {
    Condition where;
    where.add(tagged_sql(sites), {int64_t{7}});
    where.add("id > ?", {cursor});
    const auto rows = store.select(sites, where, "id, id", 4, 0);
    for (const StoredObject& row : rows)
      listed.push_back(row.id);
    if (rows.size() < 4) break;
    cursor = rows.back().id;
  }
  std::vector<int64_t> odd;
  for (int64_t id = 2; id <= 25; id += 2)
    odd.push_back(id);  // the i-th insert has id i + 1
  EXPECT_EQ(listed, odd);
}

}  // namespace
}  // namespace pbx::netbox
