#include "sync/network_sync.hpp"

#include <set>

#include "common/text.hpp"
#include "sync/engine.hpp"
#include "sync/json_util.hpp"
#include "sync/network_mapping.hpp"
#include "sync/node_interface_mapping.hpp"
#include "sync/sdn.hpp"

namespace pbx::sync {
namespace json = boost::json;

namespace {

constexpr const char* kVmsPath = "/virtualization/virtual-machines/";

// The id before the '/' of a vm_child_key or interface_child_key.
int64_t owner_of_key(const std::string& key) {
  return common::parse_number<int64_t>(key, common::kLeadingNumber).value_or(0);
}

std::set<int64_t> ids_of(const std::map<std::string, int64_t>& ids) {
  std::set<int64_t> values;
  for (const auto& [key, id] : ids) {
    if (id > 0) values.insert(id);
  }
  return values;
}

class NetworkRun {
 public:
  NetworkRun(PluginStageContext& context, const std::vector<EndpointSnapshot>& endpoints,
             const NetBoxVersion& version)
      : context_(context),
        endpoints_(endpoints),
        version_(version),
        guests_(guests_with_vms(endpoints, context.refs)),
        vms_(ids_of(context.refs.vms)) {
    for (const auto& entry : guests_)
      known_vms_.insert(entry.vm_id);
  }

  void virtual_disks() {
    const auto desired = desired_virtual_disks(guests_, context_.refs, version_);
    context_.sync_kind("virtual_disks", kVirtualDisksPath, desired,
                       owned(kVirtualDisksPath, disk_filters(desired), "virtual_machine", vms_),
                       current_vm_child_key, true, unknown_vm_child());
  }

  // The listings of the VM stages to come, as the stages below make them (for the prefetch).
  std::vector<PlannedListing> planned(const NetworkStages& stages) const {
    std::vector<PlannedListing> listings;
    if (vms_.empty()) return listings;
    if (stages.virtual_disks) {
      listings.push_back({kVirtualDisksPath,
                          disk_filters(desired_virtual_disks(guests_, context_.refs, version_))});
    }
    if (!stages.vm_interfaces) return listings;
    // The VLAN ids change no field name of the interfaces: planned without them.
    const auto interfaces = desired_vm_interfaces(guests_, context_.refs, version_, {});
    listings.push_back({kVmInterfacesPath, vm_interface_filters(interfaces)});
    if (interfaces.empty()) return listings;  // no interface ids: MACs and addresses list nothing
    if (version_.at_least(4, 2)) listings.push_back({kMacAddressesPath, mac_filters()});
    // Before 4.4 the VM and the node address listings are the same (assigned_type_filter): the
    // node stage, which writes addresses, would take this one; not planned there.
    if (stages.ip_addresses && version_.at_least(4, 4))
      listings.push_back({kIpAddressesPath, vm_ip_filters()});
    return listings;
  }

  // Node NICs, bonds, bridges and VLAN interfaces, their links and the node's addresses.
  void node_interfaces() {
    const auto nodes = nodes_with_networks(endpoints_, context_.refs);
    std::set<int64_t> read_devices;  // devices whose node's network answered
    for (const auto& entry : nodes)
      read_devices.insert(entry.device_id);
    const auto desired = desired_node_interfaces(nodes, context_.refs);
    auto current = owned(kDeviceInterfacesPath,
                         owned_filters(desired, {"device", "name"}, {"lag", "bridge", "parent"}),
                         "device", ids_of(context_.refs.devices));
    auto listed = current;
    const auto interfaces = context_.sync_kind(
        "node_interfaces", kDeviceInterfacesPath, desired, std::move(current),
        current_device_interface_key, true,
        [&](const ObjectRef& object) { return read_devices.count(owner_of_key(object.key)) == 0; });
    if (context_.cancelled()) return;
    listed = with_created(std::move(listed), interfaces, "device", {"lag", "bridge", "parent"});
    context_.sync_kind("node_interface_links", kDeviceInterfacesPath,
                       desired_node_interface_links(nodes, interfaces), std::move(listed),
                       current_device_interface_key, false, {});
    if (context_.cancelled()) return;
    auto ips = owned(kIpAddressesPath,
                     owned_filters({}, {"assigned_object_id", "address"},
                                   {"assigned_object_type", "status", "tags"},
                                   assigned_type_filter(kDeviceInterfaceType)),
                     "assigned_object_id", ids_of(interfaces), kDeviceInterfaceType);
    auto addresses = desired_node_addresses(nodes, context_.refs, interfaces, ips);
    const auto adopted = adopt_addresses("node_ip_addresses", addresses, ips, ids_of(interfaces));
    context_.sync_kind("node_ip_addresses", kIpAddressesPath, addresses, std::move(ips),
                       adopted_or_ip_key(adopted), true, {});
  }

  void vm_interfaces() {
    const auto vlan_desired = desired_vlans(guests_, context_.refs);
    std::map<std::string, int64_t> vlans;
    if (!vlan_desired.empty()) {
      http::Params filters{fields_to_read(vlan_desired, {"vid", "group"})};
      for (const auto& vlan : vlan_desired)
        filters.emplace_back("vid", vlan.key);
      // Shared with whatever else uses the VLAN: never deleted.
      // Only the global ones: the SDN stage's VLANs live in their zone's group.
      auto current = list_tagged(context_.netbox, context_.refs, kVlansPath, std::move(filters));
      std::erase_if(current,
                    [](const json::object& vlan) { return nested_id(vlan, "group") != 0; });
      vlans = context_.sync_kind("vlans", kVlansPath, vlan_desired, std::move(current),
                                 current_vlan_key, false, {});
    }
    const auto desired = desired_vm_interfaces(guests_, context_.refs, version_, vlans);
    auto current = owned(kVmInterfacesPath, vm_interface_filters(desired), "virtual_machine", vms_);
    const auto listed = current;
    interfaces_ =
        context_.sync_kind("vm_interfaces", kVmInterfacesPath, desired, std::move(current),
                           current_vm_child_key, true, unknown_vm_child());
    if (version_.at_least(4, 2) && !context_.cancelled()) primary_macs(listed);
  }

  void ip_addresses() {
    const auto interface_ids = ids_of(interfaces_);
    auto current = owned(kIpAddressesPath, vm_ip_filters(), "assigned_object_id", interface_ids,
                         kVmInterfaceType);
    IpAddressPlan plan = desired_ip_addresses(guests_, context_.refs, interfaces_, current);
    const auto adopted = adopt_addresses("ip_addresses", plan.addresses, current, interface_ids);
    const auto ips =
        context_.sync_kind("ip_addresses", kIpAddressesPath, plan.addresses, std::move(current),
                           adopted_or_ip_key(adopted), true, [&](const ObjectRef& ip) {
                             return plan.known_interfaces.count(owner_of_key(ip.key)) == 0;
                           });
    if (context_.cancelled()) return;
    const auto primaries = desired_primary_ips(plan, ips);
    std::set<int64_t> vms;
    for (const auto& vm : primaries)
      vms.insert(owner_of_key(vm.key));
    context_.sync_kind(
        "primary_ips", kVmsPath, primaries,
        owned(kVmsPath, owned_filters(primaries, {}, {"primary_ip4", "primary_ip6"}), "id", vms),
        [](const json::object& vm) { return std::to_string(json_int(field(vm, "id"))); }, false,
        {});
  }

  // Zones as VLAN groups scoped to their cluster, tagged VNets as VLANs in them, subnets as
  // prefixes (shared IPAM space: never deleted).
  void sdn() {
    std::map<int64_t, const SdnConfig*> clusters;
    std::set<int64_t> cluster_ids;
    for (const auto& endpoint : endpoints_) {
      const int64_t cluster = lookup_id(context_.refs.clusters, endpoint.snapshot.cluster_name);
      if (cluster <= 0 || !endpoint.snapshot.sdn) continue;
      clusters[cluster] = &*endpoint.snapshot.sdn;
      cluster_ids.insert(cluster);
    }
    if (clusters.empty()) return;
    const int64_t tag = context_.refs.tag;
    const auto group_desired = desired_vlan_groups(clusters, tag);
    const auto groups = context_.sync_kind(
        "vlan_groups", kVlanGroupsPath, group_desired,
        owned(kVlanGroupsPath, owned_filters(group_desired, {"scope_id", "slug"}), "scope_id",
              cluster_ids),
        current_vlan_group_key, true, {});
    if (context_.cancelled()) return;
    const auto vlan_desired = desired_sdn_vlans(clusters, groups, tag);
    const auto vlans = context_.sync_kind(
        "sdn_vlans", kVlansPath, vlan_desired,
        owned(kVlansPath, owned_filters(vlan_desired, {"group", "name"}), "group", ids_of(groups)),
        current_sdn_vlan_key, true, {});
    if (context_.cancelled()) return;
    const auto prefix_desired = desired_sdn_prefixes(clusters, groups, vlans, tag);
    std::set<std::string> wanted;
    for (const auto& prefix : prefix_desired)
      wanted.insert(prefix.key);
    std::vector<json::object> prefixes;
    if (!wanted.empty()) {
      for (auto& prefix : list_tagged(context_.netbox, context_.refs, kPrefixesPath,
                                      {fields_to_read(prefix_desired, {"prefix"})})) {
        if (wanted.count(current_prefix_key(prefix))) prefixes.push_back(std::move(prefix));
      }
    }
    context_.sync_kind("prefixes", kPrefixesPath, prefix_desired, std::move(prefixes),
                       current_prefix_key, false, {});
  }

 private:
  // NetBox holds an IP address once in its global table (by host, whatever the mask). An
  // address this run wants that NetBox already has unassigned or on another interface of this
  // run is taken over: its object is assigned here rather than created again (added to
  // `current`; the result maps its id to the desired key). One assigned to an object outside
  // this run (another cluster's guest with the same address) is left where it is and not
  // written twice: dropped from `desired`, said in a step.
  std::map<int64_t, std::string> adopt_addresses(std::string_view kind,
                                                 std::vector<DesiredObject>& desired,
                                                 std::vector<json::object>& current,
                                                 const std::set<int64_t>& interfaces) {
    std::set<std::string> wanted_keys, current_keys;
    for (const auto& object : desired)
      wanted_keys.insert(object.key);
    std::map<int64_t, size_t> current_index;
    for (size_t i = 0; i < current.size(); ++i) {
      current_keys.insert(current_ip_key(current[i]));
      current_index[json_int(field(current[i], "id"))] = i;
    }
    const auto host = [](std::string_view address) {
      return std::string(address.substr(0, address.find('/')));
    };
    std::map<std::string, std::string> missing;  // host → desired key
    for (const auto& object : desired) {
      if (!current_keys.count(object.key))
        missing.emplace(host(json_string(field(object.fields, "address"))), object.key);
    }
    std::vector<std::string> hosts;
    for (const auto& [address, key] : missing)
      hosts.push_back(address);
    std::map<int64_t, std::string> adopted;
    constexpr size_t kPerRequest = 50;  // addresses per query string
    for (size_t start = 0; start < hosts.size(); start += kPerRequest) {
      http::Params filters{fields_to_read(desired, {"assigned_object_id", "address"})};
      for (size_t i = start; i < std::min(hosts.size(), start + kPerRequest); ++i)
        filters.emplace_back("address", hosts[i]);
      for (auto& object : context_.netbox.list(kIpAddressesPath, filters)) {
        const auto want = missing.find(host(json_string(field(object, "address"))));
        if (want == missing.end() || wanted_keys.count(current_ip_key(object))) continue;
        const int64_t id = json_int(field(object, "id"));
        const int64_t holder = json_int(field(object, "assigned_object_id"));
        if (holder != 0 && !interfaces.count(holder)) {
          context_.step(kind, json_string(field(object, "address")) +
                                  " is already in NetBox on an object outside this run; kept "
                                  "there, not duplicated");
          std::erase_if(desired, [&](const DesiredObject& d) { return d.key == want->second; });
          missing.erase(want);
          continue;
        }
        adopted[id] = want->second;
        missing.erase(want);
        if (!current_index.count(id)) current.push_back(std::move(object));
      }
    }
    return adopted;
  }

  static PluginStageContext::KeyOf adopted_or_ip_key(
      const std::map<int64_t, std::string>& adopted) {
    return [&adopted](const json::object& ip) {
      const auto found = adopted.find(json_int(field(ip, "id")));
      return found == adopted.end() ? current_ip_key(ip) : found->second;
    };
  }

  // From NetBox 4.2 a MAC address is an object assigned to the interface and set as its
  // primary MAC. `listed`: the interfaces as NetBox held them before this run's writes.
  void primary_macs(std::vector<json::object> listed) {
    const auto desired = desired_mac_addresses(guests_, context_.refs, interfaces_);
    const auto macs =
        context_.sync_kind("mac_addresses", kMacAddressesPath, desired,
                           owned(kMacAddressesPath, mac_filters(), "assigned_object_id",
                                 ids_of(interfaces_), kVmInterfaceType),
                           current_mac_key, true, {});
    // Interfaces created just now have no primary MAC yet.
    listed =
        with_created(std::move(listed), interfaces_, "virtual_machine", {"primary_mac_address"});
    context_.sync_kind("vm_interface_primary_macs", kVmInterfacesPath,
                       desired_primary_macs(guests_, interfaces_, macs), std::move(listed),
                       current_vm_child_key, false, {});
  }

  // `listed` (child objects as read before this run's writes) plus those created since, with
  // their owner, name and `fields` null: the current state for a second pass over `fields`.
  static std::vector<json::object> with_created(std::vector<json::object> listed,
                                                const std::map<std::string, int64_t>& ids,
                                                const char* owner_field,
                                                std::initializer_list<const char*> fields) {
    std::set<std::pair<int64_t, std::string>> seen;
    for (const auto& object : listed)
      seen.emplace(nested_id(object, owner_field), json_string(field(object, "name")));
    for (const auto& [key, id] : ids) {
      const std::string name = key.substr(key.find('/') + 1);
      if (id <= 0 || seen.count({owner_of_key(key), name})) continue;
      json::object created{{"id", id}, {owner_field, owner_of_key(key)}, {"name", name}};
      for (const char* name_of_field : fields)
        created[name_of_field] = nullptr;
      listed.push_back(std::move(created));
    }
    return listed;
  }

  // The filters of a listing of owned objects: `filters`, then the fields the diff compares
  // (`desired`'s), the key's and `extra_fields`.
  static http::Params owned_filters(const std::vector<DesiredObject>& desired,
                                    std::initializer_list<std::string_view> key_fields,
                                    std::initializer_list<std::string_view> extra_fields = {},
                                    http::Params filters = {}) {
    auto fields = fields_to_read(desired, key_fields);
    for (const auto name : extra_fields) {
      const std::string listed = "," + fields.second + ",";
      if (listed.find("," + std::string(name) + ",") == std::string::npos)
        fields.second += "," + std::string(name);
    }
    filters.push_back(std::move(fields));
    return filters;
  }
  static http::Params disk_filters(const std::vector<DesiredObject>& desired) {
    return owned_filters(desired, {"virtual_machine", "name"});
  }
  static http::Params vm_interface_filters(const std::vector<DesiredObject>& desired) {
    return owned_filters(desired, {"virtual_machine", "name"}, {"primary_mac_address"});
  }
  // Every field desired_mac_addresses writes, named whether or not any MAC is desired, so that
  // the listing can be planned before the interfaces it hangs on have ids.
  http::Params mac_filters() const {
    return owned_filters({}, {"assigned_object_id", "assigned_object_type", "mac_address", "tags"},
                         {}, assigned_type_filter(kVmInterfaceType));
  }
  http::Params vm_ip_filters() const {
    return owned_filters({}, {"assigned_object_id", "address"},
                         {"assigned_object_type", "status", "tags"},
                         assigned_type_filter(kVmInterfaceType));
  }
  // Objects assigned to interfaces of `type` ("dcim.interface"): NetBox 4.4 filters
  // assigned_object_type by that name; before (4.2 and 4.1 at least, netbox#17559; 4.3 not
  // checked) the filter takes the object type's numeric id and refuses the name with 400 "Select
  // a valid choice", which failed every address and MAC listing on real NetBox 4.2. There the
  // listing is of every proxbox-tagged one and `owned` keeps those of the type.
  http::Params assigned_type_filter(const char* type) const {
    if (!version_.at_least(4, 4)) return {};  // keep in step with planned()
    return {{"assigned_object_type", type}};
  }

  // The proxbox-tagged objects at `path` matching `filters` (owned_filters) whose `owner_field`
  // (an id or a nested object) is in `owners` and, with `assigned_type`, whose
  // assigned_object_type is that (ids of different kinds of interface overlap).
  std::vector<json::object> owned(const char* path, http::Params filters,
                                  std::string_view owner_field, const std::set<int64_t>& owners,
                                  std::string_view assigned_type = {}) {
    std::vector<json::object> found;
    if (owners.empty()) return found;
    for (auto& object : context_.list_tagged(path, std::move(filters))) {
      const int64_t owner =
          owner_field == "id" ? json_int(field(object, "id")) : nested_id(object, owner_field);
      if (!assigned_type.empty() &&
          json_string(field(object, "assigned_object_type")) != assigned_type)
        continue;
      if (owners.count(owner)) found.push_back(std::move(object));
    }
    return found;
  }

  // Disks and interfaces of a virtual machine whose guest configuration was not read.
  PluginStageContext::Unknown unknown_vm_child() const {
    return
        [this](const ObjectRef& object) { return known_vms_.count(owner_of_key(object.key)) == 0; };
  }

  PluginStageContext& context_;
  const std::vector<EndpointSnapshot>& endpoints_;
  const NetBoxVersion& version_;
  std::vector<GuestWithVm> guests_;
  std::set<int64_t> vms_;                      // every proxbox VM of the clusters in this run
  std::set<int64_t> known_vms_;                // those whose guest configuration was read
  std::map<std::string, int64_t> interfaces_;  // vm_child_key → VM interface id
};

}  // namespace

NetworkStages network_stages_of(SyncScope scope) {
  NetworkStages stages;
  const bool full = scope == SyncScope::full;
  stages.virtual_disks = full || scope == SyncScope::virtual_disks;
  stages.node_interfaces = full || scope == SyncScope::node_interfaces;
  stages.ip_addresses = full || scope == SyncScope::ip_addresses;
  stages.sdn = full || scope == SyncScope::sdn;
  stages.vm_interfaces = stages.ip_addresses || scope == SyncScope::vm_interfaces;
  return stages;
}

std::vector<PlannedListing> network_listings(PluginStageContext& context,
                                             const NetworkStages& stages,
                                             const std::vector<EndpointSnapshot>& endpoints,
                                             const NetBoxVersion& version) {
  return NetworkRun(context, endpoints, version).planned(stages);
}

void sync_network_stages(PluginStageContext& context, const NetworkStages& stages,
                         const std::vector<EndpointSnapshot>& endpoints,
                         const NetBoxVersion& version) {
  NetworkRun run(context, endpoints, version);
  if (stages.virtual_disks) guarded(context, "virtual_disks", [&] { run.virtual_disks(); });
  if (stages.node_interfaces) guarded(context, "node_interfaces", [&] { run.node_interfaces(); });
  if (stages.vm_interfaces) guarded(context, "vm_interfaces", [&] { run.vm_interfaces(); });
  if (stages.ip_addresses) guarded(context, "ip_addresses", [&] { run.ip_addresses(); });
  if (stages.sdn) guarded(context, "sdn", [&] { run.sdn(); });
}

}  // namespace pbx::sync
