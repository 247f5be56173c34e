#pragma once
// The volumes behind a guest's disks: where a new one is allocated, how a disk is detached to
// `unusedN` or freed, and how a volume id is spelt. One state holds them: a guest's `disks`
// (attached disks and its `unusedN` entries alike, each a volume on a storage). Storage content
// listings and usage are views of it, so every change here shows in /nodes/{node}/storage/...
// and /cluster/resources without further bookkeeping.

#include <optional>
#include <string>
#include <string_view>

#include "proxmox/state.hpp"

namespace pbx::proxmox {

// "unused0", "unused12": a volume the guest owns but has not attached.
bool is_unused_key(std::string_view key);
// "local-lvm:vm-100-disk-0"
std::string volume_id(const DiskScenario& disk);
// The disk or unused entry at `key`, if the guest has one.
DiskScenario* disk_at(GuestState& guest, std::string_view key);
const DiskScenario* disk_at(const GuestState& guest, std::string_view key);
// The entry holding volume `volid` ("storage:name"), attached or unused.
DiskScenario* disk_with_volume(GuestState& guest, std::string_view volid);

// The next free "vm-<vmid>-disk-<n>" on `storage` (`prefix` "base" for template volumes): the
// lowest n no volume of the guest on that storage uses, as `vm` or `base`, alone or as the last
// part of a linked clone's "base-9000-disk-0/vm-101-disk-0" (Proxmox's find_free_diskname).
std::string free_volume_name(const GuestState& guest, std::string_view storage,
                             std::string_view prefix = "vm");
// The lowest "unusedN" the guest does not use.
std::string free_unused_key(const GuestState& guest);

// Keeps the volume of disk `key` as the next unusedN (Proxmox's add_unused_volume); the disk's
// settings go, its size stays. Returns the new key; nullopt when the guest has no such disk.
std::optional<std::string> detach_disk(GuestState& guest, std::string_view key);
// Frees the volume of disk or unused entry `key`: it leaves the guest and its storage.
bool free_disk(GuestState& guest, std::string_view key);

// The base name a template's disk is renamed to ("vm-100-disk-0" → "base-100-disk-0").
std::string base_volume_name(std::string_view volume);

}  // namespace pbx::proxmox
