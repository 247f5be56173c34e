// Disk writes beside config: allocation of `storage:size`, unusedN on detach (unlink, delete=,
// a replaced drive), force, re-attaching, move_disk/move_volume and resize, each read back in
// the config, the storage content and the storage usage.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>

#include "mock_test_support.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using namespace pbx::proxmox::testing;
using http::Verb;

const std::string kVm = "/api2/json/nodes/pve1/qemu/100";

// volid → size of a storage's content for one guest.
std::map<std::string, int64_t> content(Engine& engine, std::string_view storage, int vmid) {
  const Reply reply =
      get(engine, fmt::format("/api2/json/nodes/pve1/storage/{}/content?vmid={}", storage, vmid));
  EXPECT_EQ(reply.status, 200u) << reply.body;
  std::map<std::string, int64_t> out;
  for (const auto& entry : reply.data().as_array())
    out[std::string(entry.at("volid").as_string())] = entry.at("size").to_number<int64_t>();
  return out;
}

int64_t used(Engine& engine, std::string_view storage) {
  return get(engine, fmt::format("/api2/json/nodes/pve1/storage/{}/status", storage))
      .data()
      .at("used")
      .to_number<int64_t>();
}

std::string message(const Reply& reply) {
  const auto* text =
      reply.json.is_object() ? reply.json.as_object().if_contains("message") : nullptr;
  return text != nullptr && text->is_string() ? std::string(text->as_string()) : reply.body;
}

ClusterScenario with_ceph() {
  ClusterScenario cluster = default_cluster(Service::pve);
  cluster.storages.push_back(
      StorageScenario{"ceph", "rbd", {"images", "rootdir"}, true, {}, int64_t{1} << 42});
  return cluster;
}

TEST(GuestDisksApiTest, AddedDiskIsAnAllocatedVolumeAndARewriteChangesNothing) {
  Engine engine(test_options());
  const int64_t before = used(engine, "local-lvm");
  ASSERT_EQ(call(engine, Verb::put, kVm + "/config", "scsi1=local-lvm%3A2%2Cbackup%3D1").status,
            200u);
  EXPECT_EQ(config_value(engine, "qemu/100", "scsi1"), "local-lvm:vm-100-disk-1,backup=1,size=2G");
  EXPECT_EQ(content(engine, "local-lvm", 100).at("local-lvm:vm-100-disk-1"), int64_t{2} << 30);
  EXPECT_EQ(used(engine, "local-lvm") - before, int64_t{1} << 30);  // thin: half
  // Writing back what the config reads (as an idempotent client does) changes nothing.
  const std::string digest(get(engine, kVm + "/config").data().at("digest").as_string());
  ASSERT_EQ(call(engine, Verb::put, kVm + "/config",
                 "scsi1=local-lvm%3Avm-100-disk-1%2Cbackup%3D1%2Csize%3D2G")
                .status,
            200u);
  EXPECT_EQ(get(engine, kVm + "/config").data().at("digest").as_string(), digest);
  EXPECT_EQ(config_value(engine, "qemu/100", "unused0"), "");
  // A new volume on a storage without 'images' content is refused, and nothing changes.
  const Reply no_images = call(engine, Verb::put, kVm + "/config", "scsi2=local%3A1&cores=5");
  EXPECT_EQ(no_images.status, 400u);
  EXPECT_EQ(no_images.json.at_pointer("/errors/storage"),
            "storage 'local' does not support vm images")
      << no_images.body;
  EXPECT_EQ(config_value(engine, "qemu/100", "scsi2"), "");
  // A new allocation on a used key keeps the old volume as unused0, as Proxmox does.
  ASSERT_EQ(call(engine, Verb::put, kVm + "/config", "scsi1=local-lvm%3A3").status, 200u);
  EXPECT_EQ(config_value(engine, "qemu/100", "scsi1"), "local-lvm:vm-100-disk-2,size=3G");
  EXPECT_EQ(config_value(engine, "qemu/100", "unused0"), "local-lvm:vm-100-disk-1");
  EXPECT_EQ(content(engine, "local-lvm", 100).size(), 3u);
  // Naming the unused volume on a drive attaches it again, with its size.
  ASSERT_EQ(call(engine, Verb::put, kVm + "/config", "virtio2=local-lvm%3Avm-100-disk-1").status,
            200u);
  EXPECT_EQ(config_value(engine, "qemu/100", "virtio2"), "local-lvm:vm-100-disk-1,size=2G");
  EXPECT_EQ(config_value(engine, "qemu/100", "unused0"), "");
}

TEST(GuestDisksApiTest, UnlinkDetachesToUnusedAndForceOrUnusedFreesTheVolume) {
  Engine engine(test_options());
  const int64_t before = used(engine, "local-lvm");
  ASSERT_EQ(
      call(engine, Verb::put, kVm + "/config", "scsi1=local-lvm%3A2&scsi2=local-lvm%3A4").status,
      200u);
  const Reply unlinked = call(engine, Verb::put, kVm + "/unlink", "idlist=scsi1");
  ASSERT_EQ(unlinked.status, 200u) << unlinked.body;
  EXPECT_TRUE(unlinked.data().is_null());
  EXPECT_EQ(config_value(engine, "qemu/100", "scsi1"), "");
  EXPECT_EQ(config_value(engine, "qemu/100", "unused0"), "local-lvm:vm-100-disk-1");
  EXPECT_TRUE(content(engine, "local-lvm", 100).contains("local-lvm:vm-100-disk-1"));
  EXPECT_EQ(used(engine, "local-lvm") - before, int64_t{3} << 30);
  // force frees at once; an unusedN is always freed.
  ASSERT_EQ(call(engine, Verb::put, kVm + "/unlink", "idlist=scsi2&force=1").status, 200u);
  EXPECT_EQ(config_value(engine, "qemu/100", "scsi2"), "");
  EXPECT_EQ(config_value(engine, "qemu/100", "unused1"), "");
  EXPECT_FALSE(content(engine, "local-lvm", 100).contains("local-lvm:vm-100-disk-2"));
  ASSERT_EQ(call(engine, Verb::put, kVm + "/unlink", "idlist=unused0").status, 200u);
  EXPECT_EQ(config_value(engine, "qemu/100", "unused0"), "");
  EXPECT_EQ(content(engine, "local-lvm", 100).size(), 1u);
  EXPECT_EQ(used(engine, "local-lvm"), before);
  // Setting and deleting one key in one call is refused, as Proxmox does.
  const Reply both = call(engine, Verb::put, kVm + "/config", "scsi3=local-lvm%3A1&delete=scsi3");
  EXPECT_EQ(both.status, 400u);
  EXPECT_EQ(both.json.at_pointer("/errors/delete"),
            "you can't use '-scsi3' and -delete scsi3' at the same time")
      << both.body;
  // delete= with force frees too.
  ASSERT_EQ(call(engine, Verb::put, kVm + "/config", "scsi3=local-lvm%3A1").status, 200u);
  ASSERT_EQ(call(engine, Verb::put, kVm + "/config", "delete=scsi3&force=1").status, 200u);
  EXPECT_EQ(config_value(engine, "qemu/100", "unused0"), "");
  EXPECT_EQ(used(engine, "local-lvm"), before);
}

TEST(GuestDisksApiTest, MoveDiskMovesTheVolumeAndTheUsage) {
  Engine engine(test_options_with(with_ceph()));
  const int64_t lvm_before = used(engine, "local-lvm");
  const Reply moved = call(engine, Verb::post, kVm + "/move_disk", "disk=scsi0&storage=ceph");
  ASSERT_EQ(moved.status, 200u) << moved.body;
  const std::string upid(moved.data().as_string());
  EXPECT_NE(upid.find(":qmmove:100:"), std::string::npos) << upid;
  EXPECT_EQ(wait_task(engine, "pve1", upid).at("exitstatus"), "OK");
  EXPECT_EQ(config_value(engine, "qemu/100", "scsi0"), "ceph:vm-100-disk-0,iothread=1,size=32G");
  // Without delete the source volume stays as unused0 (and on its storage).
  EXPECT_EQ(config_value(engine, "qemu/100", "unused0"), "local-lvm:vm-100-disk-0");
  EXPECT_EQ(used(engine, "ceph"), int64_t{16} << 30);
  EXPECT_EQ(used(engine, "local-lvm"), lvm_before);
  // Back with delete=1: the ceph volume is freed, a new one allocated on local-lvm.
  ASSERT_EQ(
      call(engine, Verb::post, kVm + "/move_disk", "disk=scsi0&storage=local-lvm&delete=1").status,
      200u);
  EXPECT_EQ(config_value(engine, "qemu/100", "scsi0"),
            "local-lvm:vm-100-disk-1,iothread=1,size=32G");
  EXPECT_EQ(used(engine, "ceph"), 0);
  EXPECT_EQ(used(engine, "local-lvm") - lvm_before, int64_t{16} << 30);
  EXPECT_EQ(message(call(engine, Verb::post, kVm + "/move_disk", "disk=scsi0&storage=local-lvm")),
            "you can't move to the same storage with same format");
  EXPECT_EQ(message(call(engine, Verb::post, kVm + "/move_disk", "disk=scsi0&storage=tape")),
            "storage 'tape' does not exist");
  // Neither a storage nor a target guest: Proxmox's parameter check refuses it.
  EXPECT_EQ(call(engine, Verb::post, kVm + "/move_disk", "disk=scsi0").status, 400u);
}

TEST(GuestDisksApiTest, MoveVolumeOfAStoppedContainer) {
  Engine engine(test_options_with(with_ceph()));
  const std::string ct = "/api2/json/nodes/pve1/lxc/101";
  EXPECT_EQ(message(call(engine, Verb::post, ct + "/move_volume", "volume=rootfs&storage=ceph")),
            "cannot move volumes of a running container");
  ASSERT_EQ(call(engine, Verb::post, ct + "/status/stop").status, 200u);
  const Reply moved =
      call(engine, Verb::post, ct + "/move_volume", "volume=rootfs&storage=ceph&delete=1");
  ASSERT_EQ(moved.status, 200u) << moved.body;
  EXPECT_NE(std::string(moved.data().as_string()).find(":move_volume:101:"), std::string::npos);
  EXPECT_EQ(config_value(engine, "lxc/101", "rootfs"), "ceph:vm-101-disk-0,size=8G");
  EXPECT_EQ(config_value(engine, "lxc/101", "unused0"), "");
  EXPECT_EQ(content(engine, "ceph", 101).size(), 1u);
  EXPECT_TRUE(content(engine, "local-lvm", 101).empty());
}

TEST(GuestDisksApiTest, ResizeRunsATaskAndTheContentSizeFollows) {
  Engine engine(test_options());
  const Reply grown = call(engine, Verb::put, kVm + "/resize", "disk=scsi0&size=%2B8G");
  ASSERT_EQ(grown.status, 200u) << grown.body;
  EXPECT_EQ(wait_task(engine, "pve1", grown.data().as_string()).at("exitstatus"), "OK");
  EXPECT_EQ(content(engine, "local-lvm", 100).at("local-lvm:vm-100-disk-0"), int64_t{40} << 30);
  EXPECT_EQ(message(call(engine, Verb::put, kVm + "/resize", "disk=scsi0&size=1G")),
            "shrinking disks is not supported");
}

}  // namespace
}  // namespace pbx::proxmox
