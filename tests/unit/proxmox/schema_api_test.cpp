#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "proxmox/api_schema.hpp"

namespace pbx::proxmox {
namespace {

using http::Verb;

std::filesystem::path schema_dir() {
  return std::filesystem::path(PBX_SHARED_DIR) / "schemas" / "proxmox";
}

const ApiSchema& pve_latest() {
  static const ApiSchema schema = ApiSchema::load(schema_dir() / "pve-latest.json");
  return schema;
}

struct SchemaCounts {
  const char* file;
  size_t operations;
  size_t paths;
};

class SchemaCountTest : public testing::TestWithParam<SchemaCounts> {};

TEST_P(SchemaCountTest, OperationAndPathCountsMatchTheSchemaFile) {
  const auto& expected = GetParam();
  const auto schema = ApiSchema::load(schema_dir() / expected.file);
  EXPECT_EQ(schema.operation_count(), expected.operations);
  EXPECT_EQ(schema.path_count(), expected.paths);
  EXPECT_EQ(schema.operations().size(), expected.operations);
  std::set<std::pair<std::string, Verb>> distinct;
  for (const auto& op : schema.operations()) {
    distinct.emplace(op.path, op.method);
    ASSERT_NE(op.parameters, nullptr);
    ASSERT_NE(op.returns, nullptr);
    ASSERT_NE(op.permissions, nullptr);
  }
  EXPECT_EQ(distinct.size(), expected.operations);
}

INSTANTIATE_TEST_SUITE_P(AllSchemas, SchemaCountTest,
                         testing::Values(SchemaCounts{"pve-latest.json", 649, 431},
                                         SchemaCounts{"pve-9.1.json", 646, 428},
                                         SchemaCounts{"pve-8.3.json", 605, 398},
                                         SchemaCounts{"pbs-latest.json", 367, 246}),
                         [](const auto& test_info) {
                           std::string name = test_info.param.file;
                           for (auto& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST(ApiSchemaTest, FindFillsPathParameters) {
  http::Params params;
  const auto lookup = pve_latest().find(Verb::get, "/nodes/pve1/qemu/100/status/current", params);
  ASSERT_NE(lookup.operation, nullptr);
  EXPECT_EQ(lookup.operation->path, "/nodes/{node}/qemu/{vmid}/status/current");
  EXPECT_EQ(lookup.operation->name, "vm_status");
  EXPECT_EQ(lookup.operation->method, Verb::get);
  EXPECT_EQ(params, (http::Params{{"node", "pve1"}, {"vmid", "100"}}));
  EXPECT_EQ(lookup.operation->path_parameters, (std::vector<std::string>{"node", "vmid"}));
}

TEST(ApiSchemaTest, TrailingCidrAndVolumeTakeTheRestOfThePath) {
  const auto find = [](Verb method, const std::vector<std::string>& segments) {
    http::Params params;
    const auto lookup = pve_latest().find(method, segments, params);
    return std::pair{lookup.operation ? lookup.operation->path : std::string("-"), params};
  };
  // Encoded ("10.0.0.0%2F24": one decoded segment) and plain ("10.0.0.0/24": two) alike.
  for (const auto& cidr :
       {std::vector<std::string>{"10.0.0.0/24"}, std::vector<std::string>{"10.0.0.0", "24"}}) {
    for (const Verb method : {Verb::get, Verb::put, Verb::delete_}) {
      std::vector<std::string> segments{"cluster", "firewall", "ipset", "office"};
      segments.insert(segments.end(), cidr.begin(), cidr.end());
      const auto [path, params] = find(method, segments);
      EXPECT_EQ(path, "/cluster/firewall/ipset/{name}/{cidr}");
      EXPECT_EQ(params, (http::Params{{"name", "office"}, {"cidr", "10.0.0.0/24"}}));
    }
  }
  for (const char* guest : {"qemu", "lxc"}) {
    const auto [path, params] = find(Verb::delete_, {"nodes", "pve1", guest, "100", "firewall",
                                                     "ipset", "office", "dc", "alias1"});
    EXPECT_EQ(path, std::string("/nodes/{node}/") + guest + "/{vmid}/firewall/ipset/{name}/{cidr}");
    EXPECT_EQ(params.back(), (std::pair<std::string, std::string>{"cidr", "dc/alias1"}));
  }
  const auto [volume_path, volume_params] = find(
      Verb::get,
      {"nodes", "pve1", "storage", "local", "content", "local:backup", "vzdump-qemu-100.vma.zst"});
  EXPECT_EQ(volume_path, "/nodes/{node}/storage/{storage}/content/{volume}");
  EXPECT_EQ(volume_params.back().second, "local:backup/vzdump-qemu-100.vma.zst");
  // The parent paths keep their own operations.
  EXPECT_EQ(find(Verb::get, {"cluster", "firewall", "ipset", "office"}).first,
            "/cluster/firewall/ipset/{name}");
  http::Params params;
  EXPECT_EQ(pve_latest()
                .find(Verb::get, "/cluster/firewall/ipset/office/10.0.0.0/24", params)
                .operation->path,
            "/cluster/firewall/ipset/{name}/{cidr}");
}

TEST(ApiSchemaTest, LiteralSegmentsWinOverParameters) {
  http::Params params;
  const auto lookup = pve_latest().find(Verb::get, "/cluster/resources", params);
  ASSERT_NE(lookup.operation, nullptr);
  EXPECT_EQ(lookup.operation->path, "/cluster/resources");
  EXPECT_TRUE(params.empty());
}

TEST(ApiSchemaTest, DistinguishesUnknownPathFromMethodNotAllowed) {
  http::Params params;
  const auto unknown = pve_latest().find(Verb::get, "/nodes/pve1/nonsense", params);
  EXPECT_EQ(unknown.operation, nullptr);
  EXPECT_FALSE(unknown.path_known);
  EXPECT_TRUE(params.empty());

  const auto wrong_method = pve_latest().find(Verb::patch, "/nodes/pve1/qemu", params);
  EXPECT_EQ(wrong_method.operation, nullptr);
  EXPECT_TRUE(wrong_method.path_known);
  EXPECT_EQ(wrong_method.allowed, (std::vector<Verb>{Verb::get, Verb::post}));
  EXPECT_TRUE(params.empty());
}

TEST(ApiSchemaTest, HeadResolvesLikeGet) {
  http::Params params;
  const auto lookup = pve_latest().find(Verb::head, "/version", params);
  ASSERT_NE(lookup.operation, nullptr);
  EXPECT_EQ(lookup.operation->method, Verb::get);
}

TEST(ApiSchemaTest, ExactTemplateLookupAndFlags) {
  const auto* create = pve_latest().operation(Verb::post, "/nodes/{node}/qemu");
  ASSERT_NE(create, nullptr);
  EXPECT_EQ(create->name, "create_vm");
  EXPECT_TRUE(create->protected_);
  EXPECT_TRUE(create->allow_token);
  EXPECT_TRUE(create->parameters->contains("properties"));
  EXPECT_EQ(pve_latest().operation(Verb::put, "/nodes/{node}/qemu"), nullptr);
  EXPECT_EQ(pve_latest().version_label(), "pve-latest");
}

TEST(ApiSchemaTest, PbsOperationsAcceptTokens) {
  const auto schema = ApiSchema::load(schema_dir() / "pbs-latest.json");
  http::Params params;
  const auto lookup = schema.find(Verb::get, "/admin/datastore/store1/snapshots", params);
  ASSERT_NE(lookup.operation, nullptr);
  EXPECT_TRUE(lookup.operation->allow_token);
  EXPECT_EQ(params, (http::Params{{"store", "store1"}}));
}

TEST(ApiSchemaTest, SchemaStaysValidAfterMove) {
  auto schema = ApiSchema::load(schema_dir() / "pve-8.3.json");
  const Operation* before = &schema.operations().front();
  ApiSchema moved = std::move(schema);
  EXPECT_EQ(&moved.operations().front(), before);
  http::Params params;
  EXPECT_NE(moved.find(Verb::get, "/nodes", params).operation, nullptr);
}

TEST(ApiSchemaTest, DefaultFilePicksTheNewestSchemaPerService) {
  EXPECT_EQ(ApiSchema::default_file(Service::pve, schema_dir()), schema_dir() / "pve-latest.json");
  EXPECT_EQ(ApiSchema::default_file(Service::pbs, schema_dir()), schema_dir() / "pbs-latest.json");
  EXPECT_EQ(ApiSchema::default_file(Service::pdm, schema_dir()), std::nullopt);

  const auto dir = std::filesystem::temp_directory_path() /
                   ("pschema-default-file-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (const char* name : {"pve-8.3.json", "pve-10.0.json", "pve-9.1.json", "pve-notes.json"})
    std::ofstream(dir / name) << "[]";
  EXPECT_EQ(ApiSchema::default_file(Service::pve, dir), dir / "pve-10.0.json");
  std::filesystem::remove_all(dir);
}

TEST(ApiSchemaTest, DefaultSchemaDirHonoursEnvironment) {
  ::setenv("PROXMOX_MOCK_SCHEMA_DIR", "/tmp/somewhere", 1);
  EXPECT_EQ(ApiSchema::default_schema_dir(), std::filesystem::path("/tmp/somewhere"));
  ::unsetenv("PROXMOX_MOCK_SCHEMA_DIR");
  EXPECT_EQ(ApiSchema::default_schema_dir(), schema_dir());
}

TEST(ApiSchemaTest, LoadErrorsNameTheFile) {
  EXPECT_THROW(
      {
        try {
          ApiSchema::load("/nonexistent/pve.json");
        } catch (const std::runtime_error& e) {
          EXPECT_TRUE(std::string(e.what()).starts_with(
              "proxmox schema: cannot read /nonexistent/pve.json"))
              << e.what();
          throw;
        }
      },
      std::runtime_error);
  const auto bad = std::filesystem::temp_directory_path() /
                   ("pschema-bad-" + std::to_string(::getpid()) + ".json");
  std::ofstream(bad) << "[{\"path\": ";
  EXPECT_THROW(ApiSchema::load(bad), std::runtime_error);
  std::ofstream(bad) << "{}";
  EXPECT_THROW(ApiSchema::load(bad), std::runtime_error);
  std::filesystem::remove(bad);
  try {
    ApiSchema::load(std::filesystem::temp_directory_path());
    ADD_FAILURE() << "a directory loaded as a schema";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos) << e.what();
  }
}

TEST(ApiSchemaTest, LoadsEveryOperationOfTheLatestSchema) {
  // How fast a load is belongs to bench/mock/schema_bench.cpp, not to CTest (a loaded CI
  // machine made a wall-clock bound here fail).
  const auto schema = ApiSchema::load(schema_dir() / "pve-latest.json");
  EXPECT_EQ(schema.operation_count(), 649u);
}

}  // namespace
}  // namespace pbx::proxmox
