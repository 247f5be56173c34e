#include "sync/mapping.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace pbx::sync {
namespace {
namespace json = boost::json;

EndpointSnapshot lab() {
  EndpointSnapshot endpoint;
  auto& s = endpoint.snapshot;
  s.endpoint_name = "lab-endpoint";
  s.cluster_name = "lab";
  s.cluster_mode = "cluster";
  s.nodes = {{"pve1", true, ""}, {"pve2", false, ""}};
  ProxmoxGuest web;
  web.vmid = 100;
  web.type = "qemu";
  web.name = "web";
  web.node = "pve1";
  web.status = "running";
  web.vcpus = 2;
  web.memory_bytes = 2048LL << 20;
  web.disk_bytes = 32LL << 30;
  web.onboot = true;
  web.agent = true;
  ProxmoxGuest db = web;
  db.vmid = 200;
  db.type = "lxc";
  db.name = "db";
  db.status = "stopped";
  db.agent = false;
  db.unprivileged = true;
  s.guests = {web, db};
  s.backups = {{"backup", "pve1", "backup:backup/vzdump-qemu-100.vma.zst", 100, "", "vma.zst", 10,
                0, "", false, "ok"}};
  return endpoint;
}

References refs() {
  References r;
  r.tag = 1;
  r.qemu_role = 11;
  r.lxc_role = 12;
  r.node_role = 10;
  r.device_type = 20;
  r.sites["proxmox-default-site-lab"] = 30;
  r.clusters["lab"] = 40;
  r.devices["lab/pve1"] = 50;
  return r;
}

MappingContext context(std::string version = "4.2.2") {
  return {NetBoxVersion::parse(version), "2026-11-25T12:00:00Z"};
}

TEST(Mapping, StatusFollowsTheReference) {
  EXPECT_EQ(netbox_vm_status("running"), "active");
  EXPECT_EQ(netbox_vm_status("stopped"), "offline");
  EXPECT_EQ(netbox_vm_status("paused"), "offline");
  EXPECT_EQ(netbox_vm_status("whatever"), "active");
}

TEST(Mapping, BackupFormatsMapToThePluginsChoices) {
  EXPECT_EQ(backup_format("tar.zst"), "tzst");
  EXPECT_EQ(backup_format("pbs-vm"), "pbs-vm");
  EXPECT_EQ(backup_format("vma.zst"), "undefined");
}

TEST(Mapping, NamesAndSlugs) {
  EXPECT_EQ(default_site_name("lab"), "Proxmox Default Site - lab");
  EXPECT_EQ(slugify("Proxmox Default Site - lab"), "proxmox-default-site-lab");
  EXPECT_EQ(slugify("Virtual Machine (QEMU)"), "virtual-machine-qemu");
  EXPECT_EQ(cluster_type_name("cluster"), "Cluster");
  EXPECT_EQ(cluster_type_name("standalone"), "Standalone");
}

TEST(Mapping, VirtualMachinesCarryFieldsRolesAndCustomFields) {
  const auto [vms, errors] = desired_vms({lab()}, refs(), context());
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(vms.size(), 2u);
  EXPECT_EQ(vms[0].key, "lab/qemu/100");
  const auto& web = vms[0].fields;
  EXPECT_EQ(web.at("name"), "web");
  EXPECT_EQ(web.at("status"), "active");
  EXPECT_EQ(web.at("cluster"), 40);
  EXPECT_EQ(web.at("device"), 50);
  EXPECT_EQ(web.at("role"), 11);
  EXPECT_EQ(web.at("vcpus"), 2);
  EXPECT_EQ(web.at("memory"), 2048);
  EXPECT_EQ(web.at("disk"), 32 * 1024);  // MB from NetBox 4.1
  EXPECT_EQ(web.at("tags"), json::array{1});
  const auto& cf = web.at("custom_fields").as_object();
  EXPECT_EQ(cf.at("proxmox_vm_id"), 100);
  EXPECT_EQ(cf.at("proxmox_vm_type"), "qemu");
  EXPECT_EQ(cf.at("proxmox_node"), "pve1");
  EXPECT_EQ(cf.at("proxmox_cluster"), "lab");
  EXPECT_EQ(cf.at("proxmox_status"), "running");
  EXPECT_EQ(cf.at("proxmox_start_at_boot"), true);
  EXPECT_EQ(cf.at("proxmox_qemu_agent"), true);
  EXPECT_EQ(cf.at("proxmox_last_updated"), "2026-11-25T12:00:00Z");
  const auto& db = vms[1].fields;
  EXPECT_EQ(db.at("status"), "offline");
  EXPECT_EQ(db.at("role"), 12);
  EXPECT_EQ(db.at("custom_fields").at("proxmox_unprivileged_container"), true);
}

TEST(Mapping, DiskInGigabytesBeforeNetBox41) {
  const auto vms = desired_vms({lab()}, refs(), context("4.0.11")).objects;
  EXPECT_EQ(vms[0].fields.at("disk"), 32);
}

TEST(Mapping, UnmappableGuestsBecomeErrorsAndTheRestContinues) {
  auto endpoint = lab();
  auto broken = endpoint.snapshot.guests[0];
  broken.vmid = 300;
  broken.node = "ghost";
  auto twin = endpoint.snapshot.guests[0];
  twin.vmid = 301;  // same name as "web" in the same cluster
  auto unreadable = endpoint.snapshot.guests[0];
  unreadable.vmid = 302;
  unreadable.name = "unreadable";
  unreadable.config_error = "500";
  endpoint.snapshot.guests.push_back(broken);
  endpoint.snapshot.guests.push_back(twin);
  endpoint.snapshot.guests.push_back(unreadable);
  const auto [vms, errors] = desired_vms({endpoint}, refs(), context());
  EXPECT_EQ(vms.size(), 2u);
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_NE(errors[0].message.find("unknown node"), std::string::npos);
  EXPECT_NE(errors[1].message.find("same name"), std::string::npos);
  EXPECT_NE(errors[2].message.find("configuration"), std::string::npos);
}

TEST(Mapping, ClusterScopeDependsOnNetBoxVersion) {
  References r = refs();
  r.cluster_types["cluster"] = 60;
  const auto new_style = desired_clusters({lab()}, r, context("4.2.2"));
  ASSERT_EQ(new_style.size(), 1u);
  EXPECT_EQ(new_style[0].fields.at("scope_type"), "dcim.site");
  EXPECT_EQ(new_style[0].fields.at("scope_id"), 30);
  EXPECT_EQ(new_style[0].fields.at("type"), 60);
  const auto old_style = desired_clusters({lab()}, r, context("4.1.0"));
  EXPECT_EQ(old_style[0].fields.at("site"), 30);
  EXPECT_FALSE(old_style[0].fields.contains("scope_type"));
}

TEST(Mapping, DevicesPerNodeWithSiteOverride) {
  auto endpoint = lab();
  endpoint.site_name = "DC One";
  References r = refs();
  r.sites["dc-one"] = 31;
  const auto devices = desired_devices({endpoint}, r);
  ASSERT_EQ(devices.size(), 2u);
  EXPECT_EQ(devices[0].key, "lab/pve1");
  EXPECT_EQ(devices[0].fields.at("site"), 31);
  EXPECT_EQ(devices[0].fields.at("status"), "active");
  EXPECT_EQ(devices[1].fields.at("status"), "offline");
  EXPECT_EQ(devices[0].fields.at("role"), 10);
}

TEST(Mapping, BackupsLinkToTheirVirtualMachine) {
  References r = refs();
  r.vms["lab/qemu/100"] = 70;
  const auto backups = desired_backups({lab()}, r).objects;
  ASSERT_EQ(backups.size(), 1u);
  EXPECT_EQ(backups[0].fields.at("virtual_machine"), 70);
  EXPECT_EQ(backups[0].fields.at("subtype"), "qemu");
  EXPECT_EQ(backups[0].fields.at("creation_time"), "1970-01-01T00:00:00Z");
  EXPECT_EQ(backups[0].fields.at("verification_state"), "ok");
  EXPECT_EQ(backups[0].key, "70/backup:backup/vzdump-qemu-100.vma.zst");
}

TEST(Mapping, CurrentKeysMatchDesiredKeys) {
  const json::object vm{
      {"cluster", json::object{{"id", 40}, {"name", "lab"}}},
      {"custom_fields", json::object{{"proxmox_vm_id", 100}, {"proxmox_vm_type", "qemu"}}}};
  EXPECT_EQ(current_vm_key(vm), vm_key("lab", "qemu", 100));
  const json::object device{{"name", "pve1"},
                            {"cluster", json::object{{"id", 40}, {"name", "lab"}}}};
  EXPECT_EQ(current_device_key(device), device_key("lab", "pve1"));
}

TEST(CustomFieldSet, WithoutThePluginFieldsNamingItsObjectTypesAreLeftOut) {
  NetBoxStatus with_plugin;
  with_plugin.proxbox_plugin = true;
  const NetBoxStatus without_plugin;
  const auto all = custom_fields_for(with_plugin);
  const auto core = custom_fields_for(without_plugin);
  EXPECT_EQ(all.size(), custom_field_set().size());
  ASSERT_LT(core.size(), all.size());
  for (const auto& definition : core) {
    EXPECT_FALSE(needs_proxbox_plugin(definition)) << definition.name;
    EXPECT_FALSE(definition.related_object_type.starts_with("netbox_proxbox."));
  }
  const auto storage = std::find_if(all.begin(), all.end(), [](const auto& definition) {
    return definition.name == "proxbox_storage_id";
  });
  ASSERT_NE(storage, all.end());
  EXPECT_TRUE(needs_proxbox_plugin(*storage));
  // A core type that merely starts with the same letters is not the plugin's.
  CustomFieldDefinition lookalike{"x", "object", "X", "", {"dcim.device"}};
  lookalike.related_object_type = "netbox_proxboxer.thing";
  EXPECT_FALSE(needs_proxbox_plugin(lookalike));
}

}  // namespace
}  // namespace pbx::sync
