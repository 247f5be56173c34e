// Firewall rules and options as state (pve_firewall.cpp): at the datacenter, a node and a guest,
// a write shows up in the reads of its own zone and of no other.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "mock_test_support.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using namespace pbx::proxmox::testing;
using http::Verb;

std::vector<std::string> actions(const Reply& reply) {
  std::vector<std::string> out;
  for (const auto& rule : reply.data().as_array())
    out.emplace_back(rule.at("action").as_string());
  return out;
}

TEST(FirewallTest, DatacenterRulesAreInsertedMovedChangedAndDeleted) {
  Engine engine(test_options_with(default_cluster(Service::pve)));
  const std::string rules = "/api2/json/cluster/firewall/rules";
  ASSERT_EQ(get(engine, rules).status, 200u);
  EXPECT_TRUE(get(engine, rules).data().as_array().empty());

  ASSERT_EQ(call(engine, Verb::post, rules, "type=in&action=ACCEPT&proto=tcp&dport=22&comment=ssh")
                .status,
            200u);
  ASSERT_EQ(call(engine, Verb::post, rules, "type=out&action=DROP").status, 200u);
  // A new rule goes first unless it names its pos.
  EXPECT_EQ(actions(get(engine, rules)), (std::vector<std::string>{"DROP", "ACCEPT"}));
  const Reply second = get(engine, rules + "/1");
  ASSERT_EQ(second.status, 200u) << second.body;
  EXPECT_EQ(second.data().at("dport"), "22");
  EXPECT_EQ(second.data().at("pos").to_number<int>(), 1);
  ASSERT_EQ(call(engine, Verb::post, rules, "type=in&action=REJECT&pos=2").status, 200u);
  EXPECT_EQ(actions(get(engine, rules)), (std::vector<std::string>{"DROP", "ACCEPT", "REJECT"}));

  ASSERT_EQ(call(engine, Verb::put, rules + "/1", "moveto=0").status, 200u);
  EXPECT_EQ(actions(get(engine, rules)), (std::vector<std::string>{"ACCEPT", "DROP", "REJECT"}));
  ASSERT_EQ(call(engine, Verb::put, rules + "/0", "comment=changed&delete=dport").status, 200u);
  const auto first = get(engine, rules + "/0").data().as_object();
  EXPECT_EQ(first.at("comment"), "changed");
  EXPECT_FALSE(first.contains("dport"));
  ASSERT_EQ(call(engine, Verb::delete_, rules + "/1").status, 200u);
  EXPECT_EQ(actions(get(engine, rules)), (std::vector<std::string>{"ACCEPT", "REJECT"}));
  EXPECT_NE(get(engine, rules + "/7").status, 200u) << "no rule at position 7";
  EXPECT_NE(call(engine, Verb::delete_, rules + "/7").status, 200u);
}

TEST(FirewallTest, OptionsAreSetAndUnset) {
  Engine engine(test_options_with(default_cluster(Service::pve)));
  const std::string options = "/api2/json/cluster/firewall/options";
  EXPECT_TRUE(get(engine, options).data().as_object().empty());
  ASSERT_EQ(call(engine, Verb::put, options, "enable=1&policy_in=DROP").status, 200u);
  auto set = get(engine, options).data().as_object();
  EXPECT_EQ(set.at("enable").to_number<int>(), 1);
  EXPECT_EQ(set.at("policy_in"), "DROP");
  ASSERT_EQ(call(engine, Verb::put, options, "delete=policy_in").status, 200u);
  set = get(engine, options).data().as_object();
  EXPECT_FALSE(set.contains("policy_in"));
  EXPECT_TRUE(set.contains("enable"));
}

TEST(FirewallTest, NodeAndGuestZonesAreTheirOwn) {
  const ClusterScenario cluster = default_cluster(Service::pve);
  ASSERT_FALSE(cluster.guests.empty());
  const GuestScenario& guest = cluster.guests.front();
  Engine engine(test_options_with(cluster));
  const std::string node = "/api2/json/nodes/" + cluster.nodes.front().name + "/firewall";
  const std::string guest_base = "/api2/json/nodes/" + guest.node + "/" + guest.type + "/" +
                                 std::to_string(guest.vmid) + "/firewall";
  ASSERT_EQ(call(engine, Verb::post, node + "/rules", "type=in&action=ACCEPT&dport=8006").status,
            200u);
  ASSERT_EQ(call(engine, Verb::post, guest_base + "/rules", "type=in&action=DROP&source=10.0.0.0/8")
                .status,
            200u);
  ASSERT_EQ(call(engine, Verb::put, guest_base + "/options", "enable=1").status, 200u);
  EXPECT_EQ(actions(get(engine, node + "/rules")), (std::vector<std::string>{"ACCEPT"}));
  EXPECT_EQ(actions(get(engine, guest_base + "/rules")), (std::vector<std::string>{"DROP"}));
  EXPECT_TRUE(get(engine, "/api2/json/cluster/firewall/rules").data().as_array().empty());
  EXPECT_TRUE(get(engine, node + "/options").data().as_object().empty());
  EXPECT_EQ(get(engine, guest_base + "/options").data().at("enable").to_number<int>(), 1);

  EXPECT_NE(get(engine, "/api2/json/nodes/nosuchnode/firewall/rules").status, 200u);
  const std::string other_type = guest.type == "qemu" ? "lxc" : "qemu";
  EXPECT_NE(get(engine, "/api2/json/nodes/" + guest.node + "/" + other_type + "/" +
                            std::to_string(guest.vmid) + "/firewall/rules")
                .status,
            200u)
      << "the guest is not a " << other_type;
}

}  // namespace
}  // namespace pbx::proxmox
