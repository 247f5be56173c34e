// The netbox-proxbox plugin's "Sync all" against a real stack (proxmox-mock → proxbox-api →
// netbox-emulator): the 13 stages in the plugin's order, as its sync_types.py names them, each
// through its SSE route as the plugin calls it. Every frame is checked against the JSON schema
// of its event in tests/contract/plugin_sse/ (what the plugin's pydantic models accept); an
// implemented stage must end in `complete` with ok and an errors LIST, a stage without a sync
// must answer 501 with a detail naming the route (never 404). Then bad input per route.

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "api_stack.hpp"
#include "common/files.hpp"
#include "netbox/openapi_validator.hpp"

namespace pbx::api {
namespace {
using namespace stack_test;

// The plugin's _SYNC_STAGE_ORDER with its _SYNC_TYPE_PATH (netbox_proxbox/sync_types.py): the
// contract, written out here independently of the service's own table.
const std::vector<std::pair<std::string, std::string>> kPluginStages{
    {"devices", "/dcim/devices/create"},
    {"storage", "/virtualization/virtual-machines/storage/create"},
    {"virtual-machines", "/virtualization/virtual-machines/create"},
    {"task-history", "/virtualization/virtual-machines/task-history/create"},
    {"vm-disks", "/virtualization/virtual-machines/virtual-disks/create"},
    {"vm-backups", "/virtualization/virtual-machines/backups/all/create"},
    {"vm-snapshots", "/virtualization/virtual-machines/snapshots/all/create"},
    {"network-interfaces", "/dcim/devices/interfaces/create"},
    {"vm-interfaces", "/virtualization/virtual-machines/interfaces/create"},
    {"ip-addresses", "/virtualization/virtual-machines/interfaces/ip-address/create"},
    {"sdn", "/proxmox/sdn/create"},
    {"replications", "/proxmox/replication"},
    {"backup-routines", "/proxmox/cluster/backup"}};

// What the plugin's _build_base_query_params / _build_stage_query_params send.
const std::string kPluginQuery =
    "?use_guest_agent_interface_name=true&fetch_max_concurrency=8"
    "&ignore_ipv6_link_local_addresses=true&primary_ip_preference=ipv4&proxmox_endpoint_ids=1";

// Event name → its schema (tests/contract/plugin_sse/<event>.json).
class SseSchemas {
 public:
  SseSchemas() {
    const fs::path dir = fs::path(PBX_SOURCE_DIR) / "tests/contract/plugin_sse";
    for (const char* event : {"complete", "step", "error", "item_progress", "phase_summary"}) {
      schemas_[event] = json::parse(common::read_file(dir / (std::string(event) + ".json")));
    }
  }
  // Problems of one frame; an event name the plugin does not know is one.
  std::vector<std::string> check(const std::string& event, const json::value& data) const {
    const auto found = schemas_.find(event);
    if (found == schemas_.end()) return {"event '" + event + "' has no schema"};
    return validator_.validate(found->second, data, netbox::Direction::Response);
  }

 private:
  std::map<std::string, json::value> schemas_;
  netbox::OpenApiDocument validator_{json::object{{"paths", json::object{}}}};
};

class PluginContractTest : public ApiStackTest {
 protected:
  // Runs one stage route as the plugin does; returns whether it is implemented (200 stream).
  bool walk_stage(const std::string& path, const std::string& query,
                  std::map<std::string, size_t>& seen_events) {
    SCOPED_TRACE(path);
    const auto answer = stream_frames(path + "/stream" + query);
    EXPECT_NE(answer.status, 404u) << "a stage route the plugin calls must never be 404";
    if (answer.status == 501) {
      const auto detail = json::parse(answer.body).at("detail");
      EXPECT_NE(std::string(detail.as_string()).find("GET " + path + "/stream"), std::string::npos)
          << detail;
      const auto plain = api(http::Verb::get, path + query);
      EXPECT_EQ(plain.status, 501u) << "the JSON twin says the same";
      return false;
    }
    EXPECT_EQ(answer.status, 200u) << answer.body;
    if (answer.frames.empty()) {
      ADD_FAILURE() << "no frames";
      return true;
    }
    for (size_t i = 0; i < answer.frames.size(); ++i) {
      const auto& [event, data] = answer.frames[i];
      seen_events[event]++;
      for (const auto& problem : schemas_.check(event, data))
        ADD_FAILURE() << event << " frame " << i << ": " << problem << "\n" << data;
      if (event == "complete") {
        EXPECT_EQ(i + 1, answer.frames.size()) << "complete is last";
      }
    }
    const auto& [last_event, complete] = answer.frames.back();
    EXPECT_EQ(last_event, "complete");
    if (last_event == "complete") {
      EXPECT_EQ(complete.at("ok"), true) << complete;
      EXPECT_TRUE(complete.at("errors").is_array()) << complete;
      EXPECT_TRUE(complete.at("errors").as_array().empty()) << complete;
    }
    return true;
  }

  // Every frame meets its event's schema; returns how many are error events.
  size_t check_frames(const Answer& answer) {
    size_t error_events = 0;
    for (const auto& [event, data] : answer.frames) {
      for (const auto& problem : schemas_.check(event, data))
        ADD_FAILURE() << event << ": " << problem << "\n" << data;
      error_events += event == "error";
    }
    return error_events;
  }

  // A stage that ran while NetBox refused one object: one error event, and `complete` ok with
  // that one refusal, whose detail names `refused`.
  void expect_one_refusal(const Answer& answer, std::string_view refused) {
    EXPECT_EQ(check_frames(answer), 1u);
    ASSERT_EQ(answer.frames.back().first, "complete");
    const auto& complete = answer.frames.back().second;
    EXPECT_EQ(complete.at("ok"), true) << "the stage ran; one object was refused";
    ASSERT_EQ(complete.at("errors").as_array().size(), 1u) << complete;
    EXPECT_NE(std::string(complete.at("errors").at(0).at("detail").as_string()).find(refused),
              std::string::npos)
        << complete;
  }

  // Creates `body` in NetBox's `collection` ("virtualization/virtual-disks/") by hand, as a user
  // would, behind proxbox's back.
  http::ClientResponse create_by_hand(const std::string& collection, json::object body) {
    http::Headers headers;
    headers.set(http::Field::authorization, "Token " + kNetBoxToken);
    return client_.send_json(http::Verb::post, netbox_.url + "/api/" + collection, body, headers);
  }

  json::object openapi_paths() {
    return client_.get(api_.url + "/openapi.json").json().at("paths").as_object();
  }

  SseSchemas schemas_;
};

TEST_F(PluginContractTest, SyncAllWalksTheThirteenStagesInThePluginsOrder) {
  const auto reconciled = api(http::Verb::post, "/extras/custom-fields/reconcile");
  ASSERT_EQ(reconciled.status, 200u) << reconciled.body;
  EXPECT_EQ(api(http::Verb::get, "/extras/bootstrap-status").json().at("ok"), true);

  const auto paths = openapi_paths();
  std::map<std::string, size_t> seen_events;
  std::set<std::string> implemented;
  for (const auto& [sync_type, path] : kPluginStages) {
    const std::string query =
        kPluginQuery + (sync_type == "vm-backups" ? "&delete_nonexistent_backup=true" : "");
    if (walk_stage(path, query, seen_events)) implemented.insert(sync_type);
    ASSERT_TRUE(paths.contains(path + "/stream")) << path;
    EXPECT_EQ(paths.at(path + "/stream").at("get").at("x-implemented"),
              implemented.count(sync_type) == 1)
        << path << ": /openapi.json must say which stages are implemented";
  }
  for (const char* stage : {"devices", "virtual-machines", "vm-backups"})
    EXPECT_TRUE(implemented.count(stage)) << stage;
  EXPECT_GT(seen_events["step"], 0u);
  EXPECT_GT(seen_events["phase_summary"], 0u);
  EXPECT_GT(seen_events["item_progress"], 0u) << "the first walk writes objects";

  EXPECT_EQ(vms_by_name().size(), 3u);
  EXPECT_EQ(netbox_list("plugins/proxbox/backups/").size(), 1u);

  // Walking again writes nothing, and full-update speaks the same payloads.
  const auto write_stats = [&] {
    http::Headers headers;
    headers.set(http::Field::authorization, "Token " + kNetBoxToken);
    return client_.get(netbox_.url + "/api/__emulator__/stats/", headers).body;
  };
  int64_t writes = netbox_writes();
  std::map<std::string, size_t> again;
  for (const auto& [sync_type, path] : kPluginStages)
    walk_stage(path, kPluginQuery, again);
  EXPECT_EQ(netbox_writes(), writes) << write_stats();
  EXPECT_EQ(again["item_progress"], 0u) << "nothing was written, so no write batches";
  // full-update runs every implemented stage (and may hold kinds whose stage row has no
  // implementation yet, written here the first time); run twice, the second writes nothing.
  walk_stage("/full-update", "", again);
  writes = netbox_writes();
  std::map<std::string, size_t> full_again;
  walk_stage("/full-update", "", full_again);
  EXPECT_EQ(netbox_writes(), writes) << "an unchanged full-update: " << write_stats();
  EXPECT_EQ(full_again["item_progress"], 0u);
  EXPECT_GT(full_again["phase_summary"], 0u);
}

TEST_F(PluginContractTest, ObjectsNetBoxRefusesAreListedInErrorsAndTheRestIsWritten) {
  // Someone created a VM "db" in the cluster by hand: NetBox refuses proxbox's "db" (names are
  // unique per cluster). The stage reports it in `errors` and writes the other guests.
  ASSERT_EQ(api(http::Verb::get, "/dcim/devices/create").status, 200u);
  const auto clusters = netbox_list("virtualization/clusters/");
  ASSERT_EQ(clusters.size(), 1u);
  const auto manual =
      create_by_hand("virtualization/virtual-machines/",
                     json::object{{"name", "db"}, {"cluster", clusters[0].at("id")}});
  ASSERT_EQ(manual.status, 201u) << manual.body;

  const auto answer = stream_frames("/virtualization/virtual-machines/create/stream");
  ASSERT_EQ(answer.status, 200u);
  expect_one_refusal(answer, "qemu/101");
  const auto vms = vms_by_name();
  EXPECT_EQ(vms.size(), 3u);
  EXPECT_TRUE(vms.count("web") && vms.count("cache")) << "the other guests are written";
}

// A later stage meets the same refusal: someone gave VM "web" a disk "scsi0" by hand, so NetBox
// refuses proxbox's scsi0 (disk names are unique per VM). The virtual disks stage lists it in
// `errors`, writes the other guests' disks, and leaves the hand-made disk as it was.
TEST_F(PluginContractTest, AVirtualDiskNetBoxRefusesIsListedAndTheOtherDisksAreWritten) {
  ASSERT_EQ(api(http::Verb::get, "/virtualization/virtual-machines/create").status, 200u);
  const auto web = vms_by_name().at("web");
  const auto manual = create_by_hand(
      "virtualization/virtual-disks/",
      json::object{{"virtual_machine", web.at("id")}, {"name", "scsi0"}, {"size", 7}});
  ASSERT_EQ(manual.status, 201u) << manual.body;
  const int64_t manual_id = manual.json().at("id").as_int64();

  const auto answer = stream_frames("/virtualization/virtual-machines/virtual-disks/create/stream");
  ASSERT_EQ(answer.status, 200u) << answer.body;
  expect_one_refusal(answer, "scsi0");

  std::map<std::string, json::object> disks;  // "<vm name>/<disk name>"
  const auto vms = vms_by_name();
  for (const auto& disk : netbox_list("virtualization/virtual-disks/")) {
    const auto& object = disk.as_object();
    for (const auto& [name, vm] : vms) {
      if (vm.at("id") == object.at("virtual_machine").at("id"))
        disks[name + "/" + std::string(object.at("name").as_string())] = object;
    }
  }
  EXPECT_EQ(disks.size(), 3u) << "the hand-made disk and the other two guests' disks";
  EXPECT_TRUE(disks.count("db/scsi0") && disks.count("cache/rootfs"));
  ASSERT_TRUE(disks.count("web/scsi0"));
  const auto& kept = disks.at("web/scsi0");
  EXPECT_EQ(kept.at("id").as_int64(), manual_id);
  EXPECT_EQ(kept.at("size").as_int64(), 7) << "nothing half-written into the refused object";
  EXPECT_TRUE(kept.at("tags").as_array().empty());
  EXPECT_EQ(disks.at("db/scsi0").at("size").as_int64(), 16 * 1024);
}

TEST_F(PluginContractTest, BadInputPerRouteIsAClearErrorAndChangesNothing) {
  ASSERT_EQ(api(http::Verb::get, "/virtualization/virtual-machines/create").status, 200u);
  const int64_t writes = netbox_writes();
  for (const char* route : {"/virtualization/virtual-machines/9999/create",
                            "/virtualization/virtual-machines/9999/create/stream",
                            "/virtualization/virtual-machines/9999/virtual-disks/create",
                            "/virtualization/virtual-machines/9999/backups/create/stream",
                            "/virtualization/virtual-machines/9999/snapshots/create/stream",
                            "/virtualization/virtual-machines/9999"}) {
    const auto response = api(http::Verb::get, route);
    EXPECT_EQ(response.status, 404u) << route;
    EXPECT_EQ(response.json().at("detail"), "Virtual machine 9999 not found in NetBox.") << route;
  }
  for (const char* route : {"/virtualization/virtual-machines/web/create",
                            "/virtualization/virtual-machines/-3/backups/create",
                            "/virtualization/virtual-machines/1.5/virtual-disks/create/stream",
                            "/virtualization/virtual-machines/x/snapshots/create",
                            "/dcim/devices/create/stream?proxmox_endpoint_ids=one"}) {
    const auto response = api(http::Verb::get, route);
    EXPECT_EQ(response.status, 422u) << route << " " << response.body;
    EXPECT_TRUE(response.json().at("detail").is_string()) << route;
  }
  const json::value broken = json::string("not an object");
  const auto reconcile = api(http::Verb::post, "/extras/custom-fields/reconcile", &broken);
  EXPECT_EQ(reconcile.status, 422u);
  EXPECT_EQ(netbox_writes(), writes) << "bad input writes nothing";

  // A per-VM route with a real VM runs the stage and names the VM.
  const auto web = vms_by_name().at("web");
  const auto one = stream_frames("/virtualization/virtual-machines/" +
                                 std::to_string(web.at("id").as_int64()) + "/create/stream");
  ASSERT_EQ(one.status, 200u);
  check_frames(one);
  ASSERT_EQ(one.frames.back().first, "complete");
  EXPECT_EQ(one.frames.back().second.at("result").at("virtual_machine").at("name"), "web");
  EXPECT_EQ(netbox_writes(), writes) << "nothing changed in Proxmox";
}

TEST_F(PluginContractTest, ProxmoxReadsComeFromTheConfiguredEndpoints) {
  const auto nodes = api(http::Verb::get, "/proxmox/nodes");
  ASSERT_EQ(nodes.status, 200u) << nodes.body;
  const auto per_endpoint = nodes.json().as_array();
  ASSERT_EQ(per_endpoint.size(), 1u);
  std::set<std::string> names;
  for (const auto& node : per_endpoint[0].at("lab").as_array())
    names.emplace(node.at("node").as_string());
  EXPECT_EQ(names, (std::set<std::string>{"pve1", "pve2"}));

  const auto guests = api(http::Verb::get, "/proxmox/cluster/resources?type=vm");
  ASSERT_EQ(guests.status, 200u);
  EXPECT_EQ(guests.json().at(0).at("lab").as_array().size(), 3u);
  EXPECT_EQ(
      api(http::Verb::get, "/proxmox/version").json().at(0).at("lab").at("release").is_string(),
      true);
  EXPECT_EQ(api(http::Verb::get, "/proxmox/cluster").status, 200u);

  const auto config = api(http::Verb::get, "/proxmox/qemu/pve1/100/config");
  ASSERT_EQ(config.status, 200u) << config.body;
  EXPECT_EQ(config.json().at("name"), "web");
  const auto content =
      api(http::Verb::get, "/proxmox/nodes/pve1/storage/backup/content?content=backup");
  ASSERT_EQ(content.status, 200u) << content.body;
  EXPECT_EQ(content.json().as_array().size(), 1u);

  // Bad input: an object no endpoint has, a path that is not Proxmox's, unknown endpoints.
  EXPECT_EQ(api(http::Verb::get, "/proxmox/lxc/pve1/100/config").status, 404u);
  EXPECT_EQ(api(http::Verb::get, "/proxmox/nodes/pve9/storage/backup/content").status, 404u);
  EXPECT_EQ(api(http::Verb::get, "/proxmox/kvm/pve1/100/config").status, 422u);
  EXPECT_EQ(api(http::Verb::get, "/proxmox/qemu/pve1/x/config").status, 422u);
  EXPECT_EQ(api(http::Verb::get, "/proxmox/secrets").status, 422u);
  EXPECT_EQ(api(http::Verb::get, "/proxmox/nodes?proxmox_endpoint_ids=9").status, 400u);

  const auto sessions = api(http::Verb::get, "/proxmox/sessions");
  ASSERT_EQ(sessions.status, 200u) << sessions.body;
  const json::value listed = sessions.json();
  ASSERT_EQ(listed.as_array().size(), 1u);
  EXPECT_EQ(listed.at(0).at("name"), "lab");
  EXPECT_EQ(listed.at(0).at("domain"), "127.0.0.1");
  EXPECT_EQ(listed.at(0).at("user"), "root@pam");
  EXPECT_EQ(listed.at(0).at("mode"), "cluster");
  EXPECT_EQ(api(http::Verb::get, "/proxmox").status, 200u);
}

TEST_F(PluginContractTest, HaReadsFollowTheEndpointsHaState) {
  auto cluster = lab_cluster();
  proxmox::HaResourceScenario web;
  web.sid = "vm:100";
  web.group = "primary";
  cluster.ha_resources = {web};
  load_cluster(cluster);

  const auto summary = api(http::Verb::get, "/proxmox/cluster/ha/summary");
  ASSERT_EQ(summary.status, 200u) << summary.body;
  const json::value document = summary.json();
  const auto& lab = document.at(0).at("lab");
  ASSERT_EQ(lab.at("resources").as_array().size(), 1u);
  EXPECT_EQ(lab.at("resources").at(0).at("sid"), "vm:100");
  EXPECT_TRUE(lab.at("status").is_array());

  const auto by_vm = api(http::Verb::get, "/proxmox/cluster/ha/resources/by-vm/100");
  ASSERT_EQ(by_vm.status, 200u) << by_vm.body;
  EXPECT_EQ(by_vm.json().at("sid"), "vm:100");
  EXPECT_EQ(by_vm.json().at("endpoint"), "lab");
  EXPECT_EQ(api(http::Verb::get, "/proxmox/cluster/ha/resources/by-vm/101").status, 404u)
      << "101 is not HA-managed";
  EXPECT_EQ(api(http::Verb::get, "/proxmox/cluster/ha/resources/by-vm/x").status, 422u);
}

}  // namespace
}  // namespace pbx::api
