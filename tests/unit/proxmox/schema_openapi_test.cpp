#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "proxmox/api_schema.hpp"
#include "proxmox/openapi.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using http::Verb;

size_t count_operations(const json::object& document) {
  size_t count = 0;
  for (const auto& [path, item] : document.at("paths").get_object())
    count += item.get_object().size();
  return count;
}

const std::vector<ExtraPath>& extras() {
  static const std::vector<ExtraPath> paths{
      {Verb::get, "/health", "Readiness", json::parse(R"({"type":"object"})")},
      {Verb::get, "/", "Service description", nullptr},
      {Verb::get, "/version", "OpenAPI document", nullptr},
      {Verb::post, "/mock/reset", "Reset state", nullptr},
  };
  return paths;
}

TEST(OpenApiTest, EveryOperationPlusExtras) {
  for (const char* file : {"pve-latest.json", "pbs-latest.json"}) {
    const auto schema =
        ApiSchema::load(std::filesystem::path(PBX_SHARED_DIR) / "schemas" / "proxmox" / file);
    const auto service = std::string(file).starts_with("pbs") ? Service::pbs : Service::pve;
    const auto document = build_openapi(schema, service, extras());
    EXPECT_EQ(document.at("openapi"), "3.1.0");
    EXPECT_EQ(count_operations(document), schema.operation_count() + extras().size()) << file;
    EXPECT_EQ(document.at("paths").get_object().size(), schema.path_count() + extras().size());
    // Round-trips as JSON text, as it will be served.
    const auto text = json::serialize(document);
    EXPECT_EQ(json::parse(text), json::value(document));
  }
}

TEST(OpenApiTest, OperationsCarryParametersBodiesAndResponses) {
  const auto schema = ApiSchema::load(std::filesystem::path(PBX_SHARED_DIR) / "schemas" /
                                      "proxmox" / "pve-latest.json");
  const auto document = build_openapi(schema, Service::pve, {});
  const auto& paths = document.at("paths").get_object();
  const auto& list = paths.at("/api2/json/nodes/{node}/qemu").at("get").get_object();
  const auto& parameters = list.at("parameters").get_array();
  ASSERT_EQ(parameters.size(), 2u);
  EXPECT_EQ(parameters[0].at("name"), "node");
  EXPECT_EQ(parameters[0].at("in"), "path");
  EXPECT_EQ(parameters[1].at("name"), "full");
  EXPECT_EQ(parameters[1].at("in"), "query");
  EXPECT_EQ(parameters[1].at("required"), false);
  EXPECT_EQ(list.at("responses")
                .at("200")
                .at("content")
                .at("application/json")
                .at("schema")
                .at("properties")
                .at("data")
                .at("type"),
            "array");
  EXPECT_TRUE(list.at("responses").get_object().contains("400"));

  const auto& create = paths.at("/api2/json/nodes/{node}/qemu").at("post").get_object();
  const auto& content = create.at("requestBody").at("content").get_object();
  ASSERT_TRUE(content.contains("application/json"));
  ASSERT_TRUE(content.contains("application/x-www-form-urlencoded"));
  const auto& body = content.at("application/json").at("schema").get_object();
  EXPECT_EQ(body.at("required"), json::array{"vmid"});
  EXPECT_TRUE(body.at("patternProperties").get_object().contains("^net\\d+$"));
  EXPECT_FALSE(body.at("properties").get_object().contains("node"));
}

TEST(OpenApiTest, StubServiceHasOnlyExtras) {
  const auto document = build_openapi(Service::pdm, extras());
  EXPECT_EQ(document.at("openapi"), "3.1.0");
  EXPECT_EQ(count_operations(document), extras().size());
  EXPECT_NE(json::serialize(document).find("Datacenter Manager"), std::string::npos);
}

}  // namespace
}  // namespace pbx::proxmox
