#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "emulator_test_support.hpp"

namespace pbx::netbox::testing {
namespace {

using http::Verb;

constexpr const char* kVms = "/api/virtualization/virtual-machines/";

std::string text(const json::value& value) {
  return std::string(value.as_string());
}

// ---- auth and metadata ---------------------------------------------------------------------

TEST(NetboxAuth, MissingCredentialsIs403NotProvided) {
  EmulatorClient client;
  const auto response = client.call(Verb::get, "/api/dcim/sites/", {}, "");
  EXPECT_EQ(response.code(), 403u);
  EXPECT_EQ(body_of(response).at("detail"), "Authentication credentials were not provided.");
}

TEST(NetboxAuth, BadTokenMessagesFollowTheVersion) {
  EmulatorClient v42({.version = "4.2", .full_version = "4.2.2"});
  EXPECT_EQ(body_of(v42.call(Verb::get, "/api/dcim/sites/", {}, "Token nope")).at("detail"),
            "Invalid token");
  EmulatorClient v46;
  EXPECT_EQ(body_of(v46.call(Verb::get, "/api/dcim/sites/", {}, "Token nope")).at("detail"),
            "Invalid v1 token");
  EXPECT_EQ(body_of(v46.call(Verb::get, "/api/dcim/sites/", {}, "Bearer nbt_abc")).at("detail"),
            "Invalid v2 token");
}

TEST(NetboxAuth, V2BearerTokensFrom45Only) {
  const std::string v2 = "nbt_abcdefghijkl.secretsecret";
  EmulatorClient v45({.version = "4.5", .full_version = "4.5.3", .tokens = {v2}});
  EXPECT_EQ(v45.call(Verb::get, "/api/dcim/sites/", {}, "Bearer " + v2).code(), 200u);
  EXPECT_EQ(v45.call(Verb::get, "/api/authentication-check/", {}, "Bearer " + v2).code(), 200u);
  EmulatorClient v42({.version = "4.2", .full_version = "4.2.2", .tokens = {v2}});
  EXPECT_EQ(v42.call(Verb::get, "/api/dcim/sites/", {}, "Bearer " + v2).code(), 403u);
  EXPECT_EQ(v42.call(Verb::get, "/api/authentication-check/").code(), 404u);
}

TEST(NetboxAuth, RootAndStatusAreOpenAndEveryResponseHasApiVersion) {
  EmulatorClient client({.version = "4.2", .full_version = "4.2.2"});
  const auto root = client.call(Verb::get, "/api/", {}, "");
  EXPECT_EQ(root.code(), 200u);
  EXPECT_EQ(root.headers["API-Version"], "4.2");
  EXPECT_EQ(body_of(root).at("dcim"), "http://netbox.test/api/dcim/");
  const auto status = client.call(Verb::get, "/api/status/", {}, "");
  EXPECT_EQ(body_of(status).at("netbox-version"), "4.2.2");
  EXPECT_TRUE(body_of(status).as_object().contains("installed-apps"));
  EXPECT_EQ(client.call(Verb::get, "/api/nope/", {}, "").headers["API-Version"], "4.2");
}

TEST(NetboxStatus, KeysChangeWithVersion) {
  EmulatorClient client({.version = "4.6", .full_version = "4.6.5"});
  const auto status = client.get("/api/status/").as_object();
  EXPECT_TRUE(status.contains("installed_apps"));
  EXPECT_TRUE(status.contains("hostname"));
  EXPECT_EQ(status.at("netbox-full-version"), "4.6.5");
}

// ---- CRUD and rendering --------------------------------------------------------------------

TEST(NetboxCrud, CreateGetPatchDeleteSite) {
  EmulatorClient client;
  const auto created =
      client.send(Verb::post, "/api/dcim/sites/", {{"name", "DC1"}, {"slug", "dc1"}});
  ASSERT_EQ(created.code(), 201u) << created.body;
  const auto site = body_of(created).as_object();
  const int64_t id = site.at("id").as_int64();
  EXPECT_EQ(text(site.at("url")), "http://netbox.test/api/dcim/sites/" + std::to_string(id) + "/");
  EXPECT_EQ(site.at("display"), "DC1");
  EXPECT_EQ(site.at("status"), (json::value{{"value", "active"}, {"label", "Active"}}));
  EXPECT_TRUE(site.at("created").is_string());
  EXPECT_TRUE(site.at("tags").as_array().empty());

  const std::string item = "/api/dcim/sites/" + std::to_string(id) + "/";
  const auto patched = client.send(Verb::patch, item, {{"description", "main"}});
  ASSERT_EQ(patched.code(), 200u);
  EXPECT_EQ(body_of(patched).at("description"), "main");
  EXPECT_EQ(body_of(patched).at("name"), "DC1");

  EXPECT_EQ(client.call(Verb::delete_, item).code(), 204u);
  const auto gone = client.call(Verb::get, item);
  EXPECT_EQ(gone.code(), 404u);
  EXPECT_EQ(body_of(gone).at("detail"), "No Site matches the given query.");
}

TEST(NetboxCrud, PutRequiresRequiredFields) {
  EmulatorClient client;
  const int64_t id = client.create("/api/tenancy/tenants/", {{"name", "T"}, {"slug", "t"}});
  const auto response = client.send(Verb::put, "/api/tenancy/tenants/" + std::to_string(id) + "/",
                                    {{"description", "x"}});
  EXPECT_EQ(response.code(), 400u);
  EXPECT_EQ(body_of(response).at("slug").at(0), "This field is required.");
}

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
            "Enter a valid \xE2\x80\x9Cslug\xE2\x80\x9D consisting of letters, numbers, "
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
  EXPECT_EQ(errors.at("status").at(0), "\"bogus\" is not a valid choice.");
}

TEST(NetboxValidation, ChoiceWrittenAsDictIsRejected) {
  EmulatorClient client;
  const auto response =
      client.send(Verb::post, "/api/dcim/sites/",
                  {{"name", "A"}, {"slug", "a"}, {"status", {{"value", "active"}}}});
  EXPECT_EQ(response.code(), 400u);
  EXPECT_TRUE(body_of(response).as_object().contains("status"));
}

TEST(NetboxUnknownFields, SingleWritesAre400AndWriteNothing) {
  EmulatorClient client;
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

TEST(NetboxUnknownFields, BulkWritesAnswerPerObjectAndWriteNothing) {
  EmulatorClient client;
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

TEST(NetboxUnknownFields, FieldsOfOtherVersionsAreUnknown) {
  EmulatorClient v42({.version = "4.2", .full_version = "4.2.2"});
  EmulatorClient v45({.version = "4.5", .full_version = "4.5.3"});
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
                                     {"rack", nullptr}});
  ASSERT_EQ(response.code(), 400u);
  EXPECT_EQ(body_of(response).at("rack").at(0),
            "netbox-emulator does not emulate this NetBox field.");
}

TEST(NetboxUnknownFields, AcceptUnknownFieldsIgnoresThemLikeDrf) {
  EmulatorClient client({.accept_unknown_fields = true});
  const auto response =
      client.send(Verb::post, "/api/dcim/sites/",
                  json::array{{{"name", "A"}, {"slug", "a"}, {"bogus", 1}, {"region", 3}}});
  ASSERT_EQ(response.code(), 201u) << response.body;
  EXPECT_FALSE(body_of(response).at(0).as_object().contains("bogus"));
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
  EmulatorClient client({.accept_unknown_fields = GetParam()});
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
                           return test_info.param ? "Lenient" : "Strict";
                         });

// ---- relations -----------------------------------------------------------------------------

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

// ---- lists ---------------------------------------------------------------------------------

class NetboxLists : public ::testing::Test {
 protected:
  void SetUp() override {
    json::array tenants;
    for (int i = 0; i < 120; ++i) {
      tenants.push_back({{"name", "tenant-" + std::to_string(i)},
                         {"slug", "tenant-" + std::to_string(i)},
                         {"description", i % 2 ? "odd" : "even"}});
    }
    ASSERT_EQ(client.send(Verb::post, "/api/tenancy/tenants/", tenants).code(), 201u);
  }
  EmulatorClient client;
};

TEST_F(NetboxLists, DefaultPageIs50WithAbsoluteNext) {
  const auto page = client.get("/api/tenancy/tenants/?description=odd");
  EXPECT_EQ(page.at("count"), 60);
  EXPECT_EQ(page.at("results").as_array().size(), 50u);
  EXPECT_EQ(page.at("next"),
            "http://netbox.test/api/tenancy/tenants/?description=odd&limit=50&offset=50");
  EXPECT_TRUE(page.at("previous").is_null());
  const auto second = client.get(std::string(page.at("next").as_string()).substr(18));
  EXPECT_EQ(second.at("results").as_array().size(), 10u);
  EXPECT_EQ(second.at("previous"),
            "http://netbox.test/api/tenancy/tenants/?description=odd&limit=50");
}

TEST_F(NetboxLists, LimitIsCappedAndZeroMeansMax) {
  EXPECT_EQ(client.get("/api/tenancy/tenants/?limit=1000000").at("results").as_array().size(),
            120u);
  EXPECT_EQ(client.get("/api/tenancy/tenants/?limit=0").at("results").as_array().size(), 120u);
  EXPECT_EQ(client.get("/api/tenancy/tenants/?limit=-5").at("results").as_array().size(), 50u);
  EXPECT_EQ(client.get("/api/tenancy/tenants/?limit=1000000").at("next").is_null(), true);
  EXPECT_TRUE(client.get("/api/tenancy/tenants/?offset=500").at("results").as_array().empty());
}

TEST_F(NetboxLists, NextHonoursForwardedHeaders) {
  client.set_header("X-Forwarded-Proto", "https");
  client.set_header("X-Forwarded-Host", "proxy.example");
  EXPECT_EQ(client.get("/api/tenancy/tenants/?limit=10").at("next"),
            "https://proxy.example/api/tenancy/tenants/?limit=10&offset=10");
}

TEST_F(NetboxLists, FiltersExactOrLookupsAndQ) {
  EXPECT_EQ(client.get("/api/tenancy/tenants/?name=tenant-1&name=tenant-2").at("count"), 2);
  EXPECT_EQ(client.get("/api/tenancy/tenants/?name__ic=TENANT-11").at("count"), 11);
  EXPECT_EQ(client.get("/api/tenancy/tenants/?description__n=odd").at("count"), 60);
  EXPECT_EQ(client.get("/api/tenancy/tenants/?q=ant-10").at("count"), 11);
  EXPECT_EQ(client.get("/api/tenancy/tenants/?id__gte=100").at("count"), 21);
  EXPECT_EQ(client.get("/api/tenancy/tenants/?name__ie=TENANT-5").at("count"), 1);
  EXPECT_EQ(client.get("/api/tenancy/tenants/?bogus=1").at("count"), 120);
}

TEST_F(NetboxLists, BriefFieldsAndOrdering) {
  const auto brief = client.get("/api/tenancy/tenants/?brief=0&limit=1").at("results").at(0);
  EXPECT_EQ(brief.as_object().size(), 6u) << json::serialize(brief);
  EXPECT_FALSE(brief.as_object().contains("created"));
  const auto fields =
      client.get("/api/tenancy/tenants/?fields=id,name&limit=1").at("results").at(0);
  EXPECT_EQ(fields.as_object().size(), 2u);
  const auto last = client.get("/api/tenancy/tenants/?ordering=-id&limit=1").at("results").at(0);
  EXPECT_EQ(last.at("id"), 120);
}

TEST_F(NetboxLists, CursorPagingFrom46) {
  const auto page = client.get("/api/tenancy/tenants/?start=100&limit=10");
  EXPECT_TRUE(page.at("count").is_null());
  EXPECT_EQ(page.at("results").at(0).at("id"), 100);
  EXPECT_EQ(page.at("next"), "http://netbox.test/api/tenancy/tenants/?start=110&limit=10");
  EXPECT_EQ(client.call(Verb::get, "/api/tenancy/tenants/?start=1&offset=5").code(), 400u);
  const auto omitted = client.get("/api/tenancy/tenants/?omit=custom_fields,tags&limit=1");
  EXPECT_FALSE(omitted.at("results").at(0).as_object().contains("tags"));
}

TEST(NetboxFilters, RelatedSlugsIdsAndUnknownSlug) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  client.create(kVms, {{"name", "a"}, {"cluster", t.cluster}});
  client.create(kVms, {{"name", "b"}, {"site", t.site}});
  EXPECT_EQ(client.get(std::string(kVms) + "?cluster_id=" + std::to_string(t.cluster)).at("count"),
            1);
  EXPECT_EQ(client.get(std::string(kVms) + "?site=dc1").at("count"), 2);
  EXPECT_EQ(client.get(std::string(kVms) + "?cluster_id=null").at("count"), 1);
  const auto bad = client.call(Verb::get, std::string(kVms) + "?site=nope");
  EXPECT_EQ(bad.code(), 400u);
  EXPECT_EQ(body_of(bad),
            (json::value{
                {"site", {"Select a valid choice. nope is not one of the available choices."}}}));
  EXPECT_EQ(
      client.get("/api/virtualization/clusters/?site_id=" + std::to_string(t.site)).at("count"), 1);
  EXPECT_EQ(client.get("/api/virtualization/clusters/?site=dc1").at("count"), 1);
}

TEST(NetboxFilters, TagsAreAndedAndCustomTextFieldsMatchLoosely) {
  EmulatorClient client;
  client.create("/api/extras/tags/", {{"name", "A"}, {"slug", "a"}});
  client.create("/api/extras/tags/", {{"name", "B"}, {"slug", "b"}});
  client.create("/api/extras/custom-fields/",
                {{"name", "proxmox_node"}, {"type", "text"}, {"object_types", {"dcim.site"}}});
  client.create("/api/dcim/sites/", {{"name", "S1"},
                                     {"slug", "s1"},
                                     {"tags", {1, 2}},
                                     {"custom_fields", {{"proxmox_node", "pve-node-1"}}}});
  client.create("/api/dcim/sites/", {{"name", "S2"}, {"slug", "s2"}, {"tags", {1}}});
  EXPECT_EQ(client.get("/api/dcim/sites/?tag=a&tag=b").at("count"), 1);
  EXPECT_EQ(client.get("/api/dcim/sites/?tag=a").at("count"), 2);
  EXPECT_EQ(client.get("/api/dcim/sites/?cf_proxmox_node=node").at("count"), 1);
  EXPECT_EQ(client.call(Verb::get, "/api/dcim/sites/?tag=zzz").code(), 400u);
}

// ---- bulk and transactions -----------------------------------------------------------------

TEST(NetboxBulk, CreateIsAllOrNothing) {
  EmulatorClient client;
  const auto response = client.send(
      Verb::post, "/api/dcim/sites/",
      json::array{{{"name", "A"}, {"slug", "a"}}, {{"name", "B"}}, {{"name", "C"}, {"slug", "c"}}});
  ASSERT_EQ(response.code(), 400u);
  const auto errors = body_of(response).as_array();
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_TRUE(errors[0].as_object().empty());
  EXPECT_EQ(errors[1].at("slug").at(0), "This field is required.");
  EXPECT_EQ(client.get("/api/dcim/sites/").at("count"), 0) << "nothing half-written";
}

TEST(NetboxBulk, DuplicatesInsideOneBulkAreCaught) {
  EmulatorClient client;
  const auto response =
      client.send(Verb::post, "/api/dcim/sites/",
                  json::array{{{"name", "A"}, {"slug", "a"}}, {{"name", "A"}, {"slug", "a2"}}});
  EXPECT_EQ(response.code(), 400u);
  EXPECT_EQ(client.get("/api/dcim/sites/").at("count"), 0);
}

TEST(NetboxBulk, UpdateSkipsUnknownIdsAndDeleteRemovesList) {
  EmulatorClient client;
  const int64_t a = client.create("/api/dcim/sites/", {{"name", "A"}, {"slug", "a"}});
  const int64_t b = client.create("/api/dcim/sites/", {{"name", "B"}, {"slug", "b"}});
  const auto updated = client.send(Verb::patch, "/api/dcim/sites/",
                                   json::array{{{"id", a}, {"description", "x"}},
                                               {{"id", 999}, {"description", "y"}},
                                               {{"id", b}, {"description", "z"}}});
  ASSERT_EQ(updated.code(), 200u) << updated.body;
  EXPECT_EQ(body_of(updated).as_array().size(), 2u);
  EXPECT_EQ(client.get("/api/dcim/sites/?description=z").at("count"), 1);
  const auto failed =
      client.send(Verb::patch, "/api/dcim/sites/",
                  json::array{{{"id", a}, {"description", "q"}}, {{"id", b}, {"name", "A"}}});
  EXPECT_EQ(failed.code(), 400u);
  EXPECT_EQ(client.get("/api/dcim/sites/?description=q").at("count"), 0);
  EXPECT_EQ(
      client.send(Verb::delete_, "/api/dcim/sites/", json::array{{{"id", a}}, {{"id", b}}}).code(),
      204u);
  EXPECT_EQ(client.get("/api/dcim/sites/").at("count"), 0);
}

TEST(NetboxDelete, ProtectedDeleteIs409AndCascadeRemovesChildren) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  const int64_t device = client.create(
      "/api/dcim/devices/",
      {{"name", "node1"}, {"device_type", t.device_type}, {"role", t.role}, {"site", t.site}});
  const auto blocked =
      client.call(Verb::delete_, "/api/dcim/sites/" + std::to_string(t.site) + "/");
  EXPECT_EQ(blocked.code(), 409u);
  EXPECT_EQ(text(body_of(blocked).at("detail")).substr(0, 53),
            "Unable to delete object. 1 dependent objects were fou");
  EXPECT_EQ(client.get("/api/dcim/sites/").at("count"), 1);

  client.create("/api/dcim/interfaces/",
                {{"device", device}, {"name", "eth0"}, {"type", "virtual"}});
  EXPECT_EQ(client.call(Verb::delete_, "/api/dcim/devices/" + std::to_string(device) + "/").code(),
            204u);
  EXPECT_EQ(client.get("/api/dcim/interfaces/").at("count"), 0);
}

// ---- model rules ---------------------------------------------------------------------------

TEST(NetboxRules, VirtualMachineNameUniquePerClusterCaseInsensitive) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  client.create(kVms, {{"name", "vm1"}, {"cluster", t.cluster}});
  const auto response = client.send(Verb::post, kVms, {{"name", "VM1"}, {"cluster", t.cluster}});
  EXPECT_EQ(response.code(), 400u);
  EXPECT_EQ(body_of(response),
            (json::value{{"__all__", {"Virtual machine name must be unique per cluster."}}}));
  const auto missing = client.send(Verb::post, kVms, {{"name", "lonely"}});
  EXPECT_EQ(body_of(missing).at("__all__").at(0),
            "A virtual machine must be assigned to a site, cluster, or device.")
      << "4.6's wording; VmOnAStandaloneHostFrom46 checks 4.5's";
}

TEST(NetboxRules, VirtualDisksSetTheVmDisk) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  const int64_t vm = client.create(kVms, {{"name", "vm1"}, {"cluster", t.cluster}});
  client.create("/api/virtualization/virtual-disks/",
                {{"virtual_machine", vm}, {"name", "scsi0"}, {"size", 1000}});
  client.create("/api/virtualization/virtual-disks/",
                {{"virtual_machine", vm}, {"name", "scsi1"}, {"size", 24}});
  const std::string item = std::string(kVms) + std::to_string(vm) + "/";
  EXPECT_EQ(client.get(item).at("disk"), 1024);
  EXPECT_EQ(client.get(item).at("virtual_disk_count"), 2);
  const auto mismatch = client.send(Verb::patch, item, {{"disk", 5}});
  EXPECT_EQ(mismatch.code(), 400u);
  EXPECT_TRUE(body_of(mismatch).as_object().contains("disk"));
}

TEST(NetboxRules, DuplicateIpInGlobalTable) {
  EmulatorClient client;
  const auto first =
      client.send(Verb::post, "/api/ipam/ip-addresses/", {{"address", "10.0.0.1/24"}});
  ASSERT_EQ(first.code(), 201u);
  EXPECT_EQ(body_of(first).at("family"), (json::value{{"value", 4}, {"label", "IPv4"}}));
  const auto second =
      client.send(Verb::post, "/api/ipam/ip-addresses/", {{"address", "10.0.0.1/32"}});
  EXPECT_EQ(body_of(second).at("address").at(0),
            "Duplicate IP address found in global table: 10.0.0.1/24");
  const auto bad =
      client.send(Verb::post, "/api/ipam/ip-addresses/", {{"address", "10.0.0.300/24"}});
  EXPECT_EQ(bad.code(), 400u);
  const auto prefix = client.send(Verb::post, "/api/ipam/prefixes/", {{"prefix", "10.1.2.3/16"}});
  EXPECT_EQ(body_of(prefix).at("prefix"), "10.1.0.0/16");
}

TEST(NetboxRules, AssignedIpFollowsInterfaceFiltersAndCascade) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  const int64_t vm = client.create(kVms, {{"name", "vm1"}, {"cluster", t.cluster}});
  const int64_t nic =
      client.create("/api/virtualization/interfaces/", {{"virtual_machine", vm}, {"name", "net0"}});
  client.create("/api/ipam/ip-addresses/", {{"address", "10.0.0.5/24"},
                                            {"assigned_object_type", "virtualization.vminterface"},
                                            {"assigned_object_id", nic}});
  EXPECT_EQ(
      client.get("/api/ipam/ip-addresses/?virtual_machine_id=" + std::to_string(vm)).at("count"),
      1);
  EXPECT_EQ(client.get("/api/ipam/ip-addresses/?vminterface_id=" + std::to_string(nic))
                .at("results")
                .at(0)
                .at("assigned_object")
                .at("name"),
            "net0");
  EXPECT_EQ(
      client.get("/api/virtualization/interfaces/").at("results").at(0).at("count_ipaddresses"), 1);
  client.call(Verb::delete_, std::string(kVms) + std::to_string(vm) + "/");
  EXPECT_EQ(client.get("/api/ipam/ip-addresses/").at("count"), 0);
}

// ---- custom fields -------------------------------------------------------------------------

TEST(NetboxCustomFields, ValidatedByTypeMergedOnPatchAndRenderedForAll) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  client.create("/api/extras/custom-fields/",
                {{"name", "proxmox_vm_id"},
                 {"type", "integer"},
                 {"object_types", {"virtualization.virtualmachine"}}});
  client.create("/api/extras/custom-fields/",
                {{"name", "proxmox_node"},
                 {"type", "text"},
                 {"object_types", {"virtualization.virtualmachine"}}});
  auto response = client.send(
      Verb::post, kVms,
      {{"name", "vm1"}, {"cluster", t.cluster}, {"custom_fields", {{"proxmox_vm_id", "100"}}}});
  EXPECT_EQ(body_of(response).at("__all__").at(0),
            "Invalid value for custom field 'proxmox_vm_id': Value must be an integer.");
  response =
      client.send(Verb::post, kVms,
                  {{"name", "vm1"}, {"cluster", t.cluster}, {"custom_fields", {{"nope", 1}}}});
  EXPECT_EQ(body_of(response).at("__all__").at(0),
            "Unknown field name 'nope' in custom field data.");
  const int64_t vm = client.create(
      kVms, {{"name", "vm1"}, {"cluster", t.cluster}, {"custom_fields", {{"proxmox_vm_id", 100}}}});
  const std::string item = std::string(kVms) + std::to_string(vm) + "/";
  EXPECT_EQ(client.get(item).at("custom_fields"),
            (json::value{{"proxmox_node", nullptr}, {"proxmox_vm_id", 100}}));
  response = client.send(Verb::patch, item, {{"custom_fields", {{"proxmox_node", "pve1"}}}});
  EXPECT_EQ(body_of(response).at("custom_fields"),
            (json::value{{"proxmox_node", "pve1"}, {"proxmox_vm_id", 100}}));
  EXPECT_EQ(client.get(std::string(kVms) + "?cf_proxmox_vm_id=100").at("count"), 1);
  const auto definition =
      client.get("/api/extras/custom-fields/?name=proxmox_vm_id").at("results").at(0);
  EXPECT_EQ(definition.at("data_type"), "integer");
}

TEST(NetboxCustomFields, NameRules) {
  EmulatorClient client;
  const auto response = client.send(Verb::post, "/api/extras/custom-fields/",
                                    {{"name", "bad__name"}, {"object_types", {"dcim.site"}}});
  EXPECT_EQ(body_of(response).at("name").at(0),
            "Double underscores are not permitted in custom field names.");
}

TEST(NetboxChoiceSets, SelectValuesAreCheckedAgainstTheSet) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  const int64_t tiers = client.create(
      "/api/extras/custom-field-choice-sets/",
      {{"name", "Tiers"}, {"extra_choices", pairs({{"gold", "Gold"}, {"silver", "Silver"}})}});
  auto response = client.send(
      Verb::post, "/api/extras/custom-fields/",
      {{"name", "tier"}, {"type", "select"}, {"object_types", {"virtualization.virtualmachine"}}});
  EXPECT_EQ(body_of(response).at("choice_set").at(0),
            "Selection fields must specify a set of choices.");
  response = client.send(Verb::post, "/api/extras/custom-fields/",
                         {{"name", "tier"},
                          {"type", "integer"},
                          {"choice_set", tiers},
                          {"object_types", {"virtualization.virtualmachine"}}});
  EXPECT_EQ(body_of(response).at("choice_set").at(0),
            "Choices may be set only on selection fields.");
  const int64_t tier = client.create("/api/extras/custom-fields/",
                                     {{"name", "tier"},
                                      {"type", "select"},
                                      {"choice_set", tiers},
                                      {"object_types", {"virtualization.virtualmachine"}}});
  client.create("/api/extras/custom-fields/",
                {{"name", "tiers"},
                 {"type", "multiselect"},
                 {"choice_set", {{"name", "Tiers"}}},
                 {"object_types", {"virtualization.virtualmachine"}}});
  const auto definition = client.get("/api/extras/custom-fields/" + std::to_string(tier) + "/");
  EXPECT_EQ(definition.at("choice_set").at("name"), "Tiers");
  EXPECT_EQ(definition.at("choice_set").at("choices_count"), 2);

  client.create(kVms, {{"name", "vm1"},
                       {"cluster", t.cluster},
                       {"custom_fields", {{"tier", "gold"}, {"tiers", {"gold", "silver"}}}}});
  response = client.send(
      Verb::post, kVms,
      {{"name", "vm2"}, {"cluster", t.cluster}, {"custom_fields", {{"tier", "bronze"}}}});
  ASSERT_EQ(response.code(), 400u);
  EXPECT_EQ(body_of(response).at("__all__").at(0),
            "Invalid value for custom field 'tier': Invalid choice (bronze) for choice set Tiers.");
  response = client.send(
      Verb::post, kVms,
      {{"name", "vm2"}, {"cluster", t.cluster}, {"custom_fields", {{"tiers", {"gold", "lead"}}}}});
  EXPECT_EQ(body_of(response).at("__all__").at(0),
            "Invalid value for custom field 'tiers': Invalid choice(s) (['gold', 'lead']) for "
            "choice set Tiers.");
  EXPECT_EQ(client.get(std::string(kVms) + "?cf_tier=gold").at("count"), 1);
  EXPECT_EQ(client
                .call(Verb::delete_,
                      "/api/extras/custom-field-choice-sets/" + std::to_string(tiers) + "/")
                .code(),
            409u)
      << "a choice set used by a custom field is protected";
}

TEST(NetboxChoiceSets, AChoiceInUseCannotBeRemoved) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  const int64_t tiers = client.create(
      "/api/extras/custom-field-choice-sets/",
      {{"name", "Tiers"}, {"extra_choices", pairs({{"gold", "Gold"}, {"silver", "Silver"}})}});
  client.create("/api/extras/custom-fields/",
                {{"name", "tiers"},
                 {"type", "multiselect"},
                 {"choice_set", tiers},
                 {"object_types", {"virtualization.virtualmachine"}}});
  client.create(
      kVms, {{"name", "vm1"}, {"cluster", t.cluster}, {"custom_fields", {{"tiers", {"gold"}}}}});
  const std::string set = "/api/extras/custom-field-choice-sets/" + std::to_string(tiers) + "/";
  auto response = client.send(Verb::patch, set, {{"extra_choices", pairs({{"silver", "S"}})}});
  ASSERT_EQ(response.code(), 400u) << response.body;
  EXPECT_EQ(body_of(response).at("__all__").at(0),
            "Cannot remove choice gold as there are Virtualization > Virtual Machine objects which "
            "reference it.");
  response = client.send(Verb::patch, set, {{"extra_choices", pairs({{"gold", "G"}})}});
  EXPECT_EQ(response.code(), 200u) << "silver is unused: " << response.body;
}

TEST(NetboxChoiceSets, PairsBaseOrExtraAndAlphabeticalOrder) {
  EmulatorClient client;
  const std::string sets = "/api/extras/custom-field-choice-sets/";
  auto response = client.send(Verb::post, sets,
                              {{"name", "A"}, {"extra_choices", json::array{json::array{"x"}}}});
  EXPECT_EQ(body_of(response).at("extra_choices").at(0),
            "Ensure this field has at least 2 elements.");
  response = client.send(Verb::post, sets, {{"name", "A"}, {"extra_choices", json::array{}}});
  EXPECT_EQ(body_of(response).at("__all__").at(0), "Must define base or extra choices.");
  response = client.send(Verb::post, sets, {{"name", "A"}});
  EXPECT_EQ(body_of(response).at("extra_choices").at(0), "This field is required.");
  response = client.send(
      Verb::post, sets,
      {{"name", "Countries"}, {"base_choices", "ISO_3166"}, {"extra_choices", json::array{}}});
  ASSERT_EQ(response.code(), 201u) << response.body;
  EXPECT_EQ(body_of(response).at("base_choices"),
            (json::value{{"value", "ISO_3166"}, {"label", "ISO 3166 (Country codes)"}}));
  response = client.send(Verb::post, sets,
                         {{"name", "Sorted"},
                          {"order_alphabetically", true},
                          {"extra_choices", pairs({{"b", "Bee"}, {"a", "Ay"}})}});
  ASSERT_EQ(response.code(), 201u) << response.body;
  EXPECT_EQ(body_of(response).at("extra_choices"), pairs({{"a", "Ay"}, {"b", "Bee"}}));
  EXPECT_EQ(body_of(response).at("choices_count"), 2);
}

// ---- plugin, persistence, admin, versions --------------------------------------------------

TEST(NetboxPlugin, BackupUniqueByStorageVmAndVolume) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  const int64_t vm = client.create(kVms, {{"name", "vm1"}, {"cluster", t.cluster}});
  const json::object backup{{"storage", "local"},
                            {"virtual_machine", vm},
                            {"volume_id", "local:backup/vzdump-qemu-100.vma.zst"},
                            {"subtype", "qemu"},
                            {"vmid", 100}};
  client.create("/api/plugins/proxbox/backups/", backup);
  const auto duplicate = client.send(Verb::post, "/api/plugins/proxbox/backups/", backup);
  EXPECT_EQ(duplicate.code(), 400u);
  EXPECT_TRUE(body_of(duplicate).as_object().contains("__all__"));
  client.create("/api/plugins/proxbox/storage/", {{"cluster", t.cluster}, {"name", "local"}});
  client.create("/api/plugins/proxbox/snapshots/",
                {{"virtual_machine", vm}, {"name", "snap"}, {"vmid", 100}, {"node", "pve1"}});
  EXPECT_EQ(client.get("/api/plugins/proxbox/backups/?virtual_machine_id=" + std::to_string(vm))
                .at("results")
                .at(0)
                .at("subtype")
                .at("label"),
            "QEMU");
}

TEST(NetboxPersistence, RestartKeepsEveryObject) {
  const auto file = std::filesystem::temp_directory_path() /
                    ("netbox-emulator-" + std::to_string(::getpid()) + ".sqlite");
  std::filesystem::remove(file);
  {
    EmulatorClient client({.database = file.string()});
    make_topology(client);
  }
  {
    EmulatorClient client({.database = file.string()});
    EXPECT_EQ(client.get("/api/virtualization/clusters/").at("results").at(0).at("name"), "pve");
    EXPECT_EQ(client.get("/api/dcim/device-types/").at("count"), 1);
  }
  for (const char* suffix : {"", "-wal", "-shm"})
    std::filesystem::remove(file.string() + suffix);
}

TEST(NetboxAdmin, StatsCountWritesAndResetClears) {
  EmulatorClient client;
  client.send(Verb::post, kVms, {{"name", "x"}});  // 400, still a write request
  make_topology(client);
  const auto stats = client.get("/api/__emulator__/stats");
  EXPECT_EQ(stats.at("requests").at("POST /api/virtualization/virtual-machines/"), 1);
  EXPECT_EQ(stats.at("writes"), 7);
  EXPECT_EQ(client.call(Verb::post, "/api/__emulator__/reset", {}, "").code(), 403u);
  EXPECT_EQ(client.call(Verb::post, "/api/__emulator__/reset").code(), 200u);
  EXPECT_EQ(client.get("/api/dcim/sites/").at("count"), 0);
  EXPECT_EQ(client.get("/api/__emulator__/stats").at("writes"), 0);
}

TEST(NetboxVersions, EtagAndIfMatchFrom46) {
  EmulatorClient client;
  const int64_t id = client.create("/api/dcim/sites/", {{"name", "A"}, {"slug", "a"}});
  const std::string item = "/api/dcim/sites/" + std::to_string(id) + "/";
  const std::string etag(client.call(Verb::get, item).headers["ETag"]);
  ASSERT_FALSE(etag.empty());
  client.set_header("If-Match", etag);
  const auto first = client.send(Verb::patch, item, {{"description", "one"}});
  EXPECT_EQ(first.code(), 200u);
  EXPECT_NE(first.headers["ETag"], etag);
  EXPECT_EQ(client.send(Verb::patch, item, {{"description", "two"}}).code(), 412u)
      << "the stale ETag no longer matches";
  EXPECT_EQ(client.get(item).at("description"), "one");
  EmulatorClient v45({.version = "4.5", .full_version = "4.5.3"});
  const int64_t other = v45.create("/api/dcim/sites/", {{"name", "A"}, {"slug", "a"}});
  EXPECT_TRUE(v45.call(Verb::get, "/api/dcim/sites/" + std::to_string(other) + "/")
                  .headers["ETag"]
                  .empty());
}

TEST(NetboxVersions, FieldsFollowTheVersion) {
  EmulatorClient v42({.version = "4.2", .full_version = "4.2.2"});
  EmulatorClient v45({.version = "4.5", .full_version = "4.5.3"});
  for (EmulatorClient* client : {&v42, &v45}) {
    const Topology t = make_topology(*client);
    client->create(kVms, {{"name", "vm"}, {"cluster", t.cluster}});
  }
  EXPECT_FALSE(v42.get(kVms).at("results").at(0).as_object().contains("start_on_boot"));
  EXPECT_TRUE(v45.get(kVms).at("results").at(0).as_object().contains("start_on_boot"));
  EXPECT_TRUE(
      v42.get(std::string(kVms) + "?omit=tags").at("results").at(0).as_object().contains("tags"))
      << "omit= arrived in 4.6";
}

TEST(NetboxVersions, ClusterAllocationsSumItsVirtualMachines) {
  EmulatorClient client({.version = "4.2", .full_version = "4.2.2"});
  const Topology t = make_topology(client);
  const std::string cluster = "/api/virtualization/clusters/" + std::to_string(t.cluster) + "/";
  EXPECT_EQ(client.get(cluster).at("allocated_vcpus"), nullptr) << "Sum() over no VMs is null";
  client.create(
      kVms, {{"name", "a"}, {"cluster", t.cluster}, {"vcpus", 2}, {"memory", 1024}, {"disk", 10}});
  client.create(kVms, {{"name", "b"}, {"cluster", t.cluster}, {"vcpus", 1.5}, {"memory", 2048}});
  const auto single = client.get(cluster);
  EXPECT_EQ(single.at("allocated_vcpus"), 3.5);
  EXPECT_EQ(single.at("allocated_memory"), 3072);
  EXPECT_EQ(single.at("allocated_disk"), 10);
  const auto listed = client.get("/api/virtualization/clusters/").at("results").at(0);
  EXPECT_EQ(listed.at("allocated_memory"), 3072) << "the list's prefetch agrees";
  EXPECT_EQ(listed.at("allocated_vcpus"), 3.5);
}

TEST(NetboxVersions, OwnersFrom45) {
  EmulatorClient v42({.version = "4.2", .full_version = "4.2.2"});
  EXPECT_EQ(v42.call(Verb::get, "/api/users/owners/").code(), 404u);
  const auto refused =
      v42.send(Verb::post, "/api/dcim/sites/", {{"name", "S"}, {"slug", "s"}, {"owner", nullptr}});
  EXPECT_EQ(body_of(refused).at("owner").at(0), "Unknown field.");

  EmulatorClient v45({.version = "4.5", .full_version = "4.5.3"});
  const int64_t owner = v45.create("/api/users/owners/", {{"name", "Ops"}});
  const int64_t site =
      v45.create("/api/dcim/sites/", {{"name", "S"}, {"slug", "s"}, {"owner", owner}});
  const auto rendered = v45.get("/api/dcim/sites/" + std::to_string(site) + "/");
  EXPECT_EQ(rendered.at("owner").at("name"), "Ops");
  EXPECT_EQ(v45.get("/api/dcim/sites/?owner_id=" + std::to_string(owner)).at("count"), 1);
  EXPECT_EQ(v45.get("/api/dcim/sites/?owner=Ops").at("count"), 1);
  EXPECT_EQ(v45.call(Verb::delete_, "/api/users/owners/" + std::to_string(owner) + "/").code(),
            409u)
      << "an owner of objects is protected";
  const int64_t tag = v45.create("/api/extras/tags/", {{"name", "T"}, {"slug", "t"}});
  EXPECT_FALSE(
      v45.get("/api/extras/tags/" + std::to_string(tag) + "/").as_object().contains("owner"));
}

TEST(NetboxVersions, CommentsWeightsAndSchemasFollowTheVersion) {
  EmulatorClient v42({.version = "4.2", .full_version = "4.2.2"});
  EmulatorClient v45({.version = "4.5", .full_version = "4.5.3"});
  EmulatorClient v46;
  const json::object manufacturer{{"name", "M"}, {"slug", "m"}, {"comments", "c"}};
  EXPECT_EQ(
      body_of(v42.send(Verb::post, "/api/dcim/manufacturers/", manufacturer)).at("comments").at(0),
      "Unknown field.");
  const int64_t made = v45.create("/api/dcim/manufacturers/", manufacturer);
  const auto rendered = v45.get("/api/dcim/manufacturers/" + std::to_string(made) + "/");
  EXPECT_EQ(rendered.at("comments"), "c");
  EXPECT_EQ(rendered.at("moduletype_count"), 0);
  v45.create("/api/virtualization/cluster-types/",
             {{"name", "T"}, {"slug", "t"}, {"comments", "c"}});
  v45.create("/api/dcim/device-roles/", {{"name", "R"}, {"slug", "r"}, {"comments", "4.3"}});
  for (EmulatorClient* client : {&v42, &v45})
    client->create("/api/extras/tags/", {{"name", "T"}, {"slug", "t"}});
  EXPECT_EQ(v45.get("/api/extras/tags/").at("results").at(0).at("weight"), 1000) << "4.3";
  EXPECT_FALSE(v42.get("/api/extras/tags/").at("results").at(0).as_object().contains("weight"));
  const json::object field{{"name", "doc"},
                           {"type", "json"},
                           {"object_types", {"dcim.site"}},
                           {"validation_schema", {{"type", "object"}}}};
  EXPECT_EQ(body_of(v45.send(Verb::post, "/api/extras/custom-fields/", field))
                .at("validation_schema")
                .at(0),
            "Unknown field.");
  const int64_t cf = v46.create("/api/extras/custom-fields/", field);
  EXPECT_EQ(v46.get("/api/extras/custom-fields/" + std::to_string(cf) + "/")
                .at("validation_schema")
                .at("type"),
            "object");
}

TEST(NetboxVersions, VmOnAStandaloneHostFrom46) {
  for (const char* version : {"4.5", "4.6"}) {
    SCOPED_TRACE(version);
    EmulatorClient client({.version = version, .full_version = version});
    const Topology t = make_topology(client);
    const int64_t standalone = client.create(
        "/api/dcim/devices/",
        {{"name", "host1"}, {"device_type", t.device_type}, {"role", t.role}, {"site", t.site}});
    const int64_t clustered = client.create("/api/dcim/devices/", {{"name", "host2"},
                                                                   {"device_type", t.device_type},
                                                                   {"role", t.role},
                                                                   {"site", t.site},
                                                                   {"cluster", t.cluster}});
    auto response = client.send(Verb::post, kVms, {{"name", "vm"}, {"device", standalone}});
    const auto clustered_host =
        client.send(Verb::post, kVms, {{"name", "vm2"}, {"device", clustered}});
    const auto nowhere = client.send(Verb::post, kVms, {{"name", "vm3"}});
    if (std::string_view(version) == "4.5") {
      EXPECT_EQ(body_of(response).at("device").at(0),
                "Must specify a cluster when assigning a host device.");
      EXPECT_EQ(body_of(nowhere).at("cluster").at(0),
                "A virtual machine must be assigned to a site and/or cluster.");
      continue;
    }
    ASSERT_EQ(response.code(), 201u) << response.body;
    EXPECT_EQ(body_of(response).at("site").at("id"), t.site) << "the site follows the host";
    EXPECT_EQ(body_of(clustered_host).at("cluster").at(0),
              "Must specify the assigned device's cluster (pve) when assigning host device "
              "host2.");
    EXPECT_EQ(body_of(nowhere).at("__all__").at(0),
              "A virtual machine must be assigned to a site, cluster, or device.");
    const auto twin = client.send(Verb::post, kVms, {{"name", "VM"}, {"device", standalone}});
    EXPECT_EQ(body_of(twin).at("__all__").at(0), "Virtual machine name must be unique per device.");
  }
}

TEST(NetboxRules, VmClusterSiteAndHostMismatchesNameTheObjects) {
  EmulatorClient client;
  const Topology t = make_topology(client);
  const int64_t elsewhere = client.create("/api/dcim/sites/", {{"name", "DC2"}, {"slug", "dc2"}});
  const int64_t host = client.create(
      "/api/dcim/devices/",
      {{"name", "host1"}, {"device_type", t.device_type}, {"role", t.role}, {"site", t.site}});
  auto response =
      client.send(Verb::post, kVms, {{"name", "vm"}, {"cluster", t.cluster}, {"site", elsewhere}});
  EXPECT_EQ(body_of(response).at("cluster").at(0),
            "The selected cluster (pve) is not assigned to this site (DC2).");
  response =
      client.send(Verb::post, kVms, {{"name", "vm"}, {"cluster", t.cluster}, {"device", host}});
  EXPECT_EQ(body_of(response).at("device").at(0),
            "The selected device (host1) is not assigned to this cluster (pve).");
  response = client.send(Verb::post, kVms, {{"name", "vm"}, {"device", host}, {"site", elsewhere}});
  EXPECT_EQ(body_of(response).at("site").at(0),
            "The selected device (host1) is not assigned to this site (DC2).");
}

TEST(NetboxVersions, PlatformNamesUniquePerManufacturerFrom44) {
  for (const char* version : {"4.2", "4.5"}) {
    SCOPED_TRACE(version);
    EmulatorClient client({.version = version, .full_version = version});
    const int64_t acme =
        client.create("/api/dcim/manufacturers/", {{"name", "Acme"}, {"slug", "acme"}});
    const int64_t other =
        client.create("/api/dcim/manufacturers/", {{"name", "Other"}, {"slug", "other"}});
    client.create("/api/dcim/platforms/",
                  {{"name", "Linux"}, {"slug", "linux"}, {"manufacturer", acme}});
    const auto elsewhere =
        client.send(Verb::post, "/api/dcim/platforms/",
                    {{"name", "Linux"}, {"slug", "linux"}, {"manufacturer", other}});
    const auto same = client.send(Verb::post, "/api/dcim/platforms/",
                                  {{"name", "Linux"}, {"slug", "linux-2"}, {"manufacturer", acme}});
    if (std::string_view(version) == "4.2") {
      EXPECT_EQ(body_of(elsewhere).at("name").at(0), "platform with this name already exists.");
      continue;
    }
    EXPECT_EQ(elsewhere.code(), 201u) << elsewhere.body;
    EXPECT_EQ(body_of(same).at("__all__").at(0),
              "Platform with this Manufacturer and Name already exists.");
    client.create("/api/dcim/platforms/", {{"name", "BSD"}, {"slug", "bsd"}});
    const auto unowned =
        client.send(Verb::post, "/api/dcim/platforms/", {{"name", "BSD"}, {"slug", "bsd-2"}});
    EXPECT_EQ(body_of(unowned).at("__all__").at(0), "Platform name must be unique.");
  }
}

}  // namespace
}  // namespace pbx::netbox::testing
