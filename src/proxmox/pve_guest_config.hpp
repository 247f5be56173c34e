#pragma once
// A guest's configuration as GET /nodes/{node}/{qemu|lxc}/{vmid}/config prints it, and the
// changes a config write (create, PUT/POST config, `delete=`) makes to the state.

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proxmox/handlers.hpp"

namespace pbx::proxmox {

boost::json::object guest_config(const ClusterState& state, const GuestState& guest);
// Changes whenever the visible config changes, like the real SHA1 over the file.
std::string config_digest(const ClusterState& state, const GuestState& guest);
// Applies every guest-describing parameter of the call (netN and disks parsed into the state),
// then its `delete` list, then fills what the writes left open (MACs, volumes).
// A disk on an unknown storage is refused (the answer), and then nothing changes.
Checked apply_config(const ClusterState& state, GuestState& guest, const ApiCall& call);
// Removes the listed keys ("scsi1,unused0") as `delete=` does: a disk's volume is kept as
// unusedN (freed with `force`), an unusedN's volume is freed.
void delete_config_keys(const ClusterState& state, GuestState& guest, std::string_view keys,
                        bool force);
// "32G" / "512M" / "1T" / "32" (GiB) → whole GiB, rounded up; `fallback` when there is no number.
int64_t size_in_gb(std::string_view text, int64_t fallback);

}  // namespace pbx::proxmox
