// GET /nodes/{node}/capabilities/qemu/cpu (pve_cpu_models.cpp): the built-in models and the
// scenario's custom ones, which round-trip through the scenario export.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "mock_test_support.hpp"
#include "proxmox/engine.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using namespace pbx::proxmox::testing;

const json::object* model_named(const json::array& models, std::string_view name) {
  for (const auto& model : models) {
    if (model.at("name").as_string() == name) return &model.as_object();
  }
  return nullptr;
}

TEST(CpuModelsTest, BuiltInAndCustomModelsAreListed) {
  ClusterScenario cluster = default_cluster(Service::pve);
  cluster.cpu_models = {{"avx512-pool", "Skylake-Server", "+avx512f"}, {"plain", "kvm64", ""}};
  Engine engine(test_options_with(cluster));
  const std::string path =
      "/api2/json/nodes/" + cluster.nodes.front().name + "/capabilities/qemu/cpu";
  const Reply listed = get(engine, path);
  ASSERT_EQ(listed.status, 200u) << listed.body;
  const auto& models = listed.data().as_array();
  const auto* custom = model_named(models, "custom-avx512-pool");
  ASSERT_NE(custom, nullptr) << listed.body;
  EXPECT_EQ(custom->at("custom").to_number<int>(), 1);
  EXPECT_EQ(custom->at("vendor"), "GenuineIntel") << "the vendor of its reported model";
  EXPECT_EQ(model_named(models, "custom-plain")->at("vendor"), "default");
  const auto* host = model_named(models, "host");
  ASSERT_NE(host, nullptr);
  EXPECT_EQ(host->at("custom").to_number<int>(), 0);
  EXPECT_EQ(host->at("vendor"), "native");
  ASSERT_NE(model_named(models, "EPYC-Rome"), nullptr);
  EXPECT_EQ(model_named(models, "EPYC-Rome")->at("vendor"), "AuthenticAMD");
  EXPECT_EQ(get(engine, "/api2/json/nodes/nosuchnode/capabilities/qemu/cpu").status, 500u);

  const Scenario exported = Scenario::from_json(get(engine, "/mock/state").data());
  EXPECT_EQ(exported.clusters.at(0).cpu_models, cluster.cpu_models);
}

TEST(CpuModelsTest, ACustomModelMustReportABuiltInOne) {
  ClusterScenario cluster = default_cluster(Service::pve);
  cluster.cpu_models = {{"odd", "Pentium9000", ""}};
  Scenario scenario;
  scenario.clusters = {cluster};
  try {
    Scenario::from_json(scenario.to_json());
    ADD_FAILURE() << "an unknown reported model was accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("Pentium9000"), std::string::npos) << error.what();
  }
  cluster.cpu_models = {{"1bad", "kvm64", ""}};
  scenario.clusters = {cluster};
  EXPECT_THROW(Scenario::from_json(scenario.to_json()), std::invalid_argument);
}

}  // namespace
}  // namespace pbx::proxmox
