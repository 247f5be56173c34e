// The netbox-proxbox plugin's models the sync writes (storage, snapshots, task history,
// replications, backup routines, and the endpoint/node objects the jobs refer to): fields,
// defaults, choices, uniqueness with Django's messages, and the on-delete rules of the plugin's
// models/*.py.

#include <gtest/gtest.h>

#include "emulator_test_support.hpp"

namespace pbx::netbox {
namespace {

using testing::body_of;
using testing::EmulatorClient;
using Verb = http::Verb;
namespace json = boost::json;

class PluginModels : public ::testing::Test {
 protected:
  PluginModels() : topology(testing::make_topology(client)) {
    vm = client.create("/api/virtualization/virtual-machines/",
                       {{"name", "web1"}, {"cluster", topology.cluster}});
    endpoint = client.create("/api/plugins/proxbox/endpoints/proxmox/",
                             {{"name", "pve"}, {"domain", "pve.example.com"}, {"mode", "cluster"}});
  }

  EmulatorClient client;
  testing::Topology topology;
  int64_t vm = 0;
  int64_t endpoint = 0;
};

TEST_F(PluginModels, EndpointDefaultsAndRoot) {
  const auto object =
      client.get("/api/plugins/proxbox/endpoints/proxmox/" + std::to_string(endpoint) + "/");
  EXPECT_EQ(object.at("port").as_int64(), 8006);
  EXPECT_EQ(object.at("username"), "root@pam");
  EXPECT_EQ(object.at("mode").at("value"), "cluster");
  EXPECT_EQ(object.at("verify_ssl"), false);
  const auto root = client.get("/api/plugins/proxbox/");
  for (const char* endpoint_name : {"storage", "snapshots", "backups", "task-history",
                                    "replications", "backup-routines", "nodes"}) {
    EXPECT_TRUE(root.as_object().contains(endpoint_name)) << endpoint_name;
  }
  // A secret is not something the emulator stores.
  const auto refused = client.send(Verb::post, "/api/plugins/proxbox/endpoints/proxmox/",
                                   {{"name", "x"}, {"password", "secret"}});
  EXPECT_EQ(refused.code(), 400u) << refused.body;
}

TEST_F(PluginModels, TaskHistoryFieldsAndUniqueUpid) {
  const json::object task{{"virtual_machine", vm},
                          {"vm_type", "qemu"},
                          {"upid", "UPID:pve1:00001234:00A00000:65000000:qmstart:100:root@pam:"},
                          {"node", "pve1"},
                          {"pid", 4660},
                          {"task_id", "100"},
                          {"task_type", "qmstart"},
                          {"username", "root@pam"},
                          {"start_time", "2026-01-01T00:00:00Z"},
                          {"end_time", "2026-01-01T00:00:01Z"},
                          {"description", "QEMU 100 - Start"},
                          {"status", "OK"},
                          {"task_state", "stopped"},
                          {"exitstatus", "OK"}};
  const int64_t id = client.create("/api/plugins/proxbox/task-history/", task);
  const auto stored = client.get("/api/plugins/proxbox/task-history/" + std::to_string(id) + "/");
  EXPECT_EQ(stored.at("display"), "QEMU 100 - Start");
  EXPECT_EQ(stored.at("virtual_machine").at("id").as_int64(), vm);
  const auto duplicate = client.send(Verb::post, "/api/plugins/proxbox/task-history/", task);
  EXPECT_EQ(duplicate.code(), 400u);
  EXPECT_EQ(body_of(duplicate).at("upid").at(0), "VM Task History with this upid already exists.");
  json::object missing = task;
  missing.erase("start_time");
  missing["upid"] = "UPID:other";
  const auto refused = client.send(Verb::post, "/api/plugins/proxbox/task-history/", missing);
  EXPECT_EQ(refused.code(), 400u);
  EXPECT_TRUE(body_of(refused).as_object().contains("start_time")) << refused.body;
  // The history goes with its virtual machine (CASCADE).
  EXPECT_EQ(
      client.call(Verb::delete_, "/api/virtualization/virtual-machines/" + std::to_string(vm) + "/")
          .code(),
      204u);
  EXPECT_EQ(client.get("/api/plugins/proxbox/task-history/").at("count").as_int64(), 0);
}

TEST_F(PluginModels, ReplicationChoicesDefaultsAndUniquePerEndpoint) {
  const json::object replication{{"endpoint", endpoint},
                                 {"replication_id", "100-0"},
                                 {"virtual_machine", vm},
                                 {"guest", 100},
                                 {"target", "pve2"},
                                 {"jobnum", 0},
                                 {"raw_config", {{"id", "100-0"}}}};
  const int64_t id = client.create("/api/plugins/proxbox/replications/", replication);
  const auto stored = client.get("/api/plugins/proxbox/replications/" + std::to_string(id) + "/");
  EXPECT_EQ(stored.at("job_type").at("value"), "local");
  EXPECT_EQ(stored.at("status").at("value"), "active");
  EXPECT_EQ(stored.at("disable"), false);
  EXPECT_EQ(stored.at("raw_config").at("id"), "100-0");
  const auto duplicate = client.send(Verb::post, "/api/plugins/proxbox/replications/", replication);
  EXPECT_EQ(duplicate.code(), 400u);
  EXPECT_EQ(body_of(duplicate).at("__all__").at(0),
            "Replication with this Proxmox endpoint and Replication id already exists.");
  json::object stale = replication;
  stale["replication_id"] = "100-1";
  stale["status"] = "gone";
  const auto bad_choice = client.send(Verb::post, "/api/plugins/proxbox/replications/", stale);
  EXPECT_EQ(bad_choice.code(), 400u) << bad_choice.body;
  EXPECT_TRUE(body_of(bad_choice).as_object().contains("status"));
  EXPECT_EQ(client.get("/api/plugins/proxbox/replications/?endpoint_id=" + std::to_string(endpoint))
                .at("count")
                .as_int64(),
            1);
}

TEST_F(PluginModels, BackupRoutineRetentionAndStorageLink) {
  const int64_t storage = client.create("/api/plugins/proxbox/storage/",
                                        {{"cluster", topology.cluster}, {"name", "backup"}});
  const json::object routine{{"endpoint", endpoint},
                             {"job_id", "backup-1"},
                             {"schedule", "daily 02:00"},
                             {"storage", storage},
                             {"selection", json::array{100, 101}},
                             {"keep_last", 3},
                             {"keep_all", nullptr}};
  const int64_t id = client.create("/api/plugins/proxbox/backup-routines/", routine);
  const std::string item = "/api/plugins/proxbox/backup-routines/" + std::to_string(id) + "/";
  auto stored = client.get(item);
  EXPECT_EQ(stored.at("enabled"), true);
  EXPECT_EQ(stored.at("status").at("value"), "active");
  EXPECT_EQ(stored.at("keep_last").as_int64(), 3);
  EXPECT_TRUE(stored.at("keep_daily").is_null());
  EXPECT_EQ(stored.at("selection").as_array().size(), 2u);
  EXPECT_EQ(stored.at("comment"), "");
  const auto duplicate = client.send(Verb::post, "/api/plugins/proxbox/backup-routines/", routine);
  EXPECT_EQ(duplicate.code(), 400u);
  EXPECT_EQ(body_of(duplicate).at("__all__").at(0),
            "Backup Routine with this Proxmox endpoint and Job ID already exists.");
  // Deleting the storage empties the link (SET_NULL); deleting the endpoint removes the routine.
  EXPECT_EQ(
      client.call(Verb::delete_, "/api/plugins/proxbox/storage/" + std::to_string(storage) + "/")
          .code(),
      204u);
  EXPECT_TRUE(client.get(item).at("storage").is_null());
  EXPECT_EQ(client
                .call(Verb::delete_,
                      "/api/plugins/proxbox/endpoints/proxmox/" + std::to_string(endpoint) + "/")
                .code(),
            204u);
  EXPECT_EQ(client.call(Verb::get, item).code(), 404u);
}

TEST_F(PluginModels, NodeUniquePerEndpoint) {
  const json::object node{{"endpoint", endpoint}, {"name", "pve1"}, {"ip_address", "10.0.0.1"}};
  client.create("/api/plugins/proxbox/nodes/", node);
  const auto duplicate = client.send(Verb::post, "/api/plugins/proxbox/nodes/", node);
  EXPECT_EQ(duplicate.code(), 400u);
  EXPECT_EQ(body_of(duplicate).at("__all__").at(0),
            "Proxmox node with this Proxmox endpoint and Node name already exists.");
}

TEST_F(PluginModels, SnapshotStaleStatusAndStorageFields) {
  const int64_t id =
      client.create("/api/plugins/proxbox/snapshots/", {{"virtual_machine", vm},
                                                        {"name", "before-upgrade"},
                                                        {"vmid", 100},
                                                        {"node", "pve1"},
                                                        {"parent", nullptr},
                                                        {"snaptime", "2026-01-01T00:00:00Z"},
                                                        {"subtype", "qemu"}});
  const std::string item = "/api/plugins/proxbox/snapshots/" + std::to_string(id) + "/";
  EXPECT_EQ(client.get(item).at("status").at("value"), "active");
  EXPECT_EQ(client.send(Verb::patch, item, {{"status", "stale"}}).code(), 200u);
  EXPECT_EQ(client.get(item).at("status").at("value"), "stale");
  const int64_t storage =
      client.create("/api/plugins/proxbox/storage/", {{"cluster", topology.cluster},
                                                      {"name", "local"},
                                                      {"storage_type", "dir"},
                                                      {"content", "images,rootdir"},
                                                      {"path", "/var/lib/vz"},
                                                      {"shared", false}});
  const auto stored = client.get("/api/plugins/proxbox/storage/" + std::to_string(storage) + "/");
  EXPECT_EQ(stored.at("enabled"), true);
  EXPECT_EQ(stored.at("path"), "/var/lib/vz");
  EXPECT_TRUE(stored.at("nodes").is_null());
}

}  // namespace
}  // namespace pbx::netbox
