#pragma once
// A guest's configuration as GET /nodes/{node}/{qemu|lxc}/{vmid}/config prints it, and the
// changes a config write (create, PUT/POST config, `delete=`) makes to the state.

#include <boost/json/object.hpp>
#include <string>

#include "proxmox/handlers.hpp"

namespace pbx::proxmox {

boost::json::object guest_config(const ClusterState& state, const GuestState& guest);
// Changes whenever the visible config changes, like the real SHA1 over the file.
std::string config_digest(const GuestState& guest);
// Applies every guest-describing parameter of the call, then its `delete` list.
void apply_config(GuestState& guest, const ApiCall& call);

}  // namespace pbx::proxmox
