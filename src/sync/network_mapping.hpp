#pragma once
// Guest devices → NetBox core objects (plugin stages 5 virtual disks, 9 VM interfaces, 10 IP
// addresses): virtual disks, VM interfaces with their VLANs and MAC address objects, IP
// addresses on the interfaces and the VMs' primary IPs, in NetBox's write form. Pure functions
// like mapping.hpp: the ids of the layers they refer to come in as arguments.
//
// Whose objects are known in this run: a guest whose configuration could not be read has
// unknown disks and interfaces; an interface's addresses are known only when the guest agent
// answered (QEMU) or the container's configuration names them statically (LXC). What is
// unknown is neither updated nor deleted.

#include <boost/json/object.hpp>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sync/diff.hpp"
#include "sync/mapping.hpp"

namespace pbx::sync {

inline constexpr const char* kVirtualDisksPath = "/virtualization/virtual-disks/";
inline constexpr const char* kVmInterfacesPath = "/virtualization/interfaces/";
inline constexpr const char* kMacAddressesPath = "/dcim/mac-addresses/";
inline constexpr const char* kIpAddressesPath = "/ipam/ip-addresses/";
inline constexpr const char* kVlansPath = "/ipam/vlans/";
inline constexpr const char* kVmInterfaceType = "virtualization.vminterface";

// The id `ids` holds for `key`; 0 when none (not created yet, dry run).
int64_t lookup_id(const std::map<std::string, int64_t>& ids, const std::string& key);

// "<vm id>/<name>": a virtual disk or a VM interface of a virtual machine.
std::string vm_child_key(int64_t vm_id, std::string_view name);
std::string current_vm_child_key(const boost::json::object& object);
// "<interface id>/<value>": a MAC address (upper case) or an IP address on an interface.
std::string interface_child_key(int64_t interface_id, std::string_view value);
std::string current_mac_key(const boost::json::object& mac);
std::string current_ip_key(const boost::json::object& ip);
std::string current_vlan_key(const boost::json::object& vlan);  // the vid

// A disk size in NetBox's unit: MB from NetBox 4.1, GB before; rounded up, at least 1.
int64_t disk_size_in_netbox_units(int64_t bytes, const NetBoxVersion& version);

// One guest of an endpoint with its NetBox virtual machine (id > 0: it exists in NetBox).
struct GuestWithVm {
  const EndpointSnapshot* endpoint = nullptr;
  const ProxmoxGuest* guest = nullptr;
  int64_t vm_id = 0;
};
std::vector<GuestWithVm> guests_with_vms(const std::vector<EndpointSnapshot>& endpoints,
                                         const References& refs);

std::vector<DesiredObject> desired_virtual_disks(const std::vector<GuestWithVm>& guests,
                                                 const References& refs,
                                                 const NetBoxVersion& version);

// One VLAN per VLAN tag the guests' network devices use, keyed by its vid.
std::vector<DesiredObject> desired_vlans(const std::vector<GuestWithVm>& guests,
                                         const References& refs);

// `vlans`: vid → NetBox VLAN id. A tagged device is an access port with that untagged VLAN.
// Before NetBox 4.2 the MAC is the interface's own mac_address field; from 4.2 it is a MAC
// address object (desired_mac_addresses) set as primary_mac_address (desired_primary_macs).
std::vector<DesiredObject> desired_vm_interfaces(const std::vector<GuestWithVm>& guests,
                                                 const References& refs,
                                                 const NetBoxVersion& version,
                                                 const std::map<std::string, int64_t>& vlans);

// `interfaces`: vm_child_key → NetBox VM interface id.
std::vector<DesiredObject> desired_mac_addresses(const std::vector<GuestWithVm>& guests,
                                                 const References& refs,
                                                 const std::map<std::string, int64_t>& interfaces);
// Per interface (vm_child_key) its primary_mac_address; `macs`: interface_child_key → id.
std::vector<DesiredObject> desired_primary_macs(const std::vector<GuestWithVm>& guests,
                                                const std::map<std::string, int64_t>& interfaces,
                                                const std::map<std::string, int64_t>& macs);

// The addresses of a guest's network device, and whether this run knows them: from the guest
// agent's interface with the device's MAC (QEMU) or from the container's ip=/ip6= (LXC).
// Loopback and link-local addresses are left out.
struct NicAddresses {
  std::vector<std::string> addresses;
  bool known = false;
};
NicAddresses nic_addresses(const ProxmoxGuest& guest, const GuestNic& nic);

// The IP address objects of the guests' interfaces. An address NetBox already holds on the
// interface keeps its object; a new address takes over an object of the same family on that
// interface that is no longer wanted (so a changed address is one PATCH, not a create and a
// delete). `current`: the proxbox IP addresses NetBox holds on VM interfaces.
struct IpAddressPlan {
  std::vector<DesiredObject> addresses;
  std::set<int64_t> known_interfaces;  // interfaces whose addresses this run read
  // Per VM: the desired key of its primary IPv4/IPv6 ("" none); `complete` when every one of
  // its interfaces is known (a VM without any candidate then has no primary IP).
  struct Primary {
    std::string v4, v6;
    bool complete = true;
  };
  std::map<int64_t, Primary> primaries;
};
// The IP address objects of one interface (`interface_type`: virtualization.vminterface or
// dcim.interface) for `addresses`, given the addresses NetBox `held` on it: each keeps the object
// of its own address, or takes over one of the same family that is no longer wanted.
std::vector<DesiredObject> interface_addresses(int64_t interface_id,
                                               std::string_view interface_type,
                                               const std::vector<std::string>& addresses,
                                               std::vector<std::string> held,
                                               const References& refs);

IpAddressPlan desired_ip_addresses(const std::vector<GuestWithVm>& guests, const References& refs,
                                   const std::map<std::string, int64_t>& interfaces,
                                   const std::vector<boost::json::object>& current);

// `{primary_ip4, primary_ip6}` per VM (key: the VM id) whose primaries this run knows; `ips`:
// desired IP key → NetBox id.
std::vector<DesiredObject> desired_primary_ips(const IpAddressPlan& plan,
                                               const std::map<std::string, int64_t>& ips);

}  // namespace pbx::sync
