// POST .../clone and .../template: the clone is a guest of the state in every view, its task is
// real, and Proxmox's refusals come with Proxmox's messages.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "mock_test_support.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using namespace pbx::proxmox::testing;
using http::Verb;

bool listed(const json::value& list, std::string_view field, const json::value& wanted) {
  for (const auto& entry : list.as_array()) {
    const auto* value = entry.as_object().if_contains(field);
    if (value != nullptr && *value == wanted) return true;
  }
  return false;
}

std::vector<std::string> volids(Engine& engine, std::string_view storage, int vmid) {
  const Reply content =
      get(engine, fmt::format("/api2/json/nodes/pve1/storage/{}/content?vmid={}", storage, vmid));
  std::vector<std::string> out;
  if (content.status != 200) return out;
  for (const auto& entry : content.data().as_array())
    out.emplace_back(entry.at("volid").as_string());
  return out;
}

int64_t used(Engine& engine, std::string_view node, std::string_view storage) {
  return get(engine, fmt::format("/api2/json/nodes/{}/storage/{}/status", node, storage))
      .data()
      .at("used")
      .to_number<int64_t>();
}

Reply clone(Engine& engine, std::string_view source, std::string body) {
  return call(engine, Verb::post, fmt::format("/api2/json/nodes/pve1/{}/clone", source),
              std::move(body));
}

std::string message(const Reply& reply) {
  const auto* text =
      reply.json.is_object() ? reply.json.as_object().if_contains("message") : nullptr;
  return text != nullptr && text->is_string() ? std::string(text->as_string()) : reply.body;
}

TEST(GuestCloneTest, FullCloneIsANewGuestInEveryViewWithItsOwnVolumesAndTask) {
  Engine engine(test_options());
  const int64_t before = used(engine, "pve1", "local-lvm");
  ASSERT_EQ(call(engine, Verb::put, "/api2/json/nodes/pve1/qemu/100/config", "scsi1=local-lvm%3A2")
                .status,
            200u);
  ASSERT_EQ(call(engine, Verb::put, "/api2/json/nodes/pve1/qemu/100/config", "delete=scsi1").status,
            200u);  // leaves unused0 on VM 100, which a clone does not copy
  const Reply started = clone(engine, "qemu/100", "newid=120&name=web02&full=1");
  ASSERT_EQ(started.status, 200u) << started.body;
  const std::string upid(started.data().as_string());
  EXPECT_TRUE(upid.starts_with("UPID:pve1:")) << upid;
  EXPECT_NE(upid.find(":qmclone:100:root@pam:"), std::string::npos) << upid;
  const json::object status = wait_task(engine, "pve1", upid);
  EXPECT_EQ(status.at("exitstatus"), "OK");
  EXPECT_EQ(status.at("type"), "qmclone");
  EXPECT_TRUE(listed(get(engine, "/api2/json/nodes/pve1/tasks").data(), "upid", json::value(upid)));
  EXPECT_TRUE(listed(get(engine, "/api2/json/cluster/tasks").data(), "upid", json::value(upid)));
  const Reply log =
      get(engine, "/api2/json/nodes/pve1/tasks/" + http::percent_encode(upid) + "/log");
  ASSERT_EQ(log.status, 200u);
  EXPECT_EQ(log.data().as_array().back().at("t"), "TASK OK");

  // The new guest everywhere: resources, the node's list, its config.
  EXPECT_TRUE(listed(get(engine, "/api2/json/cluster/resources?type=vm").data(), "id",
                     json::value("qemu/120")));
  EXPECT_TRUE(
      listed(get(engine, "/api2/json/nodes/pve1/qemu").data(), "name", json::value("web02")));
  EXPECT_EQ(config_value(engine, "qemu/120", "name"), "web02");
  EXPECT_EQ(config_value(engine, "qemu/120", "scsi0"),
            "local-lvm:vm-120-disk-0,iothread=1,size=32G");
  EXPECT_EQ(config_value(engine, "qemu/120", "unused0"), "");
  EXPECT_EQ(config_value(engine, "qemu/120", "tags"), "prod;web");  // copied
  const std::string source_net = config_value(engine, "qemu/100", "net0");
  const std::string clone_net = config_value(engine, "qemu/120", "net0");
  EXPECT_TRUE(clone_net.starts_with("virtio=BC:24:11:")) << clone_net;
  EXPECT_NE(clone_net, source_net);  // always a new MAC
  EXPECT_EQ(clone_net.substr(clone_net.find(',')), source_net.substr(source_net.find(',')));
  const Reply current = get(engine, "/api2/json/nodes/pve1/qemu/120/status/current");
  EXPECT_EQ(current.data().at("status"), "stopped");
  // Its volume is in the storage's content, and usage grew by it (thin: half).
  EXPECT_EQ(volids(engine, "local-lvm", 120), std::vector<std::string>{"local-lvm:vm-120-disk-0"});
  EXPECT_EQ(used(engine, "pve1", "local-lvm") - before, (int64_t{32} + 2) << 29);
  // A second clone gets its own task.
  const Reply second = clone(engine, "qemu/100", "newid=121");
  ASSERT_EQ(second.status, 200u) << second.body;
  EXPECT_NE(std::string(second.data().as_string()), upid);
  EXPECT_EQ(config_value(engine, "qemu/121", "name"), "Copy-of-VM-web01");
  // The clone is state: it is in the admin export and can be destroyed like any guest.
  EXPECT_EQ(engine.export_state().clusters[0].guests.size(), 4u);
  ASSERT_EQ(call(engine, Verb::delete_, "/api2/json/nodes/pve1/qemu/121").status, 200u);
  EXPECT_TRUE(volids(engine, "local-lvm", 121).empty());
}

TEST(GuestCloneTest, RefusalsAsProxmoxWordsThem) {
  ClusterScenario cluster = default_cluster(Service::pve);
  cluster.nodes.push_back(NodeScenario{"pve2", "online", "192.0.2.12"});
  Engine engine(test_options_with(cluster));
  const auto refused = [&](std::string_view source, std::string body) {
    const Reply reply = clone(engine, source, std::move(body));
    EXPECT_EQ(reply.status, 500u) << reply.body;
    return message(reply);
  };
  EXPECT_EQ(refused("qemu/100", "newid=101"),
            "unable to create VM 101: config file already exists");
  EXPECT_EQ(refused("lxc/101", "newid=100"), "VM 100 already exists on node 'pve1'");
  EXPECT_EQ(refused("qemu/999", "newid=130"),
            "Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist");
  EXPECT_EQ(refused("qemu/100", "newid=130&full=0"),
            "Linked clone feature is not supported for drive 'scsi0'");
  EXPECT_EQ(refused("qemu/100", "newid=130&full=0&storage=local-lvm"),
            "parameter 'storage' not allowed for linked clones");
  EXPECT_EQ(refused("qemu/100", "newid=130&snapname=nope"), "snapshot 'nope' does not exist");
  EXPECT_EQ(refused("qemu/100", "newid=130&storage=tape"), "storage 'tape' does not exist");
  EXPECT_EQ(refused("qemu/100", "newid=130&pool=nope"), "pool 'nope' does not exist");
  EXPECT_EQ(refused("qemu/100", "newid=130&target=pve9"), "no such cluster node 'pve9'");
  EXPECT_EQ(refused("qemu/100", "newid=130&target=pve2"),
            "can't clone VM to node 'pve2' (VM uses local storage)");
  EXPECT_EQ(refused("lxc/101", "newid=130"),
            "Cannot do full clones on a running container without snapshots");
  // Nothing of a refused clone exists.
  EXPECT_EQ(get(engine, "/api2/json/nodes/pve1/qemu/130/config").status, 500u);
  EXPECT_EQ(engine.export_state().clusters[0].guests.size(), 2u);
  const Reply missing_newid = clone(engine, "qemu/100", "");
  EXPECT_EQ(missing_newid.status, 400u);
}

TEST(GuestCloneTest, TemplateGetsBaseVolumesAndLinkedClonesBuildOnThem) {
  ClusterScenario cluster = default_cluster(Service::pve);
  cluster.nodes.push_back(NodeScenario{"pve2", "online", "192.0.2.12"});
  cluster.storages.push_back(StorageScenario{"ceph", "rbd", {"images"}, true, {}, 1LL << 42});
  cluster.guests[0].disks = {DiskScenario{"scsi0", "local-lvm", 32, "", ""},
                             DiskScenario{"virtio1", "ceph", 10, "", ""}};
  cluster.guests[0].status = "stopped";
  Engine engine(test_options_with(cluster));
  const std::string template_path = "/api2/json/nodes/pve1/qemu/100/template";
  const Reply converted = call(engine, Verb::post, template_path);
  ASSERT_EQ(converted.status, 200u) << converted.body;
  EXPECT_TRUE(converted.data().is_null());
  EXPECT_EQ(config_value(engine, "qemu/100", "template"), "");  // an integer in the config
  EXPECT_EQ(get(engine, "/api2/json/nodes/pve1/qemu/100/config").data().at("template"), 1);
  EXPECT_EQ(config_value(engine, "qemu/100", "scsi0"),
            "local-lvm:base-100-disk-0,iothread=1,size=32G");
  EXPECT_TRUE(listed(get(engine, "/api2/json/nodes/pve1/tasks?source=all").data(), "type",
                     json::value("qmtemplate")));
  EXPECT_EQ(message(call(engine, Verb::post, template_path)),
            "you can't convert a template to a template");
  // A template clones linked by default: LVM-thin names a plain volume, RBD keeps the base.
  ASSERT_EQ(clone(engine, "qemu/100", "newid=140&name=linked").status, 200u);
  EXPECT_EQ(config_value(engine, "qemu/140", "scsi0"),
            "local-lvm:vm-140-disk-0,iothread=1,size=32G");
  EXPECT_EQ(config_value(engine, "qemu/140", "virtio1"),
            "ceph:base-100-disk-0/vm-140-disk-0,size=10G");
  EXPECT_EQ(volids(engine, "ceph", 140),
            std::vector<std::string>{"ceph:base-100-disk-0/vm-140-disk-0"});
  // A full clone of the template onto shared storage may go to another node.
  const Reply moved = clone(engine, "qemu/100", "newid=141&full=1&storage=ceph&target=pve2");
  ASSERT_EQ(moved.status, 200u) << moved.body;
  const Reply on_pve2 = get(engine, "/api2/json/nodes/pve2/qemu/141/config");
  ASSERT_EQ(on_pve2.status, 200u) << on_pve2.body;
  EXPECT_EQ(on_pve2.data().at("scsi0"), "ceph:vm-141-disk-0,iothread=1,size=32G");
  EXPECT_EQ(on_pve2.data().at("virtio1"), "ceph:vm-141-disk-1,size=10G");
  EXPECT_TRUE(listed(get(engine, "/api2/json/nodes/pve2/qemu").data(), "vmid", json::value(141)));
  EXPECT_FALSE(listed(get(engine, "/api2/json/nodes/pve1/qemu").data(), "vmid", json::value(141)));
  // The template cannot start; its clone can.
  EXPECT_EQ(call(engine, Verb::post, "/api2/json/nodes/pve1/qemu/100/status/start").status, 500u);
  EXPECT_EQ(call(engine, Verb::post, "/api2/json/nodes/pve1/qemu/140/status/start").status, 200u);
}

TEST(GuestCloneTest, ContainerClonesKeepHostnameUnlessGivenAndGetNewVolumes) {
  ClusterScenario cluster = default_cluster(Service::pve);
  cluster.guests[1].status = "stopped";
  cluster.guests[1].disks = {DiskScenario{"rootfs", "local-lvm", 8, "", ""},
                             DiskScenario{"mp0", "local-lvm", 4, "", "/srv"}};
  Engine engine(test_options_with(cluster));
  const Reply started = clone(engine, "lxc/101", "newid=150&hostname=dns02");
  ASSERT_EQ(started.status, 200u) << started.body;
  const std::string upid(started.data().as_string());
  EXPECT_NE(upid.find(":vzclone:101:"), std::string::npos) << upid;
  EXPECT_EQ(wait_task(engine, "pve1", upid).at("exitstatus"), "OK");
  EXPECT_EQ(config_value(engine, "lxc/150", "hostname"), "dns02");
  EXPECT_EQ(config_value(engine, "lxc/150", "rootfs"), "local-lvm:vm-150-disk-0,size=8G");
  EXPECT_EQ(config_value(engine, "lxc/150", "mp0"), "local-lvm:vm-150-disk-1,mp=/srv,size=4G");
  EXPECT_NE(config_value(engine, "lxc/150", "net0"), config_value(engine, "lxc/101", "net0"));
  EXPECT_TRUE(listed(get(engine, "/api2/json/nodes/pve1/lxc").data(), "vmid", json::value(150)));
  ASSERT_EQ(clone(engine, "lxc/101", "newid=151").status, 200u);
  EXPECT_EQ(config_value(engine, "lxc/151", "hostname"), "dns01");
  EXPECT_EQ(volids(engine, "local-lvm", 151),
            (std::vector<std::string>{"local-lvm:vm-151-disk-0", "local-lvm:vm-151-disk-1"}));
  EXPECT_EQ(message(clone(engine, "lxc/101", "newid=152&full=0")),
            "Linked clone feature for 'local-lvm:vm-101-disk-0' is not available");
}

}  // namespace
}  // namespace pbx::proxmox
