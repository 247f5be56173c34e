#include "sync/network_mapping.hpp"

#include <algorithm>

#include "sync/json_util.hpp"

namespace pbx::sync {
namespace json = boost::json;

namespace {

bool is_ipv6(std::string_view cidr) {
  return cidr.find(':') != std::string_view::npos;
}

// The interfaces (vm_child_key → id > 0) of the guests' network devices, in netN order.
template <typename Fn>
void for_each_interface(const std::vector<GuestWithVm>& guests,
                        const std::map<std::string, int64_t>& interfaces, Fn&& fn) {
  for (const auto& entry : guests) {
    for (const auto& nic : entry.guest->devices.nics) {
      const int64_t id = lookup_id(interfaces, vm_child_key(entry.vm_id, nic.key));
      if (id > 0) fn(entry, nic, id);
    }
  }
}

}  // namespace

int64_t lookup_id(const std::map<std::string, int64_t>& ids, const std::string& key) {
  const auto found = ids.find(key);
  return found == ids.end() ? 0 : found->second;
}

std::string vm_child_key(int64_t vm_id, std::string_view name) {
  return std::to_string(vm_id) + "/" + std::string(name);
}

std::string current_vm_child_key(const json::object& object) {
  return vm_child_key(nested_id(object, "virtual_machine"), json_string(field(object, "name")));
}

std::string interface_child_key(int64_t interface_id, std::string_view value) {
  return std::to_string(interface_id) + "/" + std::string(value);
}

std::string current_mac_key(const json::object& mac) {
  return interface_child_key(json_int(field(mac, "assigned_object_id")),
                             normalized_mac(json_string(field(mac, "mac_address"))));
}

std::string current_ip_key(const json::object& ip) {
  return interface_child_key(json_int(field(ip, "assigned_object_id")),
                             json_string(field(ip, "address")));
}

std::string current_vlan_key(const json::object& vlan) {
  return std::to_string(json_int(field(vlan, "vid")));
}

int64_t disk_size_in_netbox_units(int64_t bytes, const NetBoxVersion& version) {
  const int64_t unit = version.at_least(4, 1) ? (1LL << 20) : (1LL << 30);
  return std::max<int64_t>(1, (bytes + unit - 1) / unit);
}

std::vector<GuestWithVm> guests_with_vms(const std::vector<EndpointSnapshot>& endpoints,
                                         const References& refs) {
  std::vector<GuestWithVm> guests;
  for (const auto& endpoint : endpoints) {
    for (const auto& guest : endpoint.snapshot.guests) {
      if (guest.config_error) continue;  // its devices are unknown in this run
      const int64_t vm =
          lookup_id(refs.vms, vm_key(endpoint.snapshot.cluster_name, guest.type, guest.vmid));
      if (vm > 0) guests.push_back({&endpoint, &guest, vm});
    }
  }
  return guests;
}

std::vector<DesiredObject> desired_virtual_disks(const std::vector<GuestWithVm>& guests,
                                                 const References& refs,
                                                 const NetBoxVersion& version) {
  std::vector<DesiredObject> disks;
  for (const auto& entry : guests) {
    for (const auto& disk : entry.guest->devices.disks) {
      disks.push_back({vm_child_key(entry.vm_id, disk.key),
                       {{"virtual_machine", entry.vm_id},
                        {"name", disk.key},
                        {"size", disk_size_in_netbox_units(disk.size_bytes, version)},
                        {"description", disk.volume},
                        {"tags", json::array{refs.tag}}}});
    }
  }
  return disks;
}

std::vector<DesiredObject> desired_vlans(const std::vector<GuestWithVm>& guests,
                                         const References& refs) {
  std::set<int> vids;
  for (const auto& entry : guests) {
    for (const auto& nic : entry.guest->devices.nics) {
      if (nic.vlan_tag >= 1 && nic.vlan_tag <= 4094) vids.insert(nic.vlan_tag);
    }
  }
  std::vector<DesiredObject> vlans;
  for (const int vid : vids) {
    vlans.push_back({std::to_string(vid),
                     {{"vid", vid},
                      {"name", "VLAN " + std::to_string(vid)},
                      {"status", "active"},
                      {"tags", json::array{refs.tag}}}});
  }
  return vlans;
}

std::vector<DesiredObject> desired_vm_interfaces(const std::vector<GuestWithVm>& guests,
                                                 const References& refs,
                                                 const NetBoxVersion& version,
                                                 const std::map<std::string, int64_t>& vlans) {
  std::vector<DesiredObject> interfaces;
  for (const auto& entry : guests) {
    for (const auto& nic : entry.guest->devices.nics) {
      std::string description = nic.model;
      if (!nic.bridge.empty()) description += " on " + nic.bridge;
      if (nic.firewall) description += ", firewall";
      json::object fields{{"virtual_machine", entry.vm_id},
                          {"name", nic.key},
                          {"enabled", !nic.link_down},
                          {"mtu", nic.mtu > 0 ? json::value(nic.mtu) : json::value(nullptr)},
                          {"description", description},
                          {"tags", json::array{refs.tag}}};
      const int64_t vlan = nic.vlan_tag > 0 ? lookup_id(vlans, std::to_string(nic.vlan_tag)) : 0;
      fields["mode"] = vlan > 0 ? json::value("access") : json::value(nullptr);
      fields["untagged_vlan"] = id_or_null(vlan);
      if (!version.at_least(4, 2)) {
        fields["mac_address"] =
            nic.mac.empty() ? json::value(nullptr) : json::value(normalized_mac(nic.mac));
      }
      interfaces.push_back({vm_child_key(entry.vm_id, nic.key), std::move(fields)});
    }
  }
  return interfaces;
}

std::vector<DesiredObject> desired_mac_addresses(const std::vector<GuestWithVm>& guests,
                                                 const References& refs,
                                                 const std::map<std::string, int64_t>& interfaces) {
  std::vector<DesiredObject> macs;
  for_each_interface(guests, interfaces, [&](const GuestWithVm&, const GuestNic& nic, int64_t id) {
    if (nic.mac.empty()) return;
    const std::string mac = normalized_mac(nic.mac);
    macs.push_back({interface_child_key(id, mac),
                    {{"mac_address", mac},
                     {"assigned_object_type", kVmInterfaceType},
                     {"assigned_object_id", id},
                     {"tags", json::array{refs.tag}}}});
  });
  return macs;
}

std::vector<DesiredObject> desired_primary_macs(const std::vector<GuestWithVm>& guests,
                                                const std::map<std::string, int64_t>& interfaces,
                                                const std::map<std::string, int64_t>& macs) {
  std::vector<DesiredObject> primaries;
  for_each_interface(
      guests, interfaces, [&](const GuestWithVm& entry, const GuestNic& nic, int64_t id) {
        const int64_t mac =
            nic.mac.empty() ? 0 : lookup_id(macs, interface_child_key(id, normalized_mac(nic.mac)));
        primaries.push_back(
            {vm_child_key(entry.vm_id, nic.key), {{"primary_mac_address", id_or_null(mac)}}});
      });
  return primaries;
}

NicAddresses nic_addresses(const ProxmoxGuest& guest, const GuestNic& nic) {
  NicAddresses result;
  const std::vector<std::string>* addresses = nullptr;
  if (guest.type == "lxc") {
    result.known = nic.addresses_known;
    addresses = &nic.addresses;
  } else {
    result.known = guest.devices.agent_answered;
    if (!result.known || nic.mac.empty()) return result;
    const std::string mac = normalized_mac(nic.mac);
    for (const auto& interface : guest.devices.agent_interfaces) {
      if (normalized_mac(interface.mac) == mac) {
        addresses = &interface.addresses;
        break;
      }
    }
  }
  if (!result.known || !addresses) return result;
  for (const auto& address : *addresses) {
    if (is_loopback_or_link_local(address)) continue;
    if (std::find(result.addresses.begin(), result.addresses.end(), address) ==
        result.addresses.end()) {
      result.addresses.push_back(address);
    }
  }
  return result;
}

std::vector<DesiredObject> interface_addresses(int64_t interface_id,
                                               std::string_view interface_type,
                                               const std::vector<std::string>& addresses,
                                               std::vector<std::string> held,
                                               const References& refs) {
  std::vector<DesiredObject> objects;
  const auto wanted = [&](const std::string& address) {
    return std::find(addresses.begin(), addresses.end(), address) != addresses.end();
  };
  std::vector<std::string> free = held;  // objects on this interface no address claims
  std::erase_if(free, wanted);
  for (const auto& address : addresses) {
    std::string object = address;  // the address of the NetBox object this one becomes
    if (std::find(held.begin(), held.end(), address) == held.end()) {
      const auto reuse = std::find_if(free.begin(), free.end(), [&](const std::string& other) {
        return is_ipv6(other) == is_ipv6(address);
      });
      if (reuse != free.end()) {
        object = *reuse;
        free.erase(reuse);
      }
    }
    objects.push_back({interface_child_key(interface_id, object),
                       {{"address", address},
                        {"assigned_object_type", interface_type},
                        {"assigned_object_id", interface_id},
                        {"status", "active"},
                        {"tags", json::array{refs.tag}}}});
  }
  return objects;
}

IpAddressPlan desired_ip_addresses(const std::vector<GuestWithVm>& guests, const References& refs,
                                   const std::map<std::string, int64_t>& interfaces,
                                   const std::vector<json::object>& current) {
  std::map<int64_t, std::vector<std::string>> held;  // interface id → addresses NetBox holds
  for (const auto& ip : current)
    held[json_int(field(ip, "assigned_object_id"))].push_back(json_string(field(ip, "address")));

  IpAddressPlan plan;
  for (const auto& entry : guests)
    plan.primaries[entry.vm_id];
  for_each_interface(
      guests, interfaces, [&](const GuestWithVm& entry, const GuestNic& nic, int64_t id) {
        auto& primary = plan.primaries[entry.vm_id];
        const NicAddresses found = nic_addresses(*entry.guest, nic);
        if (!found.known) {
          primary.complete = false;
          return;
        }
        plan.known_interfaces.insert(id);
        for (auto& ip :
             interface_addresses(id, kVmInterfaceType, found.addresses, held[id], refs)) {
          std::string& slot =
              is_ipv6(json_string(field(ip.fields, "address"))) ? primary.v6 : primary.v4;
          if (slot.empty()) slot = ip.key;
          plan.addresses.push_back(std::move(ip));
        }
      });
  return plan;
}

std::vector<DesiredObject> desired_primary_ips(const IpAddressPlan& plan,
                                               const std::map<std::string, int64_t>& ips) {
  std::vector<DesiredObject> vms;
  for (const auto& [vm, primary] : plan.primaries) {
    json::object fields;
    for (const auto& [name, key] :
         {std::pair{"primary_ip4", &primary.v4}, std::pair{"primary_ip6", &primary.v6}}) {
      const int64_t id = key->empty() ? 0 : lookup_id(ips, *key);
      if (id > 0) {
        fields[name] = id;
      } else if (key->empty() && primary.complete) {
        fields[name] = nullptr;
      }
    }
    if (!fields.empty()) vms.push_back({std::to_string(vm), std::move(fields)});
  }
  return vms;
}

}  // namespace pbx::sync
