#pragma once
// A guest's configuration as GET /nodes/{node}/{qemu|lxc}/{vmid}/config prints it, and the
// changes a config write (create, PUT/POST config, `delete=`) makes to the state.

#include <boost/json/object.hpp>
#include <string>

#include "proxmox/handlers.hpp"

namespace pbx::proxmox {

boost::json::object guest_config(const ClusterState& state, const GuestState& guest);
// Changes whenever the visible config changes, like the real SHA1 over the file.
std::string config_digest(const ClusterState& state, const GuestState& guest);
// Applies every guest-describing parameter of the call (netN and disks parsed into the state),
// then its `delete` list, then fills what the writes left open (MACs, volumes).
void apply_config(const ClusterState& state, GuestState& guest, const ApiCall& call);

}  // namespace pbx::proxmox
