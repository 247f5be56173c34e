// Writes (netbox/writes.cpp): CRUD, bulk all-or-nothing, deletes with NetBox's on_delete rules.

#include <gtest/gtest.h>

#include "emulator_test_support.hpp"

namespace pbx::netbox::testing {
namespace {

using http::Verb;

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

// Issue 12.5: NetBox parses JSON (and multipart) bodies only; DRF answers any other media
// type, or none, with 415. An empty body is {} whatever its type.
TEST(NetboxWrites, BodiesMustBeJsonAsDrfParsesThem) {
  EmulatorClient client;
  const std::string site = R"({"name": "DC1", "slug": "dc1"})";
  const auto plain = client.call_as(Verb::post, "/api/dcim/sites/", site, "text/plain");
  EXPECT_EQ(plain.code(), 415u);
  EXPECT_EQ(body_of(plain),
            (json::value{{"detail", "Unsupported media type \"text/plain\" in request."}}));
  const auto untyped = client.call_as(Verb::post, "/api/dcim/sites/", site, "");
  EXPECT_EQ(untyped.code(), 415u);
  EXPECT_EQ(body_of(untyped), (json::value{{"detail", "Unsupported media type \"\" in request."}}));
  const auto form = client.call_as(Verb::patch, "/api/dcim/sites/", "[]", "multipart/form-data");
  EXPECT_EQ(form.code(), 415u);
  EXPECT_EQ(client.get("/api/dcim/sites/").at("count"), 0);
  const auto json =
      client.call_as(Verb::post, "/api/dcim/sites/", site, "Application/JSON; charset=utf-8");
  EXPECT_EQ(json.code(), 201u) << json.body;
  const auto empty = client.call_as(Verb::post, "/api/dcim/sites/", "", "text/plain");
  EXPECT_EQ(empty.code(), 400u);
  EXPECT_EQ(body_of(empty), (json::value{{"name", {"This field is required."}},
                                         {"slug", {"This field is required."}}}));
  const auto bulk = client.call_as(Verb::patch, "/api/dcim/sites/", "", "");
  EXPECT_EQ(body_of(bulk).at("non_field_errors").at(0),
            "Expected a list of items but got type \"dict\".");
}

}  // namespace
}  // namespace pbx::netbox::testing
