// The volumes behind a guest's disks (see guest_disks.hpp).

#include "proxmox/guest_disks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "common/text.hpp"

namespace pbx::proxmox {
namespace {

// The number n of "<prefix>-<vmid>-disk-<n>" (also as the last part after '/'), if it is one.
std::optional<int> disk_number(std::string_view volume, int vmid) {
  if (const size_t slash = volume.rfind('/'); slash != std::string_view::npos) {
    volume.remove_prefix(slash + 1);
  }
  for (const std::string_view prefix : {"vm-", "base-"}) {
    const std::string head = fmt::format("{}{}-disk-", prefix, vmid);
    if (!volume.starts_with(head)) continue;
    std::string_view rest = volume.substr(head.size());
    // Directory storages add the format: "vm-100-disk-0.qcow2".
    if (const size_t dot = rest.find('.'); dot != std::string_view::npos)
      rest = rest.substr(0, dot);
    if (const auto number = common::parse_number<int>(rest)) return number;
  }
  return std::nullopt;
}

}  // namespace

bool is_unused_key(std::string_view key) {
  constexpr std::string_view kPrefix = "unused";
  return key.size() > kPrefix.size() && key.starts_with(kPrefix) &&
         std::all_of(key.begin() + static_cast<long>(kPrefix.size()), key.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

std::string volume_id(const DiskScenario& disk) {
  return disk.storage + ":" + disk.volume;
}

DiskScenario* disk_at(GuestState& guest, std::string_view key) {
  auto& disks = guest.spec.disks;
  const auto it = std::find_if(disks.begin(), disks.end(),
                               [&](const DiskScenario& disk) { return disk.key == key; });
  return it == disks.end() ? nullptr : &*it;
}

const DiskScenario* disk_at(const GuestState& guest, std::string_view key) {
  return disk_at(const_cast<GuestState&>(guest), key);
}

DiskScenario* disk_with_volume(GuestState& guest, std::string_view volid) {
  auto& disks = guest.spec.disks;
  const auto it = std::find_if(disks.begin(), disks.end(), [&](const DiskScenario& disk) {
    return !disk.volume.empty() && volume_id(disk) == volid;
  });
  return it == disks.end() ? nullptr : &*it;
}

std::string free_volume_name(const GuestState& guest, std::string_view storage,
                             std::string_view prefix) {
  std::set<int> taken;
  for (const auto& disk : guest.spec.disks) {
    if (disk.storage != storage) continue;
    if (const auto number = disk_number(disk.volume, guest.spec.vmid)) taken.insert(*number);
  }
  int number = 0;
  while (taken.contains(number))
    ++number;
  return fmt::format("{}-{}-disk-{}", prefix, guest.spec.vmid, number);
}

std::string free_unused_key(const GuestState& guest) {
  for (int number = 0;; ++number) {
    std::string key = fmt::format("unused{}", number);
    if (disk_at(guest, key) == nullptr) return key;
  }
}

std::optional<std::string> detach_disk(GuestState& guest, std::string_view key) {
  DiskScenario* disk = disk_at(guest, key);
  if (disk == nullptr) return std::nullopt;
  if (is_unused_key(key)) return std::string(key);
  std::string unused = free_unused_key(guest);
  disk->key = unused;
  disk->options.clear();
  disk->mountpoint.clear();
  return unused;
}

bool free_disk(GuestState& guest, std::string_view key) {
  return std::erase_if(guest.spec.disks,
                       [&](const DiskScenario& disk) { return disk.key == key; }) > 0;
}

std::string base_volume_name(std::string_view volume) {
  std::string name(volume);
  if (name.starts_with("vm-")) name.replace(0, 3, "base-");
  return name;
}

}  // namespace pbx::proxmox
