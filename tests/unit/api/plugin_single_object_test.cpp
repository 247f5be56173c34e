// The plugin's single-object syncs (/sync/individual/<kind>), the /proxmox overview and the
// firewall proxies, over HTTP against the stack of api_stack.hpp (mock → proxbox-api →
// emulator).

#include <gtest/gtest.h>

#include <set>

#include "api_stack.hpp"

namespace pbx::api {
namespace {
using namespace stack_test;

class SingleObjectTest : public ApiStackTest {
 protected:
  json::object sync_one(const std::string& query, unsigned status = 200) {
    const auto response = api(http::Verb::get, "/sync/individual/" + query);
    EXPECT_EQ(response.status, status) << query << ": " << response.body;
    return response.json().as_object();
  }
};

TEST_F(SingleObjectTest, AVmSyncWritesThatGuestOnlyAndAgainWritesNothing) {
  const auto created = sync_one("vm?node=pve1&type=qemu&vmid=100");
  EXPECT_EQ(created.at("object_type"), "vm");
  EXPECT_EQ(created.at("action"), "created");
  EXPECT_EQ(created.at("dry_run"), false);
  EXPECT_TRUE(created.at("error").is_null());
  EXPECT_EQ(created.at("proxmox_resource").at("vmid").as_int64(), 100);
  EXPECT_EQ(created.at("netbox_object").at("name"), "web");
  EXPECT_EQ(created.at("dependencies_synced").at(0).at("stage"), "virtual-machines");
  const auto vms = vms_by_name();
  EXPECT_EQ(vms.size(), 1u) << "only guest 100 is written";
  EXPECT_TRUE(vms.count("web"));

  const int64_t writes = netbox_writes();
  EXPECT_EQ(sync_one("vm?node=pve1&type=qemu&vmid=100").at("action"), "unchanged");
  const json::value body{{"node", "pve1"}, {"type", "qemu"}, {"vmid", 100}};
  const auto posted = api(http::Verb::post, "/sync/individual/vm", &body);
  ASSERT_EQ(posted.status, 200u) << posted.body;
  EXPECT_EQ(posted.json().at("action"), "unchanged");
  EXPECT_EQ(netbox_writes(), writes) << "an unchanged object writes nothing";

  // A dry run reports and writes nothing.
  const json::value dry{{"node", "pve2"}, {"type", "qemu"}, {"vmid", 101}, {"dry_run", true}};
  const auto planned = api(http::Verb::post, "/sync/individual/vm", &dry);
  ASSERT_EQ(planned.status, 200u) << planned.body;
  EXPECT_EQ(planned.json().at("action"), "dry_run");
  EXPECT_TRUE(planned.json().at("netbox_object").is_null());
  EXPECT_EQ(netbox_writes(), writes);
  EXPECT_EQ(vms_by_name().size(), 1u);
}

TEST_F(SingleObjectTest, BadOrUnknownObjectsAreClearErrorsAndWriteNothing) {
  const int64_t writes = netbox_writes();
  const auto missing = sync_one("vm?node=pve1", 400);
  EXPECT_NE(std::string(missing.at("detail").as_string()).find("type, vmid"), std::string::npos)
      << missing;
  sync_one("vm?node=pve1&type=kvm&vmid=100", 400);
  sync_one("vm?node=pve1&type=qemu&vmid=web", 400);
  sync_one("disk?node=pve1&type=qemu&vmid=100", 400);
  sync_one("vm?node=pve1&type=qemu&vmid=999", 404);
  sync_one("vm?node=pve2&type=qemu&vmid=100", 404);  // 100 runs on pve1
  sync_one("vm?node=pve1&type=lxc&vmid=100", 404);   // and is a qemu
  sync_one("vm?node=pve1&type=qemu&vmid=100&cluster_name=elsewhere", 404);
  sync_one("node?node_name=pve9", 404);
  sync_one("storage?storage_name=nfs9", 404);
  sync_one("replication?replication_id=100-0", 404);
  sync_one("backup-routines?job_id=nightly", 404);
  sync_one("snapshot?node=pve1&type=qemu&vmid=100&snapshot_name=before-upgrade", 404);
  sync_one("disk?node=pve1&type=qemu&vmid=100&disk_name=virtio7", 404);
  sync_one("backup?node=pve1&storage=backup&vmid=100&volid=backup:nothing-here", 404);
  const json::value not_object = json::array{1, 2};
  EXPECT_EQ(api(http::Verb::post, "/sync/individual/vm", &not_object).status, 400u);
  EXPECT_EQ(netbox_writes(), writes) << "nothing is written for a refused request";
}

TEST_F(SingleObjectTest, EachKindAnswersItsNetBoxObjectAfterAFullUpdate) {
  ASSERT_EQ(api(http::Verb::get, "/full-update").status, 200u);
  const int64_t writes = netbox_writes();
  const auto node = sync_one("node?node_name=pve1&cluster_name=lab");
  EXPECT_EQ(node.at("action"), "unchanged");
  EXPECT_EQ(node.at("netbox_object").at("name"), "pve1");
  EXPECT_EQ(sync_one("cluster?cluster_name=lab").at("netbox_object").at("name"), "lab");
  EXPECT_EQ(sync_one("storage?storage_name=local").at("netbox_object").at("name"), "local");
  const auto disk = sync_one("disk?node=pve1&type=qemu&vmid=100&disk_name=scsi0");
  EXPECT_EQ(disk.at("action"), "unchanged") << disk;
  EXPECT_EQ(disk.at("netbox_object").at("name"), "scsi0");
  EXPECT_EQ(disk.at("dependencies_synced").as_array().size(), 2u);

  const auto content =
      api(http::Verb::get, "/proxmox/nodes/pve1/storage/backup/content?content=backup");
  ASSERT_EQ(content.status, 200u) << content.body;
  const std::string volid(content.json().at(0).at("volid").as_string());
  const auto backup = sync_one("backup?node=pve1&storage=backup&vmid=100&volid=" + volid);
  EXPECT_EQ(std::string(backup.at("netbox_object").at("volume_id").as_string()), volid) << backup;
  const auto tasks = sync_one("task-history?node=pve1&type=qemu&vmid=100");
  EXPECT_EQ(tasks.at("action"), "unchanged") << tasks;
  EXPECT_EQ(netbox_writes(), writes) << "everything was already in NetBox";

  // An address Proxmox does not report for the guest is unknown.
  sync_one("ip?node=pve1&type=qemu&vmid=100&ip_address=203.0.113.9/24", 404);
}

TEST_F(SingleObjectTest, GuestChildrenAreWrittenWithTheirGuestOnly) {
  auto cluster = lab_cluster();
  auto& web = cluster.guests.front();
  web.agent = true;
  proxmox::NicScenario nic;
  nic.ip_addresses = {"198.51.100.10/24"};
  web.nics = {nic};
  proxmox::SnapshotScenario snapshot;
  snapshot.name = "before-upgrade";
  snapshot.snaptime = 1767225600;
  web.snapshots = {snapshot};
  load_cluster(cluster);

  const auto nic_sync = sync_one("interface?node=pve1&type=qemu&vmid=100&interface_name=net0");
  EXPECT_EQ(nic_sync.at("action"), "created") << nic_sync;
  EXPECT_EQ(nic_sync.at("netbox_object").at("name"), "net0");
  const auto ip = sync_one("ip?node=pve1&type=qemu&vmid=100&ip_address=198.51.100.10/24");
  EXPECT_EQ(ip.at("action"), "created") << ip;
  EXPECT_EQ(ip.at("netbox_object").at("address"), "198.51.100.10/24");
  const auto snap = sync_one("snapshot?node=pve1&type=qemu&vmid=100&snapshot_name=before-upgrade");
  EXPECT_EQ(snap.at("action"), "created") << snap;
  EXPECT_EQ(snap.at("netbox_object").at("name"), "before-upgrade");
  EXPECT_EQ(vms_by_name().size(), 1u) << "only guest 100 is written";
}

TEST_F(SingleObjectTest, AnUnreadableProxmoxDeletesNothing) {
  ASSERT_EQ(sync_one("vm?node=pve1&type=qemu&vmid=100").at("action"), "created");
  const int64_t writes = netbox_writes();
  proxmox_.process.reset();  // the endpoint goes away
  const auto response = api(http::Verb::get, "/sync/individual/vm?node=pve1&type=qemu&vmid=100");
  EXPECT_EQ(response.status, 502u) << response.body;
  EXPECT_EQ(netbox_writes(), writes);
  EXPECT_TRUE(vms_by_name().count("web"));
}

TEST_F(SingleObjectTest, ProxmoxOverviewListsEachEndpoint) {
  const auto overview = api(http::Verb::get, "/proxmox");
  ASSERT_EQ(overview.status, 200u) << overview.body;
  const auto document = overview.json();
  EXPECT_EQ(document.at("message"), "Proxmox API");
  const auto& lab = document.at("clusters").at(0).at("lab");
  EXPECT_EQ(lab.at("nodes").as_array().size(), 2u);
  EXPECT_TRUE(lab.at("version").at("release").is_string());
  EXPECT_TRUE(lab.at("access").as_array().size() > 0);
}

TEST_F(SingleObjectTest, FirewallWritesReachTheEndpointAndReadBack) {
  const auto empty = api(http::Verb::get, "/proxmox/firewall/datacenter/rules");
  ASSERT_EQ(empty.status, 200u) << empty.body;
  EXPECT_TRUE(empty.json().as_array().empty());

  const json::value ssh{{"type", "in"},  {"action", "ACCEPT"}, {"proto", "tcp"},
                        {"dport", "22"}, {"enable", 1},        {"comment", "ssh"}};
  const auto added = api(http::Verb::post, "/proxmox/firewall/datacenter/rules", &ssh);
  ASSERT_EQ(added.status, 200u) << added.body;
  const auto rules = api(http::Verb::get, "/proxmox/firewall/datacenter/rules").json();
  ASSERT_EQ(rules.as_array().size(), 1u) << rules;
  EXPECT_EQ(rules.at(0).at("cluster_name"), "lab");
  EXPECT_EQ(rules.at(0).at("zone"), "datacenter");
  EXPECT_EQ(rules.at(0).at("dport"), "22");
  EXPECT_EQ(rules.at(0).at("enable"), true);
  EXPECT_EQ(rules.at(0).at("status"), "ok");
  EXPECT_EQ(added.json(), rules) << "a write answers the zone afterwards";

  EXPECT_TRUE(api(http::Verb::get, "/proxmox/firewall/datacenter/options").json().is_null());
  const json::value options{{"enable", true}, {"policy_in", "DROP"}};
  const auto changed = api(http::Verb::put, "/proxmox/firewall/datacenter/options", &options);
  ASSERT_EQ(changed.status, 200u) << changed.body;
  const auto read = api(http::Verb::get, "/proxmox/firewall/datacenter/options").json();
  EXPECT_EQ(read.at("enable"), true);
  EXPECT_EQ(read.at("policy_in"), "DROP");

  const json::value node_rule{{"type", "in"}, {"action", "ACCEPT"}, {"dport", "8006"}};
  ASSERT_EQ(api(http::Verb::post, "/proxmox/firewall/nodes/pve2/rules", &node_rule).status, 200u);
  const auto node_rules = api(http::Verb::get, "/proxmox/firewall/nodes/pve2/rules").json();
  ASSERT_EQ(node_rules.as_array().size(), 1u);
  EXPECT_EQ(node_rules.at(0).at("node"), "pve2");
  EXPECT_TRUE(api(http::Verb::get, "/proxmox/firewall/nodes/pve1/rules").json().as_array().empty());

  // The guest's node and type come from /cluster/resources: CT 200 on pve1.
  const json::value guest_rule{{"type", "in"}, {"action", "DROP"}, {"source", "10.0.0.0/8"}};
  const auto guest = api(http::Verb::post, "/proxmox/firewall/vms/200/rules", &guest_rule);
  ASSERT_EQ(guest.status, 200u) << guest.body;
  EXPECT_EQ(guest.json().at(0).at("zone"), "vm_lxc");
  EXPECT_EQ(guest.json().at(0).at("node"), "pve1");
  EXPECT_EQ(guest.json().at(0).at("vmid").as_int64(), 200);
  EXPECT_TRUE(api(http::Verb::get, "/proxmox/firewall/vms/100/rules").json().as_array().empty());
  EXPECT_TRUE(api(http::Verb::get, "/proxmox/firewall/vms/100/options").json().is_null());
  for (const char* read_route :
       {"/proxmox/firewall/datacenter/groups", "/proxmox/firewall/datacenter/ipsets",
        "/proxmox/firewall/datacenter/aliases", "/proxmox/firewall/vms/100/ipsets",
        "/proxmox/firewall/vms/100/aliases"}) {
    const auto listed = api(http::Verb::get, read_route);
    EXPECT_EQ(listed.status, 200u) << read_route << ": " << listed.body;
    EXPECT_TRUE(listed.json().is_array()) << read_route;
  }

  // Bad input.
  EXPECT_EQ(api(http::Verb::get, "/proxmox/firewall/vms/999/rules").status, 404u);
  EXPECT_EQ(api(http::Verb::get, "/proxmox/firewall/vms/100/rules?node=pve2").status, 404u);
  EXPECT_EQ(api(http::Verb::get, "/proxmox/firewall/vms/x/rules").status, 422u);
  EXPECT_EQ(api(http::Verb::get, "/proxmox/firewall/nodes/pve9/options").status, 404u);
  const json::value no_action{{"type", "in"}};
  EXPECT_EQ(api(http::Verb::post, "/proxmox/firewall/datacenter/rules", &no_action).status, 422u);
  const json::value not_object = json::array{};
  EXPECT_EQ(api(http::Verb::put, "/proxmox/firewall/nodes/pve1/options", &not_object).status, 422u);
  EXPECT_EQ(api(http::Verb::get, "/proxmox/firewall/datacenter/rules").json().as_array().size(), 1u)
      << "refused writes change nothing";
}

}  // namespace
}  // namespace pbx::api
