// Firewall rules and options as state (pve_firewall.cpp): at the datacenter, a node and a guest,
// a write shows up in the reads of its own zone and of no other. Security groups, IP sets and
// aliases (pve_firewall_sets.cpp) likewise, and all of it survives the scenario export.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "mock_test_support.hpp"
#include "proxmox/engine.hpp"

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

std::vector<std::string> names(const Reply& reply, const char* key) {
  std::vector<std::string> out;
  for (const auto& entry : reply.data().as_array())
    out.emplace_back(entry.at(key).as_string());
  return out;
}

TEST(FirewallTest, SecurityGroupsAreCreatedRenamedFilledAndDeleted) {
  Engine engine(test_options_with(default_cluster(Service::pve)));
  const std::string groups = "/api2/json/cluster/firewall/groups";
  EXPECT_TRUE(get(engine, groups).data().as_array().empty());
  ASSERT_EQ(call(engine, Verb::post, groups, "group=web&comment=front").status, 200u);
  ASSERT_EQ(call(engine, Verb::post, groups, "group=db").status, 200u);
  EXPECT_EQ(names(get(engine, groups), "group"), (std::vector<std::string>{"db", "web"}));
  EXPECT_EQ(get(engine, groups).data().at(1).at("comment"), "front");
  EXPECT_EQ(get(engine, groups).data().at(1).at("digest").as_string().size(), 40u);
  EXPECT_EQ(call(engine, Verb::post, groups, "group=web").status, 400u) << "already exists";

  // Rules of a group, as for a zone.
  const std::string web = groups + "/web";
  ASSERT_EQ(call(engine, Verb::post, web, "type=in&action=ACCEPT&dport=443&proto=tcp").status,
            200u);
  ASSERT_EQ(call(engine, Verb::post, web, "type=in&action=ACCEPT&dport=80&proto=tcp").status, 200u);
  EXPECT_EQ(get(engine, web).data().as_array().size(), 2u);
  EXPECT_EQ(get(engine, web + "/1").data().at("dport"), "443");
  ASSERT_EQ(call(engine, Verb::put, web + "/1", "comment=tls").status, 200u);
  EXPECT_EQ(get(engine, web + "/1").data().at("comment"), "tls");
  EXPECT_TRUE(get(engine, groups + "/db").data().as_array().empty()) << "groups are their own";
  EXPECT_EQ(get(engine, groups + "/nosuch").status, 500u);

  // Rename keeps the rules; a group with rules is not deleted.
  ASSERT_EQ(call(engine, Verb::post, groups, "group=frontend&rename=web&comment=x").status, 200u);
  EXPECT_EQ(names(get(engine, groups), "group"), (std::vector<std::string>{"db", "frontend"}));
  EXPECT_EQ(get(engine, groups + "/frontend").data().as_array().size(), 2u);
  EXPECT_EQ(call(engine, Verb::post, groups, "group=a1&rename=gone").status, 400u);
  EXPECT_EQ(call(engine, Verb::delete_, groups + "/frontend").status, 500u) << "not empty";
  ASSERT_EQ(call(engine, Verb::delete_, groups + "/db").status, 200u);
  EXPECT_EQ(names(get(engine, groups), "group"), (std::vector<std::string>{"frontend"}));
}

TEST(FirewallTest, IpSetsAndTheirEntriesStickPerZone) {
  const ClusterScenario cluster = default_cluster(Service::pve);
  const GuestScenario& guest = cluster.guests.front();
  Engine engine(test_options_with(cluster));
  const std::string ipsets = "/api2/json/cluster/firewall/ipset";
  ASSERT_EQ(call(engine, Verb::post, ipsets, "name=office&comment=hq").status, 200u);
  ASSERT_EQ(call(engine, Verb::post, ipsets + "/office", "cidr=10.0.0.0/24&comment=lan").status,
            200u);
  ASSERT_EQ(call(engine, Verb::post, ipsets + "/office", "cidr=10.0.0.9&nomatch=1").status, 200u);
  EXPECT_EQ(call(engine, Verb::post, ipsets + "/office", "cidr=10.0.0.9").status, 400u);
  EXPECT_EQ(names(get(engine, ipsets), "name"), (std::vector<std::string>{"office"}));
  const Reply entries = get(engine, ipsets + "/office");
  ASSERT_EQ(entries.status, 200u) << entries.body;
  EXPECT_EQ(names(entries, "cidr"), (std::vector<std::string>{"10.0.0.0/24", "10.0.0.9"}));
  EXPECT_EQ(entries.data().at(1).at("nomatch").to_number<int>(), 1);
  // An encoded slash stays in {cidr}.
  EXPECT_EQ(get(engine, ipsets + "/office/10.0.0.0%2F24").data().at("comment"), "lan");
  ASSERT_EQ(call(engine, Verb::put, ipsets + "/office/10.0.0.9", "comment=gw&nomatch=0").status,
            200u);
  const auto changed = get(engine, ipsets + "/office/10.0.0.9").data().as_object();
  EXPECT_EQ(changed.at("comment"), "gw");
  EXPECT_FALSE(changed.contains("nomatch"));
  EXPECT_EQ(get(engine, ipsets + "/office/10.9.9.9").status, 400u);
  EXPECT_EQ(get(engine, ipsets + "/nosuch").status, 500u);
  EXPECT_EQ(call(engine, Verb::delete_, ipsets + "/office").status, 500u) << "not empty";

  // The guest's IP sets are its own.
  const std::string guest_ipsets = "/api2/json/nodes/" + guest.node + "/" + guest.type + "/" +
                                   std::to_string(guest.vmid) + "/firewall/ipset";
  EXPECT_TRUE(get(engine, guest_ipsets).data().as_array().empty());
  ASSERT_EQ(call(engine, Verb::post, guest_ipsets, "name=ipfilter-net0").status, 200u);
  EXPECT_EQ(names(get(engine, guest_ipsets), "name"), (std::vector<std::string>{"ipfilter-net0"}));
  EXPECT_EQ(names(get(engine, ipsets), "name"), (std::vector<std::string>{"office"}));

  ASSERT_EQ(call(engine, Verb::delete_, ipsets + "/office/10.0.0.9").status, 200u);
  ASSERT_EQ(call(engine, Verb::delete_, ipsets + "/office?force=1").status, 200u);
  EXPECT_TRUE(get(engine, ipsets).data().as_array().empty());
}

TEST(FirewallTest, AliasesStickLowerCasedAndRename) {
  Engine engine(test_options_with(default_cluster(Service::pve)));
  const std::string aliases = "/api2/json/cluster/firewall/aliases";
  ASSERT_EQ(call(engine, Verb::post, aliases, "name=Gateway&cidr=10.0.0.1&comment=gw").status,
            200u);
  EXPECT_EQ(call(engine, Verb::post, aliases, "name=gateway&cidr=10.0.0.2").status, 400u);
  const Reply listed = get(engine, aliases);
  EXPECT_EQ(names(listed, "name"), (std::vector<std::string>{"gateway"}));
  EXPECT_EQ(listed.data().at(0).at("cidr"), "10.0.0.1");
  ASSERT_EQ(call(engine, Verb::put, aliases + "/gateway", "cidr=10.0.0.254&rename=router").status,
            200u);
  const auto router = get(engine, aliases + "/router").data().as_object();
  EXPECT_EQ(router.at("cidr"), "10.0.0.254");
  EXPECT_EQ(router.at("comment"), "gw") << "a PUT without comment keeps it";
  EXPECT_EQ(get(engine, aliases + "/gateway").status, 400u);
  ASSERT_EQ(call(engine, Verb::delete_, aliases + "/router").status, 200u);
  EXPECT_TRUE(get(engine, aliases).data().as_array().empty());
}

TEST(FirewallTest, TheFirewallRoundTripsThroughTheScenario) {
  const ClusterScenario cluster = default_cluster(Service::pve);
  const GuestScenario& guest = cluster.guests.front();
  Engine engine(test_options_with(cluster));
  const std::string base = "/api2/json/cluster/firewall";
  ASSERT_EQ(call(engine, Verb::post, base + "/groups", "group=web").status, 200u);
  ASSERT_EQ(
      call(engine, Verb::post, base + "/groups/web", "type=in&action=ACCEPT&dport=443").status,
      200u);
  ASSERT_EQ(call(engine, Verb::post, base + "/ipset", "name=office").status, 200u);
  ASSERT_EQ(call(engine, Verb::post, base + "/ipset/office", "cidr=10.0.0.0/24").status, 200u);
  ASSERT_EQ(call(engine, Verb::post, base + "/aliases", "name=gw&cidr=10.0.0.1").status, 200u);
  ASSERT_EQ(call(engine, Verb::put, base + "/options", "enable=1").status, 200u);
  const std::string guest_rules = "/api2/json/nodes/" + guest.node + "/" + guest.type + "/" +
                                  std::to_string(guest.vmid) + "/firewall/rules";
  ASSERT_EQ(call(engine, Verb::post, guest_rules, "type=in&action=DROP").status, 200u);

  const Reply state = get(engine, "/mock/state");
  ASSERT_EQ(state.status, 200u);
  const Scenario exported = Scenario::from_json(state.data());
  const auto& firewall = exported.clusters.at(0).firewall;
  EXPECT_TRUE(firewall.contains("groups")) << json::serialize(firewall);

  Engine again(test_options_with(exported.clusters.at(0)));
  EXPECT_EQ(get(again, base + "/groups/web").data().at(0).at("dport"), "443");
  EXPECT_EQ(get(again, base + "/ipset/office").data().at(0).at("cidr"), "10.0.0.0/24");
  EXPECT_EQ(get(again, base + "/aliases/gw").data().at("cidr"), "10.0.0.1");
  EXPECT_EQ(get(again, base + "/options").data().at("enable").to_number<int>(), 1);
  EXPECT_EQ(actions(get(again, guest_rules)), (std::vector<std::string>{"DROP"}));
  EXPECT_EQ(Scenario::from_json(get(again, "/mock/state").data()).clusters.at(0).firewall,
            firewall);

  // A malformed firewall is refused, naming where.
  json::value bad = exported.to_json();
  bad.at("clusters").at(0).as_object()["firewall"] =
      json::parse(R"({"zones":{"cluster":{"aliases":{"gw":{"comment":"no cidr"}}}}})");
  try {
    Scenario::from_json(bad);
    ADD_FAILURE() << "an alias without cidr was accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("zones.cluster.aliases.gw"), std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace pbx::proxmox
