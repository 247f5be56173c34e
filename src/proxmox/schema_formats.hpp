#pragma once
// Named formats (PVE::JSONSchema::register_format) with pveproxy's messages: pve-vmid,
// pve-node, pve-storage-id, ..., ipv4/ipv6/CIDR, and their "-list" forms.

#include <string_view>

#include "proxmox/schema_values.hpp"

namespace pbx::proxmox::validation {

// Valid, or pveproxy's message for `value` in `format`. A format the mock does not know is
// accepted, as a lenient server would.
ValueCheck check_named_format(std::string_view format, std::string_view value);

}  // namespace pbx::proxmox::validation
