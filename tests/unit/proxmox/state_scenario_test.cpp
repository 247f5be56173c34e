#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "common/files.hpp"
#include "proxmox/engine.hpp"
#include "proxmox/scenario.hpp"
#include "proxmox/state.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;

Scenario sample_scenario() {
  Scenario scenario;
  ClusterScenario cluster = default_cluster(Service::pve);
  cluster.backups.push_back(BackupScenario{"local", "pve1", 100, "", "vma.zst", 1 << 20, 1767225600,
                                           "nightly", true, "ok"});
  scenario.clusters.push_back(cluster);
  scenario.users.push_back(UserScenario{"alice@pve", "secret", {TokenScenario{"ci", "s3", true}}});
  return scenario;
}

TEST(StateScenarioTest, JsonRoundTripKeepsEveryField) {
  const Scenario original = sample_scenario();
  const json::value first = original.to_json();
  const Scenario parsed = Scenario::from_json(json::parse(json::serialize(first)));
  EXPECT_EQ(json::serialize(parsed.to_json()), json::serialize(first));
  ASSERT_EQ(parsed.clusters.size(), 1u);
  EXPECT_TRUE(parsed.clusters[0].backups[0].protected_);
  EXPECT_EQ(parsed.clusters[0].guests[0].tags, (std::vector<std::string>{"prod", "web"}));
  EXPECT_EQ(parsed.users[0].tokens[0].secret, "s3");
}

// Every field of every scenario struct away from its default, so a field that to_json() forgets
// or from_json() ignores comes back different.
Scenario scenario_with_every_field_set() {
  NicScenario nic{"net3",
                  "AA:BB:cc:DD:EE:FF",
                  "vmbr9",
                  {"10.1.1.1/24", "fd00::1/64"},
                  "net5",
                  "e1000",
                  20,
                  false,
                  9000,
                  "12.5",
                  4,
                  true,
                  "10.1.1.254",
                  "fd00::fe"};
  DiskScenario disk{"mp1", "nas", 12, "vm-4242-disk-7", "/srv", "backup=0"};
  SnapshotScenario snapshot{"snap1", "before", "snap0", 1767225700, true};
  GuestScenario guest{4242,   "lxc",    "ct-x", "lab1", "paused",  3,      2048,
                      33,     true,     true,   false,  true,      "gold", {"a", "b"},
                      "desc", "debian", {nic},  {disk}, {snapshot}};
  InterfaceScenario iface{"vmbr0.20",    "vlan",     "3C:EC:EF:00:00:01",
                          "10.9.9.9/24", "10.9.9.1", "fd00::9/64",
                          "fd00::1",     "eno1",     true,
                          "eno1 eno2",   "802.3ad",  20,
                          "vmbr0",       9000,       false,
                          false,         "mgmt"};
  Scenario scenario;
  scenario.service = Service::pbs;
  scenario.clusters.push_back(ClusterScenario{
      "lab",
      "standalone",
      {NodeScenario{
          "lab1", "offline", "10.9.9.9", 12, int64_t{3} << 30, int64_t{7} << 30, {iface}}},
      {guest},
      {StorageScenario{"nas", "nfs", {"backup"}, true, {"lab1"}, int64_t{5} << 40}},
      {BackupScenario{"nas", "lab1", 4242, "nas:backup/vzdump-lxc-4242.tar.zst", "tar.zst", 123,
                      1767225600, "weekly", true, "failed"}},
      {VolumeScenario{"nas", "lab1", "nas:4242/vm-4242-disk-9.qcow2", "images", "qcow2", 456,
                      1767225601, 4242}},
      {DatastoreScenario{"store1", "/mnt/store1", {"ns1", "ns2"}}},
      {JobScenario{"backup-x", json::object{{"id", "backup-x"}, {"schedule", "daily"}}}},
      {JobScenario{"4242-0", json::object{{"id", "4242-0"}, {"target", "lab2"}}}},
      {TaskScenario{"lab1", "vzstart", "4242", "alice@pve", 1767225600, 1767225610, "failed"}},
      {HaResourceScenario{"ct:4242", "disabled", "grp", 3, 2, "ha note"}},
      {SdnZoneScenario{"z1", "vlan", "vmbr0", 1450, {"lab1"}, "pve"}},
      {SdnVnetScenario{"vnet9", "z1", 9, "nine", true}},
      {SdnSubnetScenario{"vnet9", "10.9.0.0/24", "10.9.0.1", true}}});
  scenario.users.push_back(UserScenario{"alice@pve",
                                        "pw",
                                        {TokenScenario{"ci", "s3", true, 1767225999, "ci token"}},
                                        false,
                                        1767229999,
                                        "Alice",
                                        "Liddell",
                                        "alice@example.com",
                                        "ops",
                                        "yk1"});
  scenario.realms.push_back(
      RealmScenario{"corp", "ldap", "Corporate", true, json::object{{"server1", "ldap.corp"}}});
  scenario.groups.push_back(GroupScenario{"ops", "Operations", {"alice@pve"}});
  scenario.roles.push_back(RoleScenario{"Ops", {"VM.Audit"}});
  scenario.acl.push_back(AclScenario{"/vms/4242", "group", "ops", "Ops", false});
  return scenario;
}

// The message from_json() gives for `json`, or "" when it accepts it.
std::string load_error(const json::value& json) {
  try {
    Scenario::from_json(json);
    return "";
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
}

// Whether `whole` holds every member `part` sets, with the same value (arrays element-wise).
bool json_contains(const json::value& whole, const json::value& part) {
  if (part.is_object()) {
    if (!whole.is_object()) return false;
    for (const auto& [key, value] : part.as_object()) {
      const auto* found = whole.as_object().if_contains(key);
      if (found == nullptr || !json_contains(*found, value)) return false;
    }
    return true;
  }
  if (part.is_array()) {
    if (!whole.is_array() || whole.as_array().size() != part.as_array().size()) return false;
    for (size_t i = 0; i < part.as_array().size(); ++i) {
      if (!json_contains(whole.as_array()[i], part.as_array()[i])) return false;
    }
    return true;
  }
  return whole == part;
}

TEST(StateScenarioTest, EveryStructRoundTripsEveryField) {
  const Scenario original = scenario_with_every_field_set();
  const Scenario defaults;
  // The sample really differs from the defaults in each struct it holds.
  EXPECT_NE(original.clusters[0].nodes[0], NodeScenario{});
  EXPECT_NE(original.clusters[0].guests[0].nics[0], NicScenario{});
  EXPECT_NE(original.clusters[0].guests[0].disks[0], DiskScenario{});
  EXPECT_NE(original.clusters[0].guests[0].snapshots[0], SnapshotScenario{});
  EXPECT_NE(original.clusters[0].volumes[0], VolumeScenario{});
  EXPECT_NE(original.clusters[0].nodes[0].interfaces[0], InterfaceScenario{});
  EXPECT_NE(original.clusters[0].ha_resources[0], HaResourceScenario{});
  EXPECT_NE(original.clusters[0].tasks[0], TaskScenario{});
  EXPECT_NE(original.clusters[0].sdn_zones[0], SdnZoneScenario{});
  EXPECT_NE(original.clusters[0].sdn_vnets[0], SdnVnetScenario{});
  EXPECT_NE(original.clusters[0].sdn_subnets[0], SdnSubnetScenario{});
  EXPECT_NE(original.users[0], UserScenario{});
  EXPECT_NE(original.users[0].tokens[0], TokenScenario{});
  EXPECT_NE(original.realms[0], RealmScenario{});
  EXPECT_NE(original.groups[0], GroupScenario{});
  EXPECT_NE(original.roles[0], RoleScenario{});
  EXPECT_NE(original.acl[0], AclScenario{});
  const Scenario parsed = Scenario::from_json(json::parse(json::serialize(original.to_json())));
  EXPECT_EQ(parsed.service, Service::pbs);
  EXPECT_EQ(parsed.clusters[0].nodes, original.clusters[0].nodes);
  EXPECT_EQ(parsed.clusters[0].guests[0].nics, original.clusters[0].guests[0].nics);
  EXPECT_EQ(parsed.clusters[0].guests, original.clusters[0].guests);
  EXPECT_EQ(parsed.clusters[0].storages, original.clusters[0].storages);
  EXPECT_EQ(parsed.clusters[0].backups, original.clusters[0].backups);
  EXPECT_EQ(parsed.clusters[0].volumes, original.clusters[0].volumes);
  EXPECT_EQ(parsed.clusters[0].datastores, original.clusters[0].datastores);
  EXPECT_EQ(parsed.users[0].tokens, original.users[0].tokens);
  EXPECT_EQ(parsed.users, original.users);
  EXPECT_EQ(parsed.clusters, original.clusters);
  EXPECT_EQ(parsed, original);
  EXPECT_NE(parsed, defaults);
}

TEST(StateScenarioTest, JsonFormKeepsKeyNamesAndOrder) {
  const json::value value = scenario_with_every_field_set().to_json();
  const std::string cluster = json::serialize(value.at_pointer("/clusters/0/nodes/0"));
  EXPECT_EQ(cluster, R"({"name":"lab1","status":"offline","ip":"10.9.9.9","cpus":12,)"
                     R"("memory_bytes":3221225472,"disk_bytes":7516192768,"interfaces":[)"
                     R"({"iface":"vmbr0.20","type":"vlan","mac":"3C:EC:EF:00:00:01",)"
                     R"("cidr":"10.9.9.9/24","gateway":"10.9.9.1","cidr6":"fd00::9/64",)"
                     R"("gateway6":"fd00::1","bridge_ports":"eno1","bridge_vlan_aware":true,)"
                     R"("slaves":"eno1 eno2","bond_mode":"802.3ad","vlan_id":20,)"
                     R"("vlan_raw_device":"vmbr0","mtu":9000,"active":false,"autostart":false,)"
                     R"("comments":"mgmt"}]})");
  EXPECT_EQ(json::serialize(value.at_pointer("/clusters/0/guests/0")),
            R"({"vmid":4242,"type":"lxc","name":"ct-x","node":"lab1","status":"paused",)"
            R"("cores":3,"memory_mb":2048,"disk_gb":33,"onboot":true,"agent":true,)"
            R"("unprivileged":false,"template":true,"pool":"gold","tags":["a","b"],)"
            R"("description":"desc","os_type":"debian","nics":[{"name":"net3",)"
            R"("mac":"AA:BB:cc:DD:EE:FF","bridge":"vmbr9","ip_addresses":["10.1.1.1/24",)"
            R"("fd00::1/64"],"key":"net5","model":"e1000","tag":20,"firewall":false,)"
            R"("mtu":9000,"rate":"12.5","queues":4,"link_down":true,"gateway":"10.1.1.254",)"
            R"("gateway6":"fd00::fe"}],"disks":[{"key":"mp1","storage":"nas","size_gb":12,)"
            R"("volume":"vm-4242-disk-7","mountpoint":"/srv","options":"backup=0"}],)"
            R"("snapshots":[{"name":"snap1",)"
            R"("description":"before","parent":"snap0","snaptime":1767225700,"vmstate":true}]})");
  EXPECT_EQ(json::serialize(value.at_pointer("/clusters/0/storages/0")),
            R"({"id":"nas","type":"nfs","content":["backup"],"shared":true,"nodes":["lab1"],)"
            R"("total_bytes":5497558138880})");
  EXPECT_EQ(json::serialize(value.at_pointer("/clusters/0/backups/0")),
            R"({"storage":"nas","node":"lab1","vmid":4242,)"
            R"("volid":"nas:backup/vzdump-lxc-4242.tar.zst","format":"tar.zst","size":123,)"
            R"("ctime":1767225600,"notes":"weekly","protected":true,"verification":"failed"})");
  EXPECT_EQ(json::serialize(value.at_pointer("/clusters/0/volumes/0")),
            R"({"storage":"nas","node":"lab1","volid":"nas:4242/vm-4242-disk-9.qcow2",)"
            R"("content":"images","format":"qcow2","size":456,"ctime":1767225601,"vmid":4242})");
  EXPECT_EQ(json::serialize(value.at_pointer("/clusters/0/datastores/0")),
            R"({"name":"store1","path":"/mnt/store1","namespaces":["ns1","ns2"]})");
  EXPECT_EQ(json::serialize(value.at_pointer("/users")),
            R"([{"userid":"alice@pve","password":"pw","tokens":[{"id":"ci","secret":"s3",)"
            R"("privsep":true,"expire":1767225999,"comment":"ci token"}],"enable":false,)"
            R"("expire":1767229999,"firstname":"Alice","lastname":"Liddell",)"
            R"("email":"alice@example.com","comment":"ops","keys":"yk1"}])");
  EXPECT_EQ(json::serialize(value.at_pointer("/realms")),
            R"([{"realm":"corp","type":"ldap","comment":"Corporate","default":true,)"
            R"("options":{"server1":"ldap.corp"}}])");
  EXPECT_EQ(json::serialize(value.at_pointer("/groups")),
            R"([{"groupid":"ops","comment":"Operations","members":["alice@pve"]}])");
  EXPECT_EQ(json::serialize(value.at_pointer("/roles")),
            R"([{"roleid":"Ops","privs":["VM.Audit"]}])");
  EXPECT_EQ(json::serialize(value.at_pointer("/acl")),
            R"([{"path":"/vms/4242","type":"group","ugid":"ops","roleid":"Ops",)"
            R"("propagate":false}])");
  std::vector<std::string> cluster_keys, root_keys;
  for (const auto& entry : value.at_pointer("/clusters/0").as_object())
    cluster_keys.emplace_back(entry.key());
  for (const auto& entry : value.as_object())
    root_keys.emplace_back(entry.key());
  EXPECT_EQ(json::serialize(value.at_pointer("/clusters/0/tasks/0")),
            R"({"node":"lab1","type":"vzstart","id":"4242","user":"alice@pve",)"
            R"("starttime":1767225600,"endtime":1767225610,"status":"failed"})");
  EXPECT_EQ(json::serialize(value.at_pointer("/clusters/0/ha_resources/0")),
            R"({"sid":"ct:4242","state":"disabled","group":"grp","max_restart":3,)"
            R"("max_relocate":2,"comment":"ha note"})");
  EXPECT_EQ(json::serialize(value.at_pointer("/clusters/0/replication_jobs/0")),
            R"({"id":"4242-0","settings":{"id":"4242-0","target":"lab2"}})");
  EXPECT_EQ(json::serialize(value.at_pointer("/clusters/0/sdn_subnets/0")),
            R"({"vnet":"vnet9","cidr":"10.9.0.0/24","gateway":"10.9.0.1","snat":true})");
  EXPECT_EQ(cluster_keys,
            (std::vector<std::string>{"name", "mode", "nodes", "guests", "storages", "backups",
                                      "volumes", "datastores", "backup_jobs", "replication_jobs",
                                      "tasks", "ha_resources", "sdn_zones", "sdn_vnets",
                                      "sdn_subnets", "cpu_models", "firewall"}));
  EXPECT_EQ(root_keys, (std::vector<std::string>{"service", "clusters", "users", "realms", "groups",
                                                 "roles", "acl"}));
  EXPECT_EQ(value.at("service"), "pbs");
}

TEST(StateScenarioTest, UnknownKeyIsRejectedInEveryStruct) {
  const std::vector<std::string> pointers = {"",
                                             "/clusters/0",
                                             "/clusters/0/nodes/0",
                                             "/clusters/0/nodes/0/interfaces/0",
                                             "/clusters/0/guests/0",
                                             "/clusters/0/guests/0/nics/0",
                                             "/clusters/0/guests/0/disks/0",
                                             "/clusters/0/guests/0/snapshots/0",
                                             "/clusters/0/storages/0",
                                             "/clusters/0/backups/0",
                                             "/clusters/0/volumes/0",
                                             "/clusters/0/datastores/0",
                                             "/clusters/0/backup_jobs/0",
                                             "/clusters/0/tasks/0",
                                             "/clusters/0/ha_resources/0",
                                             "/clusters/0/sdn_zones/0",
                                             "/clusters/0/sdn_vnets/0",
                                             "/clusters/0/sdn_subnets/0",
                                             "/users/0",
                                             "/users/0/tokens/0",
                                             "/realms/0",
                                             "/groups/0",
                                             "/roles/0",
                                             "/acl/0"};
  for (const std::string& pointer : pointers) {
    json::value value = scenario_with_every_field_set().to_json();
    value.at_pointer(pointer).as_object()["bogus"] = 1;
    // "/clusters/0/nodes/0" names the key as "clusters[0].nodes[0].bogus".
    std::string path;
    for (size_t at = 1; at < pointer.size();) {
      const size_t end = std::min(pointer.find('/', at), pointer.size());
      const std::string part = pointer.substr(at, end - at);
      path += std::isdigit(static_cast<unsigned char>(part[0])) ? "[" + part + "]"
                                                                : (path.empty() ? "" : ".") + part;
      at = end + 1;
    }
    path += path.empty() ? "bogus" : ".bogus";
    EXPECT_EQ(load_error(value), "scenario: " + path + ": unknown key") << pointer;
  }
}

TEST(StateScenarioTest, ValidationMessagesAreUnchanged) {
  struct Case {
    std::string pointer;  // the value replaced
    json::value replacement;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"/clusters/0/nodes/0/name", "", "scenario: clusters[0].nodes[0].name: required"},
      {"/clusters/0/nodes/0/status", "up",
       "scenario: clusters[0].nodes[0].status: must be online or offline"},
      {"/clusters/0/nodes/0/cpus", "8", "scenario: clusters[0].nodes[0].cpus: expected an integer"},
      {"/clusters/0/nodes/0/cpus", int64_t{1} << 40,
       "scenario: clusters[0].nodes[0].cpus: integer out of range"},
      {"/clusters/0/nodes/0/ip", 7, "scenario: clusters[0].nodes[0].ip: expected a string"},
      {"/clusters/0/guests/0/vmid", 99,
       "scenario: clusters[0].guests[0].vmid: must be 100..999999999"},
      {"/clusters/0/guests/0/type", "kvm",
       "scenario: clusters[0].guests[0].type: must be qemu or lxc"},
      {"/clusters/0/guests/0/status", "gone",
       "scenario: clusters[0].guests[0].status: must be running, stopped or paused"},
      {"/clusters/0/guests/0/cores", 0,
       "scenario: clusters[0].guests[0].cores: must be at least 1"},
      {"/clusters/0/guests/0/memory_mb", 15,
       "scenario: clusters[0].guests[0].memory_mb: must be at least 16"},
      {"/clusters/0/guests/0/disk_gb", -1,
       "scenario: clusters[0].guests[0].disk_gb: must not be negative"},
      {"/clusters/0/guests/0/onboot", 2,
       "scenario: clusters[0].guests[0].onboot: expected a boolean"},
      {"/clusters/0/guests/0/tags", json::array{1},
       "scenario: clusters[0].guests[0].tags: expected an array of strings"},
      {"/clusters/0/guests/0/nics", json::object{},
       "scenario: clusters[0].guests[0].nics: expected an array"},
      {"/clusters/0/guests/0/nics/0", 1,
       "scenario: clusters[0].guests[0].nics[0]: expected an object"},
      {"/clusters/0/guests/0/node", "lab9",
       "scenario: clusters[0].guests: guest 4242 is on unknown node 'lab9'"},
      {"/clusters/0/storages/0/id", "", "scenario: clusters[0].storages[0].id: required"},
      {"/clusters/0/backups/0/storage", "", "scenario: clusters[0].backups[0].storage: required"},
      {"/clusters/0/backups/0/vmid", 99,
       "scenario: clusters[0].backups[0].vmid: must be at least 100"},
      {"/clusters/0/backups/0/storage", "tape",
       "scenario: clusters[0].backups: backup of 4242 is on unknown storage 'tape'"},
      {"/clusters/0/backups/0/node", "lab9",
       "scenario: clusters[0].backups: backup of 4242 is on unknown node 'lab9'"},
      {"/clusters/0/volumes/0/storage", "", "scenario: clusters[0].volumes[0].storage: required"},
      {"/clusters/0/volumes/0/content", "", "scenario: clusters[0].volumes[0].content: required"},
      {"/clusters/0/volumes/0/volid", "iso.iso",
       "scenario: clusters[0].volumes[0].volid: must be <storage>:<name>"},
      {"/clusters/0/volumes/0/size", -1,
       "scenario: clusters[0].volumes[0].size: must not be negative"},
      {"/clusters/0/volumes/0/storage", "tape",
       "scenario: clusters[0].volumes: volume nas:4242/vm-4242-disk-9.qcow2 is on unknown "
       "storage 'tape'"},
      {"/clusters/0/volumes/0/node", "lab9",
       "scenario: clusters[0].volumes: volume nas:4242/vm-4242-disk-9.qcow2 is on unknown node "
       "'lab9'"},
      {"/clusters/0/datastores/0/name", "", "scenario: clusters[0].datastores[0].name: required"},
      {"/clusters/0/mode", "ha", "scenario: clusters[0].mode: must be cluster or standalone"},
      {"/clusters/0/nodes/1", json::object{{"name", "lab1"}},
       "scenario: clusters[0].nodes: duplicate node lab1"},
      {"/clusters/0/guests/1", json::object{{"vmid", 4242}, {"node", "lab1"}},
       "scenario: clusters[0].guests: duplicate vmid 4242"},
      {"/clusters/0/storages/1", json::object{{"id", "nas"}},
       "scenario: clusters[0].storages: duplicate storage nas"},
      {"/users/0/tokens/0/id", "", "scenario: users[0].tokens[0].id: required"},
      {"/clusters/0/nodes/0/interfaces/0/type", "wifi",
       "scenario: clusters[0].nodes[0].interfaces[0].type: must be eth, bond, bridge or vlan"},
      {"/clusters/0/guests/0/nics/0/tag", 4095,
       "scenario: clusters[0].guests[0].nics[0].tag: must be 0..4094"},
      {"/clusters/0/guests/0/disks/0/storage", "tape",
       "scenario: clusters[0].guests: disk mp1 of guest 4242 is on unknown storage 'tape'"},
      {"/clusters/0/guests/0/snapshots/0/name", "current",
       "scenario: clusters[0].guests[0].snapshots[0].name: required (and not 'current')"},
      {"/clusters/0/backup_jobs/0/settings", 1,
       "scenario: clusters[0].backup_jobs[0].settings: expected an object"},
      {"/clusters/0/ha_resources/0/sid", "ct:4243",
       "scenario: clusters[0].ha_resources: ct:4243 names no guest"},
      {"/clusters/0/ha_resources/0/sid", "4242",
       "scenario: clusters[0].ha_resources[0].sid: must be vm:<vmid> or ct:<vmid>"},
      {"/clusters/0/sdn_vnets/0/zone", "z9",
       "scenario: clusters[0].sdn_vnets: vnet vnet9 is in unknown zone 'z9'"},
      {"/clusters/0/sdn_subnets/0/vnet", "vnet8",
       "scenario: clusters[0].sdn_subnets: subnet 10.9.0.0/24 is in unknown vnet 'vnet8'"},
      {"/clusters/0/tasks/0/node", "lab9",
       "scenario: clusters[0].tasks: task vzstart is on unknown node 'lab9'"},
      {"/users/0/userid", "alice", "scenario: users[0].userid: must be user@realm"},
      {"/service", "vmware",
       "scenario: service: unknown Proxmox service 'vmware' (valid: pve, pbs, pdm)"},
  };
  for (const auto& c : cases) {
    json::value value = scenario_with_every_field_set().to_json();
    const size_t slash = c.pointer.rfind('/');
    json::value& parent = value.at_pointer(c.pointer.substr(0, slash));
    const std::string last = c.pointer.substr(slash + 1);
    if (parent.is_array()) {
      auto& array = parent.as_array();
      const size_t index = std::stoul(last);
      if (index < array.size()) {
        array[index] = c.replacement;
      } else {
        array.push_back(c.replacement);
      }
    } else {
      parent.as_object()[last] = c.replacement;
    }
    EXPECT_EQ(load_error(value), c.message) << c.pointer;
  }
  EXPECT_EQ(load_error(json::array{}), "scenario: (root): expected an object");
  EXPECT_EQ(load_error(scenario_with_every_field_set().to_json()), "");
}

TEST(StateScenarioTest, UnknownKeyIsRejectedByName) {
  json::value value = sample_scenario().to_json();
  value.as_object()["clusters"]
      .as_array()[0]
      .as_object()["guests"]
      .as_array()[1]
      .as_object()["vmidd"] = 7;
  try {
    Scenario::from_json(value);
    FAIL() << "unknown key accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("clusters[0].guests[1].vmidd"), std::string::npos)
        << error.what();
  }
}

TEST(StateScenarioTest, WrongTypesAndDanglingReferencesAreClearErrors) {
  EXPECT_THROW(Scenario::from_json(json::parse(R"({"clusters":[{"nodes":"pve1"}]})")),
               std::invalid_argument);
  EXPECT_THROW(Scenario::from_json(json::parse(R"({"service":"vmware"})")), std::invalid_argument);
  try {
    Scenario::from_json(json::parse(
        R"({"clusters":[{"nodes":[{"name":"pve1"}],"guests":[{"vmid":100,"node":"pve9"}]}]})"));
    FAIL() << "guest on an unknown node accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("pve9"), std::string::npos) << error.what();
  }
  EXPECT_THROW(Scenario::from_json(json::parse(
                   R"({"clusters":[{"nodes":[{"name":"a"}],"guests":[{"vmid":5,"node":"a"}]}]})")),
               std::invalid_argument);
}

TEST(StateScenarioTest, GenerateIsDeterministicAndSpreadsTotals) {
  GenerateOptions options;
  options.clusters = 3;
  options.nodes = 10;
  options.guests = 1000;
  options.backups_per_guest = 2;
  options.seed = 7;
  const Scenario a = generate_scenario(options);
  const Scenario b = generate_scenario(options);
  EXPECT_EQ(json::serialize(a.to_json()), json::serialize(b.to_json()));
  ASSERT_EQ(a.clusters.size(), 3u);
  size_t nodes = 0, guests = 0, backups = 0;
  for (const auto& cluster : a.clusters) {
    nodes += cluster.nodes.size();
    guests += cluster.guests.size();
    backups += cluster.backups.size();
  }
  EXPECT_EQ(nodes, 10u);
  EXPECT_EQ(guests, 1000u);
  EXPECT_EQ(backups, 2000u);
  // The generated scenario passes its own validation.
  EXPECT_NO_THROW(Scenario::from_json(a.to_json()));
  options.seed = 8;
  EXPECT_NE(json::serialize(generate_scenario(options).to_json()), json::serialize(a.to_json()));
}

TEST(StateScenarioTest, ShippedScenariosLoad) {
  for (const char* name : {"minimal", "multi-cluster", "with-backups"}) {
    const json::value file_json = json::parse(
        common::read_file(std::string(PBX_SOURCE_DIR) + "/data/scenarios/" + name + ".json"));
    Scenario loaded;
    ASSERT_NO_THROW(loaded = Scenario::from_json(file_json)) << name;
    // Loaded unchanged: every value the file sets comes back from to_json().
    EXPECT_TRUE(json_contains(loaded.to_json(), file_json)) << name;
    EXPECT_EQ(Scenario::from_json(loaded.to_json()), loaded) << name;
  }
}

// The shipped minimal scenario is the built-in default: both load to the same state.
TEST(StateScenarioTest, ShippedMinimalScenarioIsTheBuiltInDefault) {
  const Scenario file = Scenario::from_json(
      json::parse(common::read_file(std::string(PBX_SOURCE_DIR) + "/data/scenarios/minimal.json")));
  ClusterState from_file(file.clusters[0], Service::pve, std::chrono::milliseconds(10));
  ClusterState built_in(default_cluster(Service::pve), Service::pve, std::chrono::milliseconds(10));
  EXPECT_EQ(json::serialize(Scenario{Service::pve, {from_file.export_scenario()}, {}}.to_json()),
            json::serialize(Scenario{Service::pve, {built_in.export_scenario()}, {}}.to_json()));
}

TEST(StateScenarioTest, ShippedScenariosCarryTheStateTheSyncReads) {
  const auto load = [](const char* name) {
    return Scenario::from_json(json::parse(
        common::read_file(std::string(PBX_SOURCE_DIR) + "/data/scenarios/" + name + ".json")));
  };
  for (const char* name : {"minimal", "multi-cluster", "with-backups"}) {
    for (const auto& cluster : load(name).clusters) {
      for (const auto& node : cluster.nodes)
        EXPECT_FALSE(node.interfaces.empty()) << name << " " << node.name;
      for (const auto& guest : cluster.guests) {
        EXPECT_FALSE(guest.disks.empty()) << name << " " << guest.vmid;
        EXPECT_FALSE(guest.nics.empty()) << name << " " << guest.vmid;
      }
    }
  }
  const Scenario multi = load("multi-cluster");
  for (const auto& cluster : multi.clusters) {
    EXPECT_FALSE(cluster.replication_jobs.empty()) << cluster.name;
    EXPECT_FALSE(cluster.ha_resources.empty()) << cluster.name;
    EXPECT_FALSE(cluster.sdn_subnets.empty()) << cluster.name;
    EXPECT_FALSE(cluster.tasks.empty()) << cluster.name;
  }
  const Scenario backups = load("with-backups");
  EXPECT_EQ(backups.clusters[0].backup_jobs.size(), 2u);
  EXPECT_EQ(backups.clusters[0].tasks.size(), backups.clusters[0].backups.size());
}

TEST(StateScenarioTest, StateExportRoundTripsAndFillsGeneratedFields) {
  const Scenario scenario = sample_scenario();
  ClusterState state(scenario.clusters[0], Service::pve, std::chrono::milliseconds(10));
  const ClusterScenario exported = state.export_scenario();
  EXPECT_EQ(exported.guests.size(), 2u);
  EXPECT_FALSE(exported.guests[0].nics[0].mac.empty());
  EXPECT_EQ(exported.backups[0].volid, "local:backup/vzdump-qemu-100-2026_01_01-00_00_00.vma.zst");
  Scenario again;
  again.clusters.push_back(exported);
  EXPECT_NO_THROW(Scenario::from_json(again.to_json()));
}

TEST(StateScenarioTest, TaskUpidHasProxmoxShapeAndFinishes) {
  ClusterState state(default_cluster(Service::pve), Service::pve, std::chrono::milliseconds(20));
  const Task& task = state.start_task("pve1", "qmstart", "100", "root@pam");
  // UPID:<node>:<pid 8 hex>:<pstart 8 hex>:<starttime 8 hex>:<type>:<id>:<user>:
  EXPECT_TRUE(task.upid.starts_with("UPID:pve1:")) << task.upid;
  EXPECT_TRUE(task.upid.ends_with(":qmstart:100:root@pam:")) << task.upid;
  EXPECT_EQ(std::count(task.upid.begin(), task.upid.end(), ':'), 8);
  const auto now = std::chrono::steady_clock::now();
  EXPECT_TRUE(task.running(now));
  EXPECT_FALSE(task.running(now + std::chrono::milliseconds(50)));
  EXPECT_EQ(state.tasks_of("pve1").size(), 1u);
}

}  // namespace
}  // namespace pbx::proxmox
