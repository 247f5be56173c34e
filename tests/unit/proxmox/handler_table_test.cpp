// The handler table: keyed by schema operation, checked against the loaded schema at start-up,
// and the release facts each schema file implies.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <stdexcept>

#include "mock_test_support.hpp"
#include "proxmox/handlers.hpp"
#include "proxmox/release.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using namespace pbx::proxmox::testing;
using http::Verb;

const ApiSchema& pve_schema(std::string_view file) {
  static std::map<std::string, ApiSchema, std::less<>> loaded;
  auto it = loaded.find(file);
  if (it == loaded.end()) {
    it = loaded
             .emplace(std::string(file),
                      ApiSchema::load(ApiSchema::default_schema_dir() / std::string(file)))
             .first;
  }
  return it->second;
}

HandlerSpec answer(std::string text) {
  return reader([text](const ClusterState&, const ApiCall&) { return ApiResult::ok(text); });
}

TEST(HandlerTableTest, EveryShippedSchemaBindsEveryRegisteredHandler) {
  for (const char* file : {"pve-8.3.json", "pve-9.1.json", "pve-latest.json"}) {
    const ApiSchema& schema = pve_schema(file);
    const HandlerTable table = pve_handlers(release_of(Service::pve, schema));
    const BoundHandlers bound = bind_handlers(table, schema);
    EXPECT_EQ(bound.size(), table.entries().size()) << file;
  }
  const ApiSchema& pbs = *schema_for(Service::pbs);
  const HandlerTable table = pbs_handlers(release_of(Service::pbs, pbs));
  EXPECT_EQ(bind_handlers(table, pbs).size(), table.entries().size());
}

TEST(HandlerTableTest, AHandlerForAnOperationTheSchemaLacksFailsStartUp) {
  HandlerTable table;
  table.add(Verb::get, "/version", answer("ok"));
  // Not in any Proxmox VE schema: containers have no asynchronous config update.
  table.add(Verb::post, "/nodes/{node}/lxc/{vmid}/config", answer("dead"));
  table.add(Verb::get, "/nodes/{node}/qemu/{vmid}/confg", answer("typo"));
  try {
    (void)bind_handlers(table, pve_schema("pve-latest.json"));
    FAIL() << "binding must fail";
  } catch (const std::runtime_error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("POST /nodes/{node}/lxc/{vmid}/config"), std::string::npos) << message;
    EXPECT_NE(message.find("GET /nodes/{node}/qemu/{vmid}/confg"), std::string::npos) << message;
    EXPECT_EQ(message.find("GET /version"), std::string::npos) << message;
    EXPECT_NE(message.find("pve-latest.json"), std::string::npos) << message;
  }
}

TEST(HandlerTableTest, VersionSpecificHandlersBindOnlyWhereTheSchemaHasThem) {
  HandlerTable table;
  // HA rules arrived with Proxmox VE 9.
  table.add(Verb::get, "/cluster/ha/rules", answer("rules"), Availability::version_specific);
  const ApiSchema& old_schema = pve_schema("pve-8.3.json");
  const ApiSchema& new_schema = pve_schema("pve-9.1.json");
  EXPECT_EQ(bind_handlers(table, old_schema).size(), 0u);
  const BoundHandlers bound = bind_handlers(table, new_schema);
  const Operation* rules = new_schema.operation(Verb::get, "/cluster/ha/rules");
  ASSERT_NE(rules, nullptr);
  ASSERT_NE(bound.find(*rules), nullptr);
  EXPECT_EQ(bound.find(*new_schema.operation(Verb::get, "/version")), nullptr);
}

TEST(HandlerTableTest, AKeyRegisteredTwiceIsAProgrammingError) {
  HandlerTable table;
  table.add(Verb::get, "/version", answer("one"));
  EXPECT_THROW(table.add(Verb::get, "/version", answer("two")), std::logic_error);
  EXPECT_NO_THROW(table.add(Verb::put, "/version", answer("other method")));
  EXPECT_EQ(to_string(OperationKey{Verb::delete_, "/pools/{poolid}"}), "DELETE /pools/{poolid}");
}

TEST(HandlerTableTest, ContainerConfigHasNoAsynchronousUpdate) {
  Engine engine(test_options());
  const Reply post = call(engine, Verb::post, "/api2/json/nodes/pve1/lxc/101/config", "cores=2");
  EXPECT_EQ(post.status, 501u) << post.body;
  const Reply put = call(engine, Verb::put, "/api2/json/nodes/pve1/lxc/101/config", "cores=2");
  EXPECT_EQ(put.status, 200u) << put.body;
}

TEST(ReleaseTest, EachSchemaFileMapsToTheReleaseItDescribes) {
  EXPECT_EQ(release_for(Service::pve, "pve-8.3").version, "8.3.2");
  EXPECT_EQ(release_for(Service::pve, "pve-8.3").release, "8.3");
  EXPECT_EQ(release_for(Service::pve, "pve-9.1").version, "9.1.2");
  EXPECT_EQ(release_for(Service::pve, "pve-latest").release, "9.1");
  EXPECT_EQ(release_for(Service::pbs, "pbs-latest").release, "4.0");
  // Outside the table: the release the name states, else the newest.
  EXPECT_EQ(release_for(Service::pve, "pve-8.4").version, "8.4.0");
  EXPECT_EQ(release_for(Service::pve, "pve-8.4").release, "8.4");
  EXPECT_EQ(release_for(Service::pve, "my-copy").version, "9.1.2");
  EXPECT_EQ(release_for(Service::pve, "pve-8.x").version, "9.1.2");
}

// Started with an older schema, every view names that release, not the newest.
TEST(ReleaseTest, TheMockReportsTheReleaseOfItsSchemaEverywhere) {
  struct Expect {
    const char* file;
    const char* label;
    const char* version;
    const char* release;
  };
  for (const Expect expect : {Expect{"pve-8.3.json", "pve-8.3", "8.3.2", "8.3"},
                              Expect{"pve-9.1.json", "pve-9.1", "9.1.2", "9.1"}}) {
    EngineOptions options = test_options();
    options.schema.reset();
    options.schema_file = ApiSchema::default_schema_dir() / expect.file;
    Engine engine(options);
    const Reply root = get(engine, "/");
    EXPECT_EQ(root.json.at("schema").at("version").as_string(), expect.label);
    const Reply version = get(engine, "/api2/json/version");
    ASSERT_EQ(version.status, 200u) << version.body;
    EXPECT_EQ(version.data().at("version").as_string(), expect.version);
    EXPECT_EQ(version.data().at("release").as_string(), expect.release);
    const Reply status = get(engine, "/api2/json/nodes/pve1/status");
    ASSERT_EQ(status.status, 200u) << status.body;
    const std::string pveversion(status.data().at("pveversion").as_string());
    EXPECT_EQ(pveversion.find(std::string("pve-manager/") + expect.version + "/"), 0u)
        << pveversion;
  }
}

}  // namespace
}  // namespace pbx::proxmox
