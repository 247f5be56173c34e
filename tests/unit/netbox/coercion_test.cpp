// Validation and coercion of written values (netbox/coercion.cpp): NetBox's messages, unknown
// fields, relations written as ids or attribute dicts.

#include <gtest/gtest.h>

#include <random>

#include "emulator_test_support.hpp"

namespace pbx::netbox::testing {
namespace {

using http::Verb;

TEST(NetboxValidation, RequiredFieldsAndBlankNames) {
  EmulatorClient client;
  auto response = client.send(Verb::post, "/api/dcim/sites/", json::object{});
  EXPECT_EQ(response.code(), 400u);
  EXPECT_EQ(body_of(response).at("name").at(0), "This field is required.");
  EXPECT_EQ(body_of(response).at("slug").at(0), "This field is required.");
  response = client.send(Verb::post, "/api/dcim/sites/", {{"name", "  "}, {"slug", "s"}});
  EXPECT_EQ(body_of(response).at("name").at(0), "This field may not be blank.");
}

TEST(NetboxValidation, UniqueSiteNameUsesNetboxMessage) {
  EmulatorClient client;
  client.create("/api/dcim/sites/", {{"name", "DC1"}, {"slug", "dc1"}});
  const auto response =
      client.send(Verb::post, "/api/dcim/sites/", {{"name", "DC1"}, {"slug", "other"}});
  EXPECT_EQ(response.code(), 400u);
  EXPECT_EQ(body_of(response), (json::value{{"name", {"site with this name already exists."}}}));
}

TEST(NetboxValidation, SlugRulesAndMaxLength) {
  EmulatorClient client;
  auto response = client.send(Verb::post, "/api/dcim/sites/", {{"name", "A"}, {"slug", "a b"}});
  EXPECT_EQ(body_of(response).at("slug").at(0),
            "Enter a valid \"slug\" consisting of letters, numbers, "
            "underscores or hyphens.");
  response =
      client.send(Verb::post, "/api/dcim/sites/", {{"name", std::string(101, 'x')}, {"slug", "a"}});
  EXPECT_EQ(body_of(response).at("name").at(0),
            "Ensure this field has no more than 100 characters.");
}

TEST(NetboxValidation, WrongTypesAreFieldErrors) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  const auto response = client.send(
      Verb::post, kVms,
      {{"name", json::array{1}}, {"cluster", t.cluster}, {"memory", "lots"}, {"status", "bogus"}});
  ASSERT_EQ(response.code(), 400u);
  const auto errors = body_of(response);
  EXPECT_EQ(errors.at("name").at(0), "Not a valid string.");
  EXPECT_EQ(errors.at("memory").at(0), "A valid integer is required.");
  EXPECT_EQ(errors.at("status").at(0), "bogus is not a valid choice.");
}

TEST(NetboxValidation, ChoiceWrittenAsDictIsRejected) {
  EmulatorClient client;
  const auto response =
      client.send(Verb::post, "/api/dcim/sites/",
                  {{"name", "A"}, {"slug", "a"}, {"status", {{"value", "active"}}}});
  EXPECT_EQ(response.code(), 400u);
  EXPECT_TRUE(body_of(response).as_object().contains("status"));
}

TEST(NetboxUnknownFields, StrictSingleWritesAre400AndWriteNothing) {
  EmulatorClient client({.strict_fields = true});
  auto response =
      client.send(Verb::post, "/api/dcim/sites/", {{"name", "A"}, {"slug", "a"}, {"bogus", 1}});
  ASSERT_EQ(response.code(), 400u) << response.body;
  EXPECT_EQ(body_of(response), (json::value{{"bogus", {"Unknown field."}}}));
  EXPECT_EQ(client.get("/api/dcim/sites/").at("count"), 0);
  const int64_t id = client.create("/api/dcim/sites/", {{"name", "A"}, {"slug", "a"}});
  const std::string item = "/api/dcim/sites/" + std::to_string(id) + "/";
  response = client.send(Verb::patch, item, {{"description", "new"}, {"descripton", "typo"}});
  EXPECT_EQ(response.code(), 400u);
  EXPECT_EQ(body_of(response).at("descripton").at(0), "Unknown field.");
  response = client.send(Verb::put, item, {{"name", "B"}, {"slug", "b"}, {"bogus", true}});
  EXPECT_EQ(response.code(), 400u);
  EXPECT_EQ(client.get(item).at("name"), "A");
  EXPECT_EQ(client.get(item).at("description"), "");
}

TEST(NetboxUnknownFields, StrictBulkWritesAnswerPerObjectAndWriteNothing) {
  EmulatorClient client({.strict_fields = true});
  auto response = client.send(
      Verb::post, "/api/dcim/sites/",
      json::array{{{"name", "A"}, {"slug", "a"}}, {{"name", "B"}, {"slug", "b"}, {"bogus", 1}}});
  ASSERT_EQ(response.code(), 400u) << response.body;
  EXPECT_EQ(body_of(response), (json::array{json::object{}, {{"bogus", {"Unknown field."}}}}));
  EXPECT_EQ(client.get("/api/dcim/sites/").at("count"), 0);
  const int64_t a = client.create("/api/dcim/sites/", {{"name", "A"}, {"slug", "a"}});
  const int64_t b = client.create("/api/dcim/sites/", {{"name", "B"}, {"slug", "b"}});
  response = client.send(Verb::patch, "/api/dcim/sites/",
                         json::array{{{"id", a}, {"description", "one"}},
                                     {{"id", b}, {"description", "two"}, {"colour", "red"}}});
  ASSERT_EQ(response.code(), 400u) << response.body;
  EXPECT_EQ(body_of(response).at(1).at("colour").at(0), "Unknown field.");
  EXPECT_EQ(client.get("/api/dcim/sites/?description=one").at("count"), 0);
}

TEST(NetboxUnknownFields, ReadOnlyFieldsNetboxSerialisesAreIgnored) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  const int64_t vm = client.create(kVms, {{"name", "vm1"}, {"cluster", t.cluster}});
  const std::string item = std::string(kVms) + std::to_string(vm) + "/";
  const json::value fetched = client.get(item);
  // What a client sends when it echoes a fetched object: every read-only key, rendered or not.
  const json::object echoed{{"id", vm},
                            {"url", fetched.at("url")},
                            {"display", "vm1"},
                            {"display_url", fetched.at("display_url")},
                            {"created", fetched.at("created")},
                            {"last_updated", fetched.at("last_updated")},
                            {"interface_count", 7},
                            {"config_context", json::object{}},
                            {"primary_ip", nullptr},
                            {"description", "echoed"}};
  const auto response = client.send(Verb::patch, item, echoed);
  ASSERT_EQ(response.code(), 200u) << response.body;
  EXPECT_EQ(body_of(response).at("description"), "echoed");
  EXPECT_EQ(body_of(response).at("interface_count"), 0);
}

TEST(NetboxUnknownFields, FieldsOfOtherVersionsAreUnknownWhenStrict) {
  EmulatorClient v42({.version = "4.2", .full_version = "4.2.2", .strict_fields = true});
  EmulatorClient v45({.version = "4.5", .full_version = "4.5.3", .strict_fields = true});
  for (EmulatorClient* client : {&v42, &v45}) {
    const Topology t = make_topology(*client);
    const auto response = client->send(Verb::post, kVms,
                                       {{"name", "vm"},
                                        {"cluster", t.cluster},
                                        {"start_on_boot", "on"},
                                        {"changelog_message", "from the sync"}});
    if (client == &v42) {
      ASSERT_EQ(response.code(), 400u) << response.body;
      EXPECT_EQ(body_of(response), (json::value{{"start_on_boot", {"Unknown field."}},
                                                {"changelog_message", {"Unknown field."}}}));
    } else {
      EXPECT_EQ(response.code(), 201u) << response.body;
    }
  }
  const auto add_tags = v45.send(Verb::post, "/api/dcim/sites/",
                                 {{"name", "S"}, {"slug", "s"}, {"add_tags", json::array{}}});
  EXPECT_EQ(body_of(add_tags).at("add_tags").at(0), "Unknown field.") << "add_tags is 4.6";
}

TEST(NetboxUnknownFields, NetboxFieldsTheEmulatorDoesNotModelSaySo) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  const auto response = client.send(Verb::post, "/api/dcim/devices/",
                                    {{"name", "node1"},
                                     {"device_type", t.device_type},
                                     {"role", t.role},
                                     {"site", t.site},
                                     {"rack", 1}});
  ASSERT_EQ(response.code(), 400u);
  EXPECT_EQ(body_of(response).at("rack").at(0),
            "netbox-emulator does not emulate this NetBox field.");
  // Rendered empty, as NetBox renders an unset one; writing that back (a client echoing a
  // fetched object) changes nothing.
  const auto echoed = client.send(Verb::post, "/api/dcim/devices/",
                                  {{"name", "node1"},
                                   {"device_type", t.device_type},
                                   {"role", t.role},
                                   {"site", t.site},
                                   {"rack", nullptr}});
  ASSERT_EQ(echoed.code(), 201u) << echoed.body;
  EXPECT_TRUE(body_of(echoed).at("rack").is_null());
}

TEST(NetboxUnknownFields, ByDefaultTheyAreIgnoredLikeDrf) {
  EmulatorClient client;
  const auto response = client.send(
      Verb::post, "/api/dcim/sites/",
      json::array{{{"name", "A"}, {"slug", "a"}, {"bogus", 1}, {"descripton", "typo"}}});
  ASSERT_EQ(response.code(), 201u) << response.body;
  EXPECT_FALSE(body_of(response).at(0).as_object().contains("bogus"));
  EXPECT_EQ(body_of(response).at(0).at("description"), "");
  const std::string item =
      "/api/dcim/sites/" + std::to_string(body_of(response).at(0).at("id").as_int64()) + "/";
  const auto patched = client.send(Verb::patch, item, {{"description", "new"}, {"colour", "red"}});
  ASSERT_EQ(patched.code(), 200u) << patched.body;
  EXPECT_EQ(body_of(patched).at("description"), "new");
  EmulatorClient v42({.version = "4.2", .full_version = "4.2.2"});
  const Topology t = make_topology(v42);
  EXPECT_EQ(
      v42.send(Verb::post, kVms, {{"name", "vm"}, {"cluster", t.cluster}, {"start_on_boot", "on"}})
          .code(),
      201u)
      << "a field of a later version is ignored, as NetBox 4.2 ignores it";
}

TEST(NetboxUnknownFields, NotEmulatedFieldsAreRefusedInEitherMode) {
  for (const bool strict : {false, true}) {
    EmulatorClient client({.strict_fields = strict});
    const Topology t = make_topology(client);
    const auto response = client.send(Verb::post, "/api/dcim/devices/",
                                      {{"device_type", t.device_type},
                                       {"role", t.role},
                                       {"site", t.site},
                                       {"virtual_chassis", 7}});
    ASSERT_EQ(response.code(), 400u) << strict;
    EXPECT_EQ(body_of(response).at("virtual_chassis").at(0),
              "netbox-emulator does not emulate this NetBox field.");
  }
}

TEST(NetboxValidation, MalformedJsonIs400Detail) {
  EmulatorClient client;
  const auto response = client.call(Verb::post, "/api/dcim/sites/", "{\"name\": ");
  EXPECT_EQ(response.code(), 400u);
  EXPECT_TRUE(text(body_of(response).at("detail")).starts_with("JSON parse error"));
  const auto scalar = client.call(Verb::post, "/api/dcim/sites/", "\"text\"");
  EXPECT_EQ(body_of(scalar).at("non_field_errors").at(0),
            "Invalid data. Expected a dictionary, but got str.");
}

TEST(NetboxValidation, SqlLookingStringsAreStoredVerbatim) {
  EmulatorClient client;
  const std::string evil = "x'); DROP TABLE nb_dcim_site; --";
  const int64_t id = client.create("/api/dcim/sites/", {{"name", evil}, {"slug", "evil"}});
  EXPECT_EQ(text(client.get("/api/dcim/sites/" + std::to_string(id) + "/").at("name")), evil);
  const auto found = client.get("/api/dcim/sites/?name=" + http::percent_encode(evil)).at("count");
  EXPECT_EQ(found, 1);
}

// Strict, most bodies stop at an unknown field; lenient, they reach the model rules too.
class RandomBodies : public ::testing::TestWithParam<bool> {};

TEST_P(RandomBodies, NeverCause500) {
  EmulatorClient client({.strict_fields = GetParam()});
  make_topology(client);
  std::mt19937 random(42);
  const std::vector<json::value> values = {nullptr,
                                           true,
                                           -1,
                                           1.5,
                                           "",
                                           "x",
                                           "1",
                                           json::array{},
                                           json::array{1, "a"},
                                           json::object{{"id", 1}},
                                           json::object{{"name", "nope"}},
                                           json::array{json::array{"a", "A"}},
                                           json::array{json::array{1, nullptr, 3}}};
  const std::vector<std::string> fields = {"name",          "slug",
                                           "cluster",       "site",
                                           "status",        "memory",
                                           "tags",          "custom_fields",
                                           "vcpus",         "type",
                                           "scope_id",      "address",
                                           "device",        "virtual_machine",
                                           "size",          "id",
                                           "extra_choices", "base_choices",
                                           "choice_set",    "owner",
                                           "add_tags"};
  const std::vector<std::string> paths = {kVms,
                                          "/api/dcim/sites/",
                                          "/api/ipam/ip-addresses/",
                                          "/api/dcim/devices/",
                                          "/api/virtualization/virtual-disks/",
                                          "/api/extras/custom-fields/",
                                          "/api/extras/custom-field-choice-sets/",
                                          "/api/users/owners/",
                                          "/api/plugins/proxbox/backups/"};
  for (int round = 0; round < 300; ++round) {
    json::object body;
    for (int i = 0; i < 4; ++i) {
      body[fields[random() % fields.size()]] = values[random() % values.size()];
    }
    const std::string& path = paths[random() % paths.size()];
    const Verb verb = round % 3 == 0 ? Verb::patch : Verb::post;
    const std::string target = verb == Verb::patch ? path + "1/" : path;
    const auto response = client.send(verb, target, body);
    ASSERT_LT(response.code(), 500u)
        << target << " " << json::serialize(body) << " → " << response.body;
  }
}

INSTANTIATE_TEST_SUITE_P(NetboxValidation, RandomBodies, ::testing::Values(false, true),
                         [](const auto& test_info) {
                           return test_info.param ? "Strict" : "Lenient";
                         });

TEST(NetboxRelations, NestedDictsResolveAndDanglingIdsFail) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  auto response = client.send(Verb::post, kVms, {{"name", "vm1"}, {"cluster", {{"name", "pve"}}}});
  ASSERT_EQ(response.code(), 201u) << response.body;
  const auto vm = body_of(response);
  EXPECT_EQ(vm.at("cluster").at("id"), t.cluster);
  EXPECT_EQ(vm.at("cluster").at("name"), "pve");
  EXPECT_EQ(vm.at("site").at("slug"), "dc1") << "site follows the cluster's scope";

  response = client.send(Verb::post, kVms, {{"name", "vm2"}, {"cluster", 999}});
  EXPECT_EQ(body_of(response).at("cluster").at(0),
            "Related object not found using the provided numeric ID: 999");
  response = client.send(Verb::post, kVms, {{"name", "vm2"}, {"cluster", {{"name", "nope"}}}});
  EXPECT_EQ(body_of(response).at("cluster").at(0),
            "Related object not found using the provided attributes: {'name': 'nope'}");
  response =
      client.send(Verb::post, kVms, {{"name", "vm2"}, {"cluster", std::to_string(t.cluster)}});
  EXPECT_EQ(response.code(), 201u) << "a numeric string is an id";
}

TEST(NetboxRelations, MultipleMatchesAreReported) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  client.create("/api/dcim/device-types/",
                {{"manufacturer", t.manufacturer}, {"model", "X2"}, {"slug", "x2"}});
  const auto response = client.send(
      Verb::post, "/api/dcim/devices/",
      {{"device_type", {{"manufacturer", t.manufacturer}}}, {"role", t.role}, {"site", t.site}});
  EXPECT_EQ(text(body_of(response).at("device_type").at(0)).substr(0, 41),
            "Multiple objects match the provided attri");
}

TEST(NetboxRelations, TagsByIdOrNameSlug) {
  EmulatorClient client;
  const int64_t tag =
      client.create("/api/extras/tags/", {{"name", "Proxbox"}, {"slug", "proxbox"}});
  client.create("/api/extras/tags/", {{"name", "Other"}, {"slug", "other"}});
  const int64_t site = client.create(
      "/api/dcim/sites/", {{"name", "A"}, {"slug", "a"}, {"tags", {tag, {{"slug", "other"}}}}});
  const auto tags = client.get("/api/dcim/sites/" + std::to_string(site) + "/").at("tags");
  ASSERT_EQ(tags.as_array().size(), 2u);
  EXPECT_EQ(tags.at(0).at("slug"), "proxbox");
  EXPECT_EQ(tags.at(0).at("color"), "9e9e9e");
}

// Issue 12.5: decimals are checked as DRF's DecimalField checks them (digits, places, limits)
// and integers against their column's range, with NetBox's messages; no value overflows.
TEST(NetboxValidation, NumbersAreBoundedAsNetboxBoundsThem) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  auto refused = [&](const json::object& fields) {
    json::object body{{"name", "vm"}, {"cluster", t.cluster}};
    for (const auto& [key, value] : fields)
      body[key] = value;
    const auto response = client.send(Verb::post, kVms, body);
    EXPECT_EQ(response.code(), 400u) << response.body;
    return body_of(response);
  };
  EXPECT_EQ(refused({{"vcpus", 1e308}}),
            (json::value{{"vcpus", {"Ensure that there are no more than 6 digits in total."}}}));
  EXPECT_EQ(refused({{"vcpus", "1.234"}}),
            (json::value{{"vcpus", {"Ensure that there are no more than 2 decimal places."}}}));
  EXPECT_EQ(refused({{"vcpus", 12345.5}}),
            (json::value{{"vcpus",
                          {"Ensure that there are no more than 4 digits before the decimal "
                           "point."}}}));
  EXPECT_EQ(refused({{"vcpus", 0}}).at("vcpus").at(0),
            "Ensure this value is greater than or equal to "
            "0.01000000000000000020816681711721685132943093776702880859375.");
  EXPECT_EQ(refused({{"vcpus", "Infinity"}}),
            (json::value{{"vcpus", {"A valid number is required."}}}));
  EXPECT_EQ(refused({{"memory", 10000000000}}),
            (json::value{{"memory", {"Ensure this value is less than or equal to 2147483647."}}}));
  EXPECT_EQ(refused({{"disk", -1}}),
            (json::value{{"disk", {"Ensure this value is greater than or equal to 0."}}}));
  EXPECT_EQ(refused({{"memory", 1e308}}),
            (json::value{{"memory", {"A valid integer is required."}}}));
  EXPECT_EQ(refused({{"memory", "99999999999999999999"}}),
            (json::value{{"memory", {"Ensure this value is less than or equal to 2147483647."}}}));
  EXPECT_EQ(client.get(kVms).at("count"), 0);
  const auto id = client.create(kVms, {{"name", "ok"},
                                       {"cluster", t.cluster},
                                       {"vcpus", 1.5},
                                       {"memory", "2048.0"},
                                       {"disk", 2147483647}});
  const auto vm = client.get(std::string(kVms) + std::to_string(id) + "/");
  EXPECT_EQ(vm.at("vcpus").to_number<double>(), 1.5);
  EXPECT_EQ(vm.at("memory"), 2048);
  const auto vlan = client.send(Verb::post, "/api/ipam/vlans/", {{"name", "v"}, {"vid", 4095}});
  EXPECT_EQ(body_of(vlan),
            (json::value{{"vid", {"Ensure this value is less than or equal to 4094."}}}));
}

}  // namespace
}  // namespace pbx::netbox::testing
