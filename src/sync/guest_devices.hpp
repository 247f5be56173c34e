#pragma once
// A guest's devices as its configuration and its QEMU guest agent describe them: disks
// (scsi0, virtio1, rootfs, mp0, ...), network devices (net0, net1, ...) and the interfaces the
// agent reports. Parsed from Proxmox's property strings ("virtio=BC:24:..,bridge=vmbr0,tag=20",
// "local-lvm:vm-100-disk-0,size=32G") into plain data; no I/O, so every rule is unit-tested.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pbx::sync {

struct GuestDisk {
  std::string key;      // scsi0, virtio1, rootfs, mp0
  std::string storage;  // local-lvm
  std::string volume;   // "local-lvm:vm-100-disk-0" as the config names it
  int64_t size_bytes = 0;
};

struct GuestNic {
  std::string key;    // net0
  std::string model;  // virtio, e1000, veth (LXC)
  std::string mac;    // as configured ("BC:24:11:00:06:40")
  std::string bridge;
  std::string name;  // LXC: the name inside the container (eth0)
  int vlan_tag = 0;  // 0: untagged
  int mtu = 0;       // 0: not set
  bool firewall = false;
  bool link_down = false;
  // LXC: the static addresses of ip= / ip6= (CIDR). `addresses_known` is false when either is
  // dhcp, auto or manual: the container's addresses are then not in its configuration.
  std::vector<std::string> addresses;
  bool addresses_known = true;
};

// One interface of the QEMU guest agent's network-get-interfaces.
struct AgentInterface {
  std::string name;                    // inside the guest (ens18, Ethernet)
  std::string mac;                     // lower case as the agent reports it
  std::vector<std::string> addresses;  // "192.0.2.100/24"
};

struct GuestDevices {
  std::vector<GuestDisk> disks;  // in key order
  std::vector<GuestNic> nics;    // in netN order
  std::vector<AgentInterface> agent_interfaces;
  bool agent_answered = false;  // network-get-interfaces answered in this run
};

// "32G", "512M", "1T", "4096K", "1073741824" (bytes) → bytes; nullopt when not a size.
std::optional<int64_t> disk_size_bytes(std::string_view size);

// The disks and network devices of a guest configuration (GET .../{qemu|lxc}/{vmid}/config).
// CD-ROMs, empty drives, unused volumes and bind mounts without a size are not disks.
GuestDevices parse_guest_devices(const boost::json::object& config, std::string_view guest_type);

// The `result` of agent/network-get-interfaces (the answer's data object or the list itself).
std::vector<AgentInterface> parse_agent_interfaces(const boost::json::value& answer);

// MAC addresses compared and written in NetBox's form: upper case, colon separated.
std::string normalized_mac(std::string_view mac);

// Loopback (127.0.0.0/8, ::1) and link-local (169.254.0.0/16, fe80::/10) addresses, which the
// sync never writes.
bool is_loopback_or_link_local(std::string_view cidr);

}  // namespace pbx::sync
