// The estate checks of the cluster: task history, jobs, node interfaces, SDN and storages.

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <map>
#include <set>
#include <string>

#include "estate_kind_checks.hpp"
#include "estate_reading.hpp"

namespace pbx::e2e::suite::estate {

namespace json = boost::json;
using proxmox::ClusterScenario;
using proxmox::GuestScenario;
using proxmox::NicScenario;

// Stage 4: the finished guest tasks the endpoint lists (cluster-wide and per node), by UPID.
void expect_task_history(NetBoxReader& netbox, ProxmoxSide& pve, const ClusterScenario& cluster,
                         const EstateIds& ids) {
  std::map<std::string, json::object> listed;  // upid → the task as Proxmox lists it
  std::vector<std::string> paths{"/cluster/tasks"};
  for (const auto& node : cluster.nodes)
    paths.push_back("/nodes/" + node.name + "/tasks");
  for (const auto& path : paths) {
    const auto tasks = pve.get(path);
    if (!tasks.is_array()) continue;
    for (const auto& task : tasks.as_array()) {
      const auto& object = task.as_object();
      const std::string id = string_field(object, "id");
      const bool of_guest =
          std::any_of(cluster.guests.begin(), cluster.guests.end(),
                      [&](const GuestScenario& g) { return std::to_string(g.vmid) == id; });
      if (of_guest && object.contains("endtime")) listed[string_field(object, "upid")] = object;
    }
  }
  ASSERT_FALSE(listed.empty()) << "the endpoint lists no finished guest task";
  std::map<std::string, json::object> held;
  for (const auto& [vmid, vm_id] : ids.vms) {
    for (auto& task : netbox.list("/api/plugins/proxbox/task-history/",
                                  fmt::format("virtual_machine_id={}", vm_id))) {
      EXPECT_EQ(string_field(task, "task_id"), std::to_string(vmid)) << json::serialize(task);
      held[string_field(task, "upid")] = std::move(task);
    }
  }
  std::set<std::string> listed_upids, held_upids;
  for (const auto& [upid, _] : listed)
    listed_upids.insert(upid);
  for (const auto& [upid, _] : held)
    held_upids.insert(upid);
  EXPECT_EQ(held_upids, listed_upids);
  for (const auto& [upid, task] : listed) {
    const auto found = held.find(upid);
    if (found == held.end()) continue;
    EXPECT_EQ(string_field(found->second, "task_type"), string_field(task, "type")) << upid;
    EXPECT_EQ(string_field(found->second, "node"), string_field(task, "node")) << upid;
    EXPECT_EQ(string_field(found->second, "username"), string_field(task, "user")) << upid;
    EXPECT_EQ(string_field(found->second, "status"), string_field(task, "status")) << upid;
    EXPECT_EQ(unix_seconds(found->second.if_contains("start_time")),
              number_of(task.at("starttime")))
        << upid;
  }
}

// Stages 12 and 13: the cluster's replication and backup jobs.
void expect_jobs(NetBoxReader& netbox, const ClusterScenario& cluster, const EstateIds& ids) {
  ASSERT_FALSE(cluster.replication_jobs.empty());
  for (const auto& job : cluster.replication_jobs) {
    const auto& settings = job.settings;
    const int vmid = static_cast<int>(number_of(settings.at("guest")));
    const auto replications = netbox.list("/api/plugins/proxbox/replications/",
                                          fmt::format("virtual_machine_id={}", ids.vms.at(vmid)));
    ASSERT_EQ(replications.size(), 1u) << "replication " << job.id;
    const auto& replication = replications.front();
    EXPECT_EQ(string_field(replication, "replication_id"), job.id);
    EXPECT_EQ(string_field(replication, "target"), std::string(settings.at("target").as_string()));
    EXPECT_EQ(string_field(replication, "schedule"),
              std::string(settings.at("schedule").as_string()));
    EXPECT_EQ(replication.at("guest").to_number<int64_t>(), vmid);
  }
  ASSERT_FALSE(cluster.backup_jobs.empty());
  for (const auto& job : cluster.backup_jobs) {
    const auto routines = netbox.list("/api/plugins/proxbox/backup-routines/",
                                      "job_id=" + http::percent_encode(job.id));
    ASSERT_EQ(routines.size(), 1u) << "backup routine " << job.id;
    const auto& routine = routines.front();
    const auto& settings = job.settings;
    EXPECT_EQ(string_field(routine, "schedule"), std::string(settings.at("schedule").as_string()));
    EXPECT_EQ(routine.at("enabled").as_bool(), true);
    json::array vmids;
    for (const auto& vmid : split_list(std::string(settings.at("vmid").as_string())))
      vmids.push_back(std::stoll(vmid));
    EXPECT_EQ(routine.at("selection"), json::value(vmids)) << json::serialize(routine);
    // "keep-last=3,keep-weekly=2"
    for (const auto& part : split_list(std::string(settings.at("prune-backups").as_string()))) {
      const auto equals = part.find('=');
      std::string field = part.substr(0, equals);
      std::replace(field.begin(), field.end(), '-', '_');
      EXPECT_EQ(routine.at(field).to_number<int64_t>(), std::stoll(part.substr(equals + 1)))
          << field;
    }
  }
}

// Stage 8: one device interface per node interface, linked as the node's network is, with the
// node's addresses on them.
void expect_node_interfaces(NetBoxReader& netbox, const proxmox::NodeScenario& node,
                            int64_t device_id) {
  const auto interfaces =
      by_name(netbox.list("/api/dcim/interfaces/", fmt::format("device_id={}", device_id)));
  EXPECT_EQ(interfaces.size(), node.interfaces.size()) << "interfaces of " << node.name;
  const auto id_of_named = [&](const std::string& name) -> int64_t {
    const auto found = interfaces.find(name);
    return found == interfaces.end() ? -1 : found->second.at("id").as_int64();
  };
  for (const auto& interface : node.interfaces) {
    SCOPED_TRACE(node.name + " " + interface.iface);
    const auto found = interfaces.find(interface.iface);
    if (found == interfaces.end()) {
      ADD_FAILURE() << "no NetBox interface";
      continue;
    }
    const auto& object = found->second;
    const std::map<std::string, std::string> kTypes{
        {"eth", "other"}, {"bond", "lag"}, {"bridge", "bridge"}, {"vlan", "virtual"}};
    EXPECT_EQ(choice_value(object, "type"), kTypes.at(interface.type));
    EXPECT_EQ(object.at("enabled").as_bool(), interface.active);
    if (interface.mtu > 0) {
      EXPECT_EQ(object.at("mtu").to_number<int64_t>(), interface.mtu);
    }
    EXPECT_EQ(string_field(object, "description"), interface.comments);
    int64_t lag = 0, bridge = 0;
    for (const auto& other : node.interfaces) {
      const auto members =
          split_list(other.type == "bond" ? other.slaves : other.bridge_ports, ' ');
      if (std::find(members.begin(), members.end(), interface.iface) == members.end()) continue;
      (other.type == "bond" ? lag : bridge) = id_of_named(other.iface);
    }
    EXPECT_EQ(id_of(object.if_contains("lag")), lag);
    EXPECT_EQ(id_of(object.if_contains("bridge")), bridge);
    EXPECT_EQ(id_of(object.if_contains("parent")),
              interface.vlan_raw_device.empty() ? 0 : id_of_named(interface.vlan_raw_device));
    std::set<std::string> expected;
    for (const auto* cidr : {&interface.cidr, &interface.cidr6}) {
      if (!cidr->empty()) expected.insert(*cidr);
    }
    EXPECT_EQ(addresses_on(netbox, "interface_id", object.at("id").as_int64()), expected);
  }
}

// Stage 11: zones as VLAN groups of the cluster, tagged VNets as their VLANs, subnets as
// prefixes on those VLANs.
void expect_sdn(NetBoxReader& netbox, const ClusterScenario& cluster, int64_t cluster_id) {
  ASSERT_FALSE(cluster.sdn_zones.empty());
  std::map<std::string, int64_t> groups;
  for (const auto& zone : cluster.sdn_zones) {
    const auto found = netbox.list("/api/ipam/vlan-groups/", "name=" + zone.zone);
    const auto mine = std::find_if(found.begin(), found.end(), [&](const json::object& group) {
      return id_of(group.if_contains("scope_id")) == cluster_id;
    });
    if (mine == found.end()) {
      ADD_FAILURE() << "no VLAN group for SDN zone " << zone.zone << " on the cluster";
      continue;
    }
    EXPECT_EQ(string_field(*mine, "scope_type"), "virtualization.cluster");
    groups[zone.zone] = mine->at("id").as_int64();
  }
  std::map<std::string, int64_t> vlans;
  for (const auto& vnet : cluster.sdn_vnets) {
    if (!groups.contains(vnet.zone)) continue;
    const auto found = netbox.find_one(
        "/api/ipam/vlans/", fmt::format("group_id={}&name={}", groups[vnet.zone], vnet.vnet));
    if (!found) continue;
    EXPECT_EQ(found->at("vid").to_number<int64_t>(), vnet.tag) << vnet.vnet;
    vlans[vnet.vnet] = found->at("id").as_int64();
  }
  for (const auto& subnet : cluster.sdn_subnets) {
    const auto found =
        netbox.find_one("/api/ipam/prefixes/", "prefix=" + http::percent_encode(subnet.cidr));
    if (!found) continue;
    EXPECT_EQ(id_of(found->if_contains("vlan")), vlans[subnet.vnet]) << subnet.cidr;
  }
}

// Stage 2: one storage object per storage of the cluster.
void expect_storages(NetBoxReader& netbox, const ClusterScenario& cluster, int64_t cluster_id) {
  const auto storages = by_name(
      netbox.list("/api/plugins/proxbox/storage/", fmt::format("cluster_id={}", cluster_id)));
  EXPECT_EQ(storages.size(), cluster.storages.size());
  for (const auto& storage : cluster.storages) {
    const auto found = storages.find(storage.id);
    if (found == storages.end()) {
      ADD_FAILURE() << "no storage object for " << storage.id;
      continue;
    }
    EXPECT_EQ(string_field(found->second, "storage_type"), storage.type) << storage.id;
    EXPECT_EQ(found->second.at("shared").as_bool(), storage.shared) << storage.id;
    for (const auto& content : storage.content) {
      EXPECT_NE(string_field(found->second, "content").find(content), std::string::npos)
          << storage.id << " content " << content;
    }
  }
}

}  // namespace pbx::e2e::suite::estate
