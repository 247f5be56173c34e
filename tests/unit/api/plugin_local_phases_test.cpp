// The routes the plugin's local phases of "Sync all" read beside the 13 stages:
// GET /proxmox/firewall/summary (plugin_firewall.cpp) and GET /proxmox/datacenter/cpu-models
// (plugin_datacenter.cpp), over HTTP against the stack of api_stack.hpp: they answer the mock's
// state, a write to the mock shows in the next read, and an endpoint that cannot be read is an
// error entry for that cluster, never an empty list.

#include <gtest/gtest.h>

#include <set>

#include "api_stack.hpp"

namespace pbx::api {
namespace {
using namespace stack_test;

class LocalPhasesTest : public ApiStackTest {
 protected:
  // The lab cluster, named unlike its endpoint ("lab"), with a datacenter firewall and two
  // custom CPU models.
  static proxmox::ClusterScenario configured_cluster() {
    auto cluster = lab_cluster();
    cluster.name = "lab-cluster";
    cluster.firewall = json::parse(R"({
      "zones": {"cluster": {
        "rules": [{"type": "in", "action": "web", "enable": 1}],
        "options": {"enable": 1, "policy_in": "DROP", "ebtables": 0,
                    "log_ratelimit": "enable=1"},
        "ipsets": {"office": {"comment": "hq", "entries": [{"cidr": "10.0.0.0/24"},
                                                           {"cidr": "10.0.0.9", "nomatch": 1}]}},
        "aliases": {"gw": {"cidr": "10.0.0.1", "comment": "router"}}}},
      "groups": {"web": {"comment": "front", "rules": [
        {"type": "in", "action": "ACCEPT", "proto": "tcp", "dport": "443", "enable": 1}]}}
    })")
                           .as_object();
    cluster.cpu_models = {{"avx512-pool", "Skylake-Server", "+avx512f"}, {"plain", "kvm64", ""}};
    return cluster;
  }

  json::value proxmox_api(http::Verb method, const std::string& path, const std::string& form) {
    http::Headers headers;
    headers.set(http::Field::authorization, "PVEAPIToken=" + kProxmoxToken);
    headers.set(http::Field::content_type, "application/x-www-form-urlencoded");
    const auto response =
        client_.request(method, proxmox_.url + "/api2/json" + path, form, headers);
    EXPECT_EQ(response.status, 200u) << path << ": " << response.body;
    return response.json();
  }

  // Every GET below `path` on the mock answers 500 from now on.
  void break_reads(const std::string& path) {
    const json::value fault{{"method", "GET"},
                            {"path", "/api2/json" + path + "*"},
                            {"error", json::object{{"status", 500}, {"rate", 1.0}}}};
    const auto response =
        client_.send_json(http::Verb::post, proxmox_.url + "/mock/faults", fault, {});
    ASSERT_LT(response.status, 300u) << response.body;
  }

  json::array read(const std::string& route) {
    const auto response = api(http::Verb::get, route);
    EXPECT_EQ(response.status, 200u) << route << ": " << response.body;
    return response.json().as_array();
  }
};

TEST_F(LocalPhasesTest, FirewallSummaryAnswersTheDatacenterFirewallOfEachEndpoint) {
  load_cluster(configured_cluster());
  // A write to the mock shows in the next summary.
  proxmox_api(http::Verb::post, "/cluster/firewall/aliases", "name=dns&cidr=10.0.0.53");

  const auto summary = read("/proxmox/firewall/summary");
  ASSERT_EQ(summary.size(), 1u);
  const auto& lab = summary.at(0).as_object();
  EXPECT_EQ(lab.at("cluster_name"), "lab-cluster") << "the plugin finds its endpoint by it";
  EXPECT_EQ(lab.at("status"), "ok");
  EXPECT_TRUE(lab.at("error").is_null());

  const auto& group = lab.at("security_groups").at(0);
  EXPECT_EQ(group.at("name"), "web");
  EXPECT_EQ(group.at("comment"), "front");
  EXPECT_EQ(group.at("rules").at(0).at("dport"), "443");
  EXPECT_EQ(group.at("rules").at(0).at("pos").as_int64(), 0);
  EXPECT_EQ(group.at("rules").at(0).at("enable"), true);
  EXPECT_EQ(lab.at("rules").at(0).at("action"), "web");
  EXPECT_EQ(lab.at("rules").at(0).at("zone"), "datacenter");

  const auto& ipset = lab.at("ip_sets").at(0);
  EXPECT_EQ(ipset.at("name"), "office");
  EXPECT_EQ(ipset.at("comment"), "hq");
  ASSERT_EQ(ipset.at("entries").as_array().size(), 2u);
  EXPECT_EQ(ipset.at("entries").at(1).at("cidr"), "10.0.0.9");
  EXPECT_EQ(ipset.at("entries").at(1).at("nomatch"), true);
  EXPECT_TRUE(ipset.at("entries").at(0).at("nomatch").is_null()) << "unset, as upstream";

  std::map<std::string, std::string> aliases;
  for (const auto& alias : lab.at("aliases").as_array())
    aliases[std::string(alias.at("name").as_string())] = alias.at("cidr").as_string();
  EXPECT_EQ(aliases,
            (std::map<std::string, std::string>{{"dns", "10.0.0.53"}, {"gw", "10.0.0.1"}}));

  const auto& options = lab.at("options");
  EXPECT_EQ(options.at("enable"), true);
  EXPECT_EQ(options.at("policy_in"), "DROP");
  EXPECT_EQ(options.at("options").at("ebtables").as_int64(), 0) << options;
  EXPECT_FALSE(options.at("options").as_object().contains("log_ratelimit")) << "as upstream";

  // A group deleted in Proxmox is gone from the next summary.
  proxmox_api(http::Verb::delete_, "/cluster/firewall/groups/web/0", "");
  proxmox_api(http::Verb::delete_, "/cluster/firewall/groups/web", "");
  EXPECT_TRUE(read("/proxmox/firewall/summary").at(0).at("security_groups").as_array().empty());
}

TEST_F(LocalPhasesTest, AnEmptyFirewallIsEmptyListsAndNoOptions) {
  const auto lab = read("/proxmox/firewall/summary").at(0).as_object();
  EXPECT_EQ(lab.at("status"), "ok");
  for (const char* key : {"security_groups", "rules", "ip_sets", "aliases"})
    EXPECT_TRUE(lab.at(key).as_array().empty()) << key;
  EXPECT_TRUE(lab.at("options").is_null());
}

TEST_F(LocalPhasesTest, AnUnreadableFirewallIsAnErrorForItsClusterNotEmptyLists) {
  load_cluster(configured_cluster());
  break_reads("/cluster/firewall/ipset");
  const auto lab = read("/proxmox/firewall/summary").at(0).as_object();
  EXPECT_EQ(lab.at("cluster_name"), "lab-cluster");
  EXPECT_EQ(lab.at("status"), "error");
  EXPECT_NE(std::string(lab.at("error").as_string()).find("500"), std::string::npos) << lab;
  for (const char* key : {"security_groups", "rules", "ip_sets", "aliases", "options"})
    EXPECT_FALSE(lab.contains(key)) << key << " would read as 'none' in the plugin";
}

TEST_F(LocalPhasesTest, CpuModelsAreTheCustomModelsOfEachEndpoint) {
  EXPECT_TRUE(read("/proxmox/datacenter/cpu-models").empty()) << "the lab has none";
  load_cluster(configured_cluster());
  const auto models = read("/proxmox/datacenter/cpu-models");
  ASSERT_EQ(models.size(), 2u) << json::serialize(models);
  std::map<std::string, json::object> by_type;
  for (const auto& model : models)
    by_type[std::string(model.at("cputype").as_string())] = model.as_object();
  ASSERT_TRUE(by_type.contains("custom-avx512-pool")) << json::serialize(models);
  const auto& avx = by_type.at("custom-avx512-pool");
  EXPECT_EQ(avx.at("cluster_name"), "lab-cluster");
  EXPECT_EQ(avx.at("vendor_id"), "GenuineIntel");
  EXPECT_EQ(avx.at("status"), "ok");
  // The plugin stores these in columns that refuse null.
  for (const char* key : {"base_cputype", "flags", "description"})
    EXPECT_TRUE(avx.at(key).is_string()) << key;
  EXPECT_EQ(by_type.at("custom-plain").at("vendor_id"), "default");
}

TEST_F(LocalPhasesTest, UnreadableCpuModelsAreAnErrorForTheirCluster) {
  load_cluster(configured_cluster());
  break_reads("/nodes/pve1/capabilities");
  const auto models = read("/proxmox/datacenter/cpu-models");
  ASSERT_EQ(models.size(), 1u) << json::serialize(models);
  EXPECT_EQ(models.at(0).at("cluster_name"), "lab-cluster");
  EXPECT_EQ(models.at(0).at("status"), "error");
  EXPECT_FALSE(models.at(0).as_object().contains("cputype"))
      << "the plugin skips an entry without cputype";
}

// The plugin's cluster phase creates the ProxmoxCluster the summary entries are filed under
// from this answer: one cluster object per endpoint with its nodes, as upstream.
TEST_F(LocalPhasesTest, ClusterStatusIsOneClusterObjectPerEndpoint) {
  load_cluster(configured_cluster());
  const auto status = read("/proxmox/cluster/status");
  ASSERT_EQ(status.size(), 1u) << json::serialize(status);
  const auto& cluster = status.at(0).as_object();
  EXPECT_EQ(cluster.at("type"), "cluster");
  EXPECT_EQ(cluster.at("name"), "lab-cluster");
  EXPECT_EQ(cluster.at("mode"), "cluster");
  EXPECT_EQ(cluster.at("nodes").as_int64(), 2);
  EXPECT_TRUE(cluster.at("quorate").is_bool());
  std::set<std::string> nodes;
  for (const auto& node : cluster.at("node_list").as_array()) {
    EXPECT_EQ(node.at("type"), "node");
    EXPECT_EQ(node.at("online"), true) << node;
    nodes.emplace(node.at("name").as_string());
  }
  EXPECT_EQ(nodes, (std::set<std::string>{"pve1", "pve2"}));
}

TEST_F(LocalPhasesTest, OpenApiListsBothRoutesAsImplemented) {
  const auto document = api(http::Verb::get, "/openapi.json").json();
  for (const char* path : {"/proxmox/firewall/summary", "/proxmox/datacenter/cpu-models"}) {
    const auto* item = document.at("paths").as_object().if_contains(path);
    ASSERT_NE(item, nullptr) << path;
    EXPECT_EQ(item->at("get").at("x-implemented"), true) << path;
  }
}

}  // namespace
}  // namespace pbx::api
