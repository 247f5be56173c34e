// The volume rules behind guest disks: free names per storage (Proxmox's find_free_diskname),
// unusedN keys, detaching and freeing.

#include "proxmox/guest_disks.hpp"

#include <gtest/gtest.h>

namespace pbx::proxmox {
namespace {

GuestState guest_with(std::vector<DiskScenario> disks, int vmid = 100) {
  GuestState guest;
  guest.spec.vmid = vmid;
  guest.spec.disks = std::move(disks);
  return guest;
}

TEST(GuestDisksTest, FreeVolumeNameIsTheLowestFreeNumberOnThatStorage) {
  const GuestState guest = guest_with({{"scsi0", "local-lvm", 32, "vm-100-disk-0", ""},
                                       {"unused0", "local-lvm", 2, "vm-100-disk-2", ""},
                                       {"scsi1", "ceph", 8, "vm-100-disk-1", ""}});
  EXPECT_EQ(free_volume_name(guest, "local-lvm"), "vm-100-disk-1");
  EXPECT_EQ(free_volume_name(guest, "ceph"), "vm-100-disk-0");
  EXPECT_EQ(free_volume_name(guest, "nfs", "base"), "base-100-disk-0");
}

TEST(GuestDisksTest, BaseAndLinkedCloneAndFormatNamesCount) {
  const GuestState guest = guest_with({{"scsi0", "zfs", 8, "base-9000-disk-0/vm-101-disk-0", ""},
                                       {"scsi1", "zfs", 8, "base-101-disk-1", ""},
                                       {"scsi2", "zfs", 8, "vm-101-disk-2.qcow2", ""},
                                       {"scsi3", "zfs", 8, "vm-1010-disk-3", ""}},
                                      101);
  // disk-3 belongs to VM 1010, not 101.
  EXPECT_EQ(free_volume_name(guest, "zfs"), "vm-101-disk-3");
}

TEST(GuestDisksTest, UnusedKeys) {
  EXPECT_TRUE(is_unused_key("unused0"));
  EXPECT_TRUE(is_unused_key("unused12"));
  EXPECT_FALSE(is_unused_key("unused"));
  EXPECT_FALSE(is_unused_key("unused1a"));
  EXPECT_FALSE(is_unused_key("scsi0"));
  GuestState guest = guest_with({{"unused0", "local-lvm", 2, "vm-100-disk-1", ""},
                                 {"unused2", "local-lvm", 2, "vm-100-disk-3", ""}});
  EXPECT_EQ(free_unused_key(guest), "unused1");
}

TEST(GuestDisksTest, DetachKeepsTheVolumeWithoutSettingsAndFreeRemovesIt) {
  GuestState guest = guest_with({{"scsi0", "local-lvm", 32, "vm-100-disk-0", ""},
                                 {"mp0", "local-lvm", 4, "vm-100-disk-1", "/srv", "backup=1"}});
  EXPECT_EQ(detach_disk(guest, "mp0"), "unused0");
  const DiskScenario* unused = disk_at(guest, "unused0");
  ASSERT_NE(unused, nullptr);
  EXPECT_EQ(volume_id(*unused), "local-lvm:vm-100-disk-1");
  EXPECT_EQ(unused->size_gb, 4);
  EXPECT_EQ(unused->mountpoint, "");
  EXPECT_EQ(unused->options, "");
  EXPECT_EQ(disk_at(guest, "mp0"), nullptr);
  EXPECT_EQ(detach_disk(guest, "unused0"), "unused0");  // already detached
  EXPECT_EQ(detach_disk(guest, "scsi9"), std::nullopt);
  EXPECT_EQ(disk_with_volume(guest, "local-lvm:vm-100-disk-1"), disk_at(guest, "unused0"));
  EXPECT_TRUE(free_disk(guest, "unused0"));
  EXPECT_FALSE(free_disk(guest, "unused0"));
  EXPECT_EQ(guest.spec.disks.size(), 1u);
  EXPECT_EQ(base_volume_name("vm-100-disk-0"), "base-100-disk-0");
  EXPECT_EQ(base_volume_name("base-100-disk-0"), "base-100-disk-0");
}

}  // namespace
}  // namespace pbx::proxmox
