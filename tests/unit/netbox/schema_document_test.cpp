// /api/schema/ (netbox/schema_document.cpp): the emulated version's OpenAPI document, generated
// from the model registry. The emulator's own answers validate against it, and for 4.2 it
// stays inside NetBox 4.2.2's published document (the contract test's reference).

#include "netbox/schema_document.hpp"

#include <gtest/gtest.h>

#include <set>

#include "emulator_test_support.hpp"
#include "netbox/model.hpp"
#include "netbox/openapi_validator.hpp"

namespace pbx::netbox::testing {
namespace {

using http::Verb;

OpenApiDocument fetch_document(EmulatorClient& client) {
  const auto response = client.call(Verb::get, "/api/schema/?format=json", {}, "");
  EXPECT_EQ(response.code(), 200u) << response.body;
  EXPECT_EQ(response.header(http::Field::content_type), "application/vnd.oai.openapi+json");
  return OpenApiDocument(json::parse(response.body));
}

void expect_valid(const OpenApiDocument& document, Verb verb, const std::string& target,
                  const http::Response& response) {
  std::string method(boost::beast::http::to_string(verb));
  for (char& c : method)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto operation = document.find_operation(method, target.substr(0, target.find('?')));
  ASSERT_TRUE(operation) << method << " " << target;
  const json::value* schema = document.response_schema(*operation->operation, response.code());
  ASSERT_TRUE(schema) << method << " " << target << " " << response.code();
  for (const auto& problem :
       document.validate(*schema, json::parse(response.body), Direction::Response)) {
    ADD_FAILURE() << method << " " << target << ": " << problem;
  }
}

TEST(NetboxSchema, JsonYamlAndUnknownFormats) {
  EmulatorClient client;
  const OpenApiDocument document = fetch_document(client);
  const json::value& root = document.root();
  EXPECT_EQ(root.at("openapi"), "3.0.3");
  EXPECT_EQ(root.at("info").at("version"), "4.6.5 (4.6)");
  for (const char* path : {"/api/dcim/regions/", "/api/dcim/racks/{id}/", "/api/ipam/services/",
                           "/api/virtualization/virtual-machines/{id}/"}) {
    EXPECT_TRUE(root.at("paths").as_object().contains(path)) << path;
  }
  const auto yaml = client.call(Verb::get, "/api/schema/");
  EXPECT_EQ(yaml.header(http::Field::content_type), "application/vnd.oai.openapi");
  EXPECT_TRUE(yaml.body.starts_with("\"openapi\": \"3.0.3\"\n\"info\":\n"))
      << yaml.body.substr(0, 80);
  EXPECT_EQ(client.call(Verb::get, "/api/schema/?format=openapi").header(http::Field::content_type),
            "application/vnd.oai.openapi");
  client.set_header("Accept", "application/json");
  EXPECT_EQ(client.call(Verb::get, "/api/schema/").header(http::Field::content_type),
            "application/vnd.oai.openapi+json");
  EXPECT_EQ(client.call(Verb::get, "/api/schema/?format=xml").code(), 404u);
}

TEST(NetboxSchema, FollowsTheVersionAndListsTheFilters) {
  EmulatorClient v42({.version = "4.2", .full_version = "4.2.2"});
  const OpenApiDocument old = fetch_document(v42);
  const json::object& service = old.root().at("components").at("schemas").at("Service").as_object();
  EXPECT_TRUE(service.at("properties").as_object().contains("virtual_machine"));
  EXPECT_FALSE(service.at("properties").as_object().contains("parent_object_type"));
  EXPECT_FALSE(old.root().at("paths").as_object().contains("/api/users/owners/"));
  std::set<std::string> parameters;
  for (const json::value& parameter :
       old.root().at("paths").at("/api/dcim/devices/").at("get").at("parameters").as_array()) {
    parameters.insert(std::string(parameter.at("name").as_string()));
  }
  for (const char* name : {"site_id", "site", "name__ic", "status", "tag", "limit", "q",
                           "region_id", "site_group", "cf_x"}) {
    EXPECT_EQ(parameters.count(name), std::string(name) == "cf_x" ? 0u : 1u) << name;
  }
  EmulatorClient v46;
  const OpenApiDocument current = fetch_document(v46);
  const json::object& newer =
      current.root().at("components").at("schemas").at("Service").as_object();
  EXPECT_TRUE(newer.at("required").as_array().size() > 0);
  EXPECT_TRUE(newer.at("properties").as_object().contains("parent"));
  std::set<std::string> service_filters;
  for (const json::value& parameter :
       current.root().at("paths").at("/api/ipam/services/").at("get").at("parameters").as_array()) {
    service_filters.insert(std::string(parameter.at("name").as_string()));
  }
  EXPECT_EQ(service_filters.count("virtual_machine_id"), 1u);
  EXPECT_EQ(service_filters.count("parent_object_id"), 1u);
}

TEST(NetboxSchema, TheEmulatorsAnswersValidateAgainstIt) {
  for (const char* version : {"4.2", "4.6"}) {
    SCOPED_TRACE(version);
    EmulatorClient client({.version = version, .full_version = std::string(version) + ".0"});
    const OpenApiDocument document = fetch_document(client);
    const Topology t = make_topology(client);
    const int64_t region = client.create("/api/dcim/regions/", {{"name", "R"}, {"slug", "r"}});
    client.create("/api/dcim/sites/", {{"name", "S2"}, {"slug", "s2"}, {"region", region}});
    const int64_t vm = client.create(kVms, {{"name", "vm"}, {"cluster", t.cluster}});
    client.create("/api/dcim/racks/", {{"name", "R1"}, {"site", t.site}});
    const json::object service =
        std::string(version) == "4.2"
            ? json::object{{"name", "ssh"},
                           {"protocol", "tcp"},
                           {"ports", {22}},
                           {"virtual_machine", vm}}
            : json::object{{"name", "ssh"},
                           {"protocol", "tcp"},
                           {"ports", {22}},
                           {"parent_object_type", "virtualization.virtualmachine"},
                           {"parent_object_id", vm}};
    client.create("/api/ipam/services/", service);
    for (const Model& model : Registry::instance().models()) {
      if (!model.since.empty() && compare_versions(version, model.since) < 0) continue;
      const std::string list = "/api/" + model.path + "/";
      const auto listed = client.call(Verb::get, list);
      expect_valid(document, Verb::get, list, listed);
      const json::value page = json::parse(listed.body);
      for (const json::value& object : page.at("results").as_array()) {
        const std::string item = list + std::to_string(object.at("id").as_int64()) + "/";
        expect_valid(document, Verb::get, item, client.call(Verb::get, item));
      }
      // Brief results follow the Brief<Name> schema the page's items name, as NetBox's do.
      const json::value& items = document.root()
                                     .at("components")
                                     .at("schemas")
                                     .at("Paginated" + model.class_name + "List")
                                     .at("properties")
                                     .at("results")
                                     .at("items");
      const std::string full(items.at("$ref").as_string());
      const json::value brief{
          {"$ref", "#/components/schemas/Brief" + full.substr(full.rfind('/') + 1)}};
      const json::value briefs = json::parse(client.call(Verb::get, list + "?brief=1").body);
      for (const json::value& result : briefs.at("results").as_array()) {
        for (const auto& problem : document.validate(brief, result, Direction::Response)) {
          ADD_FAILURE() << list << "?brief=1: " << problem;
        }
      }
    }
  }
}

// For 4.2 the generated document describes nothing NetBox 4.2.2 does not: every path is
// NetBox's, and every property the emulator renders or accepts is one NetBox's schema has.
TEST(NetboxSchema, For42ItStaysInsideNetbox422sDocument) {
  const OpenApiDocument netbox = OpenApiDocument::load(std::filesystem::path(PBX_SHARED_DIR) /
                                                       "schemas" / "netbox" / "netbox-4.2.2.json");
  EmulatorClient client({.version = "4.2", .full_version = "4.2.2"});
  const OpenApiDocument ours = fetch_document(client);
  auto names = [](const OpenApiDocument& document, const json::value& schema) {
    std::set<std::string> out;
    const json::value* current = &schema;
    if (const json::value* arms = current->as_object().if_contains("oneOf")) current = &arms->at(0);
    if (const json::value* ref = current->as_object().if_contains("$ref")) {
      const std::string name(ref->as_string());
      current =
          &document.root().at("components").at("schemas").at(name.substr(name.rfind('/') + 1));
    }
    for (const auto& [name, value] : current->at("properties").as_object())
      out.emplace(name);
    return out;
  };
  size_t checked = 0;
  for (const auto& [path, item] : ours.root().at("paths").as_object()) {
    if (path.starts_with("/api/plugins/") || path == "/api/schema/" || path == "/api/status/")
      continue;
    ASSERT_TRUE(netbox.root().at("paths").as_object().contains(path)) << path;
    if (path.ends_with("{id}/")) continue;
    const std::string concrete(path);
    const auto theirs = netbox.find_operation("post", concrete);
    const auto mine = ours.find_operation("post", concrete);
    ASSERT_TRUE(theirs && mine) << path;
    const auto their_written = names(netbox, *netbox.request_schema(*theirs->operation));
    for (const std::string& name : names(ours, *ours.request_schema(*mine->operation))) {
      EXPECT_TRUE(their_written.count(name)) << path << " accepts " << name;
    }
    const auto their_rendered = names(netbox, *netbox.response_schema(*theirs->operation, 201));
    for (const std::string& name : names(ours, *ours.response_schema(*mine->operation, 201))) {
      EXPECT_TRUE(their_rendered.count(name)) << path << " renders " << name;
    }
    ++checked;
  }
  EXPECT_GE(checked, 25u);
}

}  // namespace
}  // namespace pbx::netbox::testing
