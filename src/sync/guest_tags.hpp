#pragma once
// Proxmox guest tags ("prod;web" in a guest's config) as NetBox tags on its virtual machine:
// one NetBox tag per Proxmox tag, matched by slug (a tag NetBox already has under that slug is
// reused, never deleted), added to the VM beside the `proxbox` tag. NetBox keeps tags someone
// else added to a VM, so a tag removed in Proxmox stays on the VM (the diff only adds tags).

#include <string>
#include <string_view>
#include <vector>

#include "sync/diff.hpp"
#include "sync/mapping.hpp"

namespace pbx::sync {

// "prod;web", "prod,web", "prod web" → {"prod", "web"}.
std::vector<std::string> split_proxmox_list(std::string_view text);

// The NetBox slug of a Proxmox tag.
std::string guest_tag_slug(std::string_view tag);

// Proxmox notes or comments as a NetBox description: at most 200 bytes (NetBox allows 200
// characters), cut at a UTF-8 character boundary so the text stays valid.
std::string netbox_description(std::string_view text);

// The NetBox tags the guests' Proxmox tags need, keyed by slug.
std::vector<DesiredObject> desired_guest_tags(const std::vector<EndpointSnapshot>& endpoints);

}  // namespace pbx::sync
