#include "sync/diff.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace pbx::sync {
namespace {
namespace json = boost::json;

json::object obj(std::string_view text) {
  return json::parse(text).as_object();
}

TEST(SameValue, ComparesNetBoxReadFormsWithWriteForms) {
  EXPECT_TRUE(same_value(json::value(5), json::parse(R"({"id":5,"name":"x"})")));
  EXPECT_FALSE(same_value(json::value(6), json::parse(R"({"id":5,"name":"x"})")));
  EXPECT_TRUE(
      same_value(json::value("active"), json::parse(R"({"value":"active","label":"Active"})")));
  EXPECT_FALSE(
      same_value(json::value("offline"), json::parse(R"({"value":"active","label":"Active"})")));
  EXPECT_TRUE(same_value(json::value(2), json::value(2.0)));
  EXPECT_TRUE(same_value(json::value(2), json::value("2.00")));
  EXPECT_TRUE(
      same_value(json::value("2026-01-01T00:00:00Z"), json::value("2026-01-01T00:00:00+00:00")));
  EXPECT_TRUE(same_value(json::value(nullptr), json::value(nullptr)));
  EXPECT_TRUE(same_value(json::value(""), json::value(nullptr)));
  EXPECT_FALSE(same_value(json::value(1), json::value(nullptr)));
}

TEST(Diff, SortsIntoCreateUpdateUnchangedAndOrphan) {
  const std::vector<DesiredObject> desired{{"a", obj(R"({"name":"a","vcpus":2})")},
                                           {"b", obj(R"({"name":"b","vcpus":4})")},
                                           {"c", obj(R"({"name":"c","vcpus":1})")}};
  const std::vector<CurrentObject> current{{1, "a", obj(R"({"id":1,"name":"a","vcpus":2.0})")},
                                           {2, "b", obj(R"({"id":2,"name":"b","vcpus":2.0})")},
                                           {3, "z", obj(R"({"id":3,"name":"z"})")}};
  const Plan plan = diff(desired, current);
  ASSERT_EQ(plan.creates.size(), 1u);
  EXPECT_EQ(plan.creates[0].key, "c");
  ASSERT_EQ(plan.updates.size(), 1u);
  EXPECT_EQ(plan.updates[0].id, 2);
  ASSERT_EQ(plan.unchanged.size(), 1u);
  EXPECT_EQ(plan.unchanged[0].id, 1);
  ASSERT_EQ(plan.orphans.size(), 1u);
  EXPECT_EQ(plan.orphans[0].id, 3);
}

TEST(Diff, PatchCarriesOnlyChangedFieldsAndId) {
  const std::vector<DesiredObject> desired{
      {"k", obj(R"({"name":"renamed","status":"active","memory":2048,"cluster":7})")}};
  const std::vector<CurrentObject> current{
      {9, "k",
       obj(R"({"id":9,"name":"old","status":{"value":"active"},"memory":2048,"cluster":{"id":7}})")}};
  const Plan plan = diff(desired, current);
  ASSERT_EQ(plan.updates.size(), 1u);
  EXPECT_EQ(plan.updates[0].patch, obj(R"({"name":"renamed","id":9})"));
}

TEST(Diff, CustomFieldsComparedPerFieldAndPatchedPerField) {
  const std::vector<DesiredObject> desired{
      {"k", obj(R"({"custom_fields":{"proxmox_status":"stopped","proxmox_vm_id":100}})")}};
  const std::vector<CurrentObject> current{
      {1, "k",
       obj(R"({"custom_fields":{"proxmox_status":"running","proxmox_vm_id":100,"other":"x"}})")}};
  const Plan plan = diff(desired, current);
  ASSERT_EQ(plan.updates.size(), 1u);
  EXPECT_EQ(plan.updates[0].patch, obj(R"({"custom_fields":{"proxmox_status":"stopped"},"id":1})"));
}

TEST(Diff, VolatileCustomFieldsNeverTriggerButRideAlong) {
  DiffOptions options;
  options.volatile_custom_fields.insert("proxmox_last_updated");
  const std::vector<CurrentObject> current{
      {1, "k",
       obj(R"({"name":"a","custom_fields":{"proxmox_last_updated":"2020-01-01T00:00:00Z"}})")}};
  const Plan same = diff(
      {{"k",
        obj(R"({"name":"a","custom_fields":{"proxmox_last_updated":"2026-01-01T00:00:00Z"}})")}},
      current, options);
  EXPECT_EQ(same.unchanged.size(), 1u);
  EXPECT_TRUE(same.updates.empty());
  const Plan changed = diff(
      {{"k",
        obj(R"({"name":"b","custom_fields":{"proxmox_last_updated":"2026-01-01T00:00:00Z"}})")}},
      current, options);
  ASSERT_EQ(changed.updates.size(), 1u);
  EXPECT_EQ(
      changed.updates[0].patch,
      obj(R"({"name":"b","custom_fields":{"proxmox_last_updated":"2026-01-01T00:00:00Z"},"id":1})"));
}

TEST(Diff, TagsAreAddedNeverRemoved) {
  const std::vector<DesiredObject> desired{{"k", obj(R"({"tags":[1]})")}};
  EXPECT_EQ(diff(desired, {{1, "k", obj(R"({"tags":[{"id":1},{"id":4}]})")}}).unchanged.size(), 1u);
  const Plan plan = diff(desired, {{1, "k", obj(R"({"tags":[{"id":4}]})")}});
  ASSERT_EQ(plan.updates.size(), 1u);
  EXPECT_EQ(plan.updates[0].patch, obj(R"({"tags":[4,1],"id":1})"));
}

TEST(Diff, DuplicateCurrentObjectsWithOneKeyLeaveTheExtraAsOrphan) {
  const Plan plan = diff({{"k", obj(R"({"name":"a"})")}},
                         {{1, "k", obj(R"({"name":"a"})")}, {2, "k", obj(R"({"name":"a"})")}});
  EXPECT_EQ(plan.unchanged.size(), 1u);
  ASSERT_EQ(plan.orphans.size(), 1u);
  EXPECT_EQ(plan.orphans[0].id, 2);
}

}  // namespace
}  // namespace pbx::sync
