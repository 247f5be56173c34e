// /sync/individual/<kind>: the plugin's single-object syncs (GET and POST), with upstream's
// query parameters (a POST may carry them in a JSON body instead). Each finds the object in
// Proxmox first (400 for missing or malformed parameters, 404 when no endpoint has it, 502 when
// an endpoint cannot be read), then runs the existing stages of plugin_stages.hpp that write
// it — its dependencies first (the VM before its disks) — against the one endpoint holding it.
// Guest objects are restricted to their guest: the endpoint's /cluster/resources is narrowed to
// that guest, so the engine reads and writes nothing of the others. Runs are diff-based (an
// unchanged object writes nothing) and never delete. The answer is upstream's result dict:
// {object_type, action, proxmox_resource, netbox_object, dry_run, dependencies_synced, error}.

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <functional>
#include <map>
#include <memory>

#include "api/plugin_routes.hpp"
#include "api/plugin_stages.hpp"
#include "sync/json_util.hpp"
#include "sync/plugin_mapping.hpp"
#include "sync/proxmox_reader.hpp"

namespace pbx::api {
namespace json = boost::json;
using http::Response;
using http::Status;
using V = http::Verb;

namespace {

using Params = std::map<std::string, std::string>;

// An endpoint's transport whose /cluster/resources answers list no guest but `vmid`: the engine
// then reads (and writes) that guest alone.
class OneGuestTransport final : public sync::Transport {
 public:
  OneGuestTransport(std::shared_ptr<sync::Transport> inner, int64_t vmid)
      : inner_(std::move(inner)), vmid_(vmid) {}

 protected:
  http::ClientResponse exchange(V method, std::string_view url, std::string body,
                                const http::Headers& headers,
                                const http::RequestControl& control) override {
    auto response = inner_->send(method, url, std::move(body), headers, control);
    if (method != V::get || !response.ok() ||
        url.find("/cluster/resources") == std::string_view::npos) {
      return response;
    }
    boost::system::error_code error;
    json::value parsed = json::parse(response.body, error);
    auto* data = !error && parsed.is_object() ? parsed.as_object().if_contains("data") : nullptr;
    if (!data || !data->is_array()) return response;
    json::array kept;
    for (auto& entry : data->as_array()) {
      // Entries without a vmid (nodes, storages) stay.
      const auto* vmid = entry.is_object() ? entry.as_object().if_contains("vmid") : nullptr;
      if (!vmid || (vmid->is_int64() && vmid->as_int64() == vmid_))
        kept.push_back(std::move(entry));
    }
    *data = std::move(kept);
    response.body = json::serialize(parsed);
    return response;
  }

 private:
  std::shared_ptr<sync::Transport> inner_;
  int64_t vmid_;
};

// The entry of `list` whose `key` equals `value` (strings or integers), or nullptr.
const json::object* entry_with(const json::value& list, std::string_view key,
                               const std::string& value) {
  if (!list.is_array()) return nullptr;
  for (const auto& entry : list.as_array()) {
    if (!entry.is_object()) continue;
    const auto* found = entry.as_object().if_contains(key);
    if (!found) continue;
    if (found->is_string() && found->as_string() == value) return &entry.as_object();
    if (found->is_int64() && std::to_string(found->as_int64()) == value) return &entry.as_object();
  }
  return nullptr;
}

std::string node_path(const std::string& node) {
  return "/nodes/" + http::percent_encode(node);
}

// The parameters of one request and where the object lives.
struct Target {
  Params params;
  const sync::ProxmoxSource* source = nullptr;
  std::string cluster;  // the NetBox cluster name (Proxmox cluster, or the standalone node)
  json::object proxmox_resource;
  int64_t vmid = 0;

  const std::string& param(const std::string& name) const {
    static const std::string empty;
    const auto found = params.find(name);
    return found == params.end() ? empty : found->second;
  }
  std::string guest_path() const {
    return node_path(param("node")) + "/" + param("type") + "/" + std::to_string(vmid);
  }
};

// What a kind's lookup found on one endpoint: the object, nullopt when the endpoint lacks it, or
// the refusal ending the request (the guest is there, but not as the parameters say).
using Found = OrRefusal<std::optional<json::object>>;

// One kind: its required parameters, the stages that write it (dependencies first), whether the
// run is narrowed to its guest, and how to find it in Proxmox and in NetBox.
struct Kind {
  const char* name;
  std::vector<const char*> required;
  std::vector<const char*> optional;
  std::vector<const char*> stages;  // plugin sync types, in order
  bool one_guest = false;
  // The object in Proxmox (throws when the endpoint cannot be read).
  std::function<Found(Target&)> locate;
  // The NetBox objects that are the synced object (read after the run).
  std::function<std::vector<json::object>(sync::NetBoxClient&, const Target&)> netbox;
};

// The guest of node/type/vmid from /cluster/resources, nullopt, or 404 when the vmid is another
// type's or on another node.
Found locate_guest(Target& target) {
  const json::value resources = proxmox_read(*target.source, "/cluster/resources?type=vm");
  const auto* guest = entry_with(resources, "vmid", std::to_string(target.vmid));
  if (!guest) return std::optional<json::object>();
  const std::string node = sync::json_string(guest->if_contains("node"));
  const std::string type = sync::json_string(guest->if_contains("type"));
  if (node != target.param("node") || type != target.param("type")) {
    return refuse(Status::not_found, "Guest " + std::to_string(target.vmid) + " is a " + type +
                                         " on node " + node + ", not a " + target.param("type") +
                                         " on node " + target.param("node") + ".");
  }
  return std::optional<json::object>(*guest);
}

// The guest, then `sub` (a member of a read below the guest) as the resource.
Found locate_guest_child(Target& target, const std::string& suffix, const std::string& name_param) {
  const Found guest = locate_guest(target);
  if (!guest || !*guest) return guest;
  const json::value read = proxmox_read(*target.source, target.guest_path() + suffix);
  const std::string& wanted = target.param(name_param);
  if (read.is_object()) {  // a config: its key
    const auto* value = read.as_object().if_contains(wanted);
    if (!value) return std::optional<json::object>();
    return std::optional<json::object>(
        json::object{{"name", wanted}, {"value", *value}, {"vmid", target.vmid}});
  }
  const auto* entry = entry_with(read, "name", wanted);
  if (!entry) return std::optional<json::object>();
  json::object resource = *entry;
  resource["vmid"] = target.vmid;
  return std::optional<json::object>(std::move(resource));
}

std::vector<json::object> netbox_vms(sync::NetBoxClient& netbox, const Target& target) {
  std::vector<json::object> kept;
  // The filter narrows the read; the check below decides (a NetBox without the custom field
  // ignores the filter).
  for (auto& vm : netbox.list("/virtualization/virtual-machines/",
                              {{"cf_proxmox_vm_id", std::to_string(target.vmid)}})) {
    const auto* fields = vm.if_contains("custom_fields");
    if (!fields || !fields->is_object()) continue;
    const auto& custom = fields->as_object();
    if (sync::json_int(custom.if_contains("proxmox_vm_id")) == target.vmid &&
        sync::json_string(custom.if_contains("proxmox_cluster")) == target.cluster) {
      kept.push_back(std::move(vm));
    }
  }
  return kept;
}

// The objects below the guest's NetBox VM at `path` named by `name_param` (all when empty).
std::function<std::vector<json::object>(sync::NetBoxClient&, const Target&)> below_vm(
    std::string path, std::string filter, std::string name_param) {
  return [=](sync::NetBoxClient& netbox, const Target& target) {
    std::vector<json::object> found;
    for (const auto& vm : netbox_vms(netbox, target)) {
      http::Params query{
          {"virtual_machine_id", std::to_string(sync::json_int(vm.if_contains("id")))}};
      if (!name_param.empty() && !target.param(name_param).empty())
        query.emplace_back(filter, target.param(name_param));
      for (auto& object : netbox.list(path, query))
        found.push_back(std::move(object));
    }
    return found;
  };
}

std::function<std::vector<json::object>(sync::NetBoxClient&, const Target&)> by_field(
    std::string path, std::string filter, std::string param) {
  return [=](sync::NetBoxClient& netbox, const Target& target) {
    return netbox.list(path, {{filter, target.param(param)}});
  };
}

std::optional<json::object> locate_in_list(Target& target, const std::string& path,
                                           const std::string& key, const std::string& param) {
  const json::value list = proxmox_read(*target.source, path);
  const auto* entry = entry_with(list, key, target.param(param));
  return entry ? std::optional<json::object>(*entry) : std::nullopt;
}

const std::vector<Kind>& kinds() {
  static const std::vector<Kind> table{
      {"cluster",
       {"cluster_name"},
       {},
       {"devices"},
       false,
       [](Target& target) -> std::optional<json::object> {
         return json::object{{"name", target.cluster}};
       },
       [](sync::NetBoxClient& netbox, const Target& target) {
         return netbox.list("/virtualization/clusters/", {{"name", target.cluster}});
       }},
      {"node",
       {"node_name"},
       {"cluster_name"},
       {"devices"},
       false,
       [](Target& target) { return locate_in_list(target, "/nodes", "node", "node_name"); },
       by_field("/dcim/devices/", "name", "node_name")},
      {"vm",
       {"node", "type", "vmid"},
       {"cluster_name"},
       {"virtual-machines"},
       true,
       locate_guest,
       netbox_vms},
      {"storage",
       {"storage_name"},
       {"cluster_name"},
       {"devices", "storage"},
       false,
       [](Target& target) { return locate_in_list(target, "/storage", "storage", "storage_name"); },
       [](sync::NetBoxClient& netbox, const Target& target) {
         std::vector<json::object> kept;
         for (auto& storage :
              netbox.list(sync::kPluginStoragePath, {{"name", target.param("storage_name")}})) {
           if (sync::nested_name(storage, "cluster") == target.cluster)
             kept.push_back(std::move(storage));
         }
         return kept;
       }},
      {"disk",
       {"node", "type", "vmid", "disk_name"},
       {"cluster_name"},
       {"virtual-machines", "vm-disks"},
       true,
       [](Target& target) { return locate_guest_child(target, "/config", "disk_name"); },
       below_vm("/virtualization/virtual-disks/", "name", "disk_name")},
      {"interface",
       {"node", "type", "vmid", "interface_name"},
       {"cluster_name"},
       {"virtual-machines", "vm-interfaces"},
       true,
       [](Target& target) { return locate_guest_child(target, "/config", "interface_name"); },
       below_vm("/virtualization/interfaces/", "name", "interface_name")},
      {"ip",
       {"node", "type", "vmid", "ip_address"},
       {"cluster_name", "interface_name"},
       {"virtual-machines", "vm-interfaces", "ip-addresses"},
       true,
       [](Target& target) -> Found {
         const Found guest = locate_guest(target);
         if (!guest || !*guest) return guest;
         return std::optional<json::object>(
             json::object{{"address", target.param("ip_address")},
                          {"vmid", target.vmid},
                          {"interface_name", target.param("interface_name")}});
       },
       below_vm("/ipam/ip-addresses/", "address", "ip_address")},
      {"backup",
       {"node", "storage", "vmid", "volid"},
       {"cluster_name"},
       {"virtual-machines", "vm-backups"},
       true,
       [](Target& target) -> std::optional<json::object> {
         return locate_in_list(target,
                               node_path(target.param("node")) + "/storage/" +
                                   http::percent_encode(target.param("storage")) +
                                   "/content?content=backup&vmid=" + std::to_string(target.vmid),
                               "volid", "volid");
       },
       by_field(sync::kPluginBackupsPath, "volume_id", "volid")},
      {"snapshot",
       {"node", "type", "vmid", "snapshot_name"},
       {"cluster_name"},
       {"virtual-machines", "vm-snapshots"},
       true,
       [](Target& target) { return locate_guest_child(target, "/snapshot", "snapshot_name"); },
       [](sync::NetBoxClient& netbox, const Target& target) {
         return netbox.list(sync::kPluginSnapshotsPath, {{"name", target.param("snapshot_name")},
                                                         {"vmid", std::to_string(target.vmid)}});
       }},
      {"replication",
       {"replication_id"},
       {"cluster_name"},
       {"virtual-machines", "replications"},
       false,
       [](Target& target) {
         return locate_in_list(target, "/cluster/replication", "id", "replication_id");
       },
       by_field(sync::kPluginReplicationsPath, "replication_id", "replication_id")},
      {"backup-routines",
       {"job_id"},
       {"cluster_name"},
       {"backup-routines"},
       false,
       [](Target& target) { return locate_in_list(target, "/cluster/backup", "id", "job_id"); },
       by_field(sync::kPluginBackupRoutinesPath, "job_id", "job_id")},
      {"task-history",
       {"node", "type", "vmid"},
       {"cluster_name", "upid"},
       {"virtual-machines", "task-history"},
       true,
       [](Target& target) -> Found {
         const Found guest = locate_guest(target);
         if (!guest || !*guest || target.param("upid").empty()) return guest;
         return locate_in_list(
             target,
             node_path(target.param("node")) +
                 "/tasks?source=archive&limit=1000&vmid=" + std::to_string(target.vmid),
             "upid", "upid");
       },
       [](sync::NetBoxClient& netbox, const Target& target) {
         if (!target.param("upid").empty())
           return netbox.list(sync::kPluginTaskHistoryPath, {{"upid", target.param("upid")}});
         return below_vm(sync::kPluginTaskHistoryPath, "", "")(netbox, target);
       }},
  };
  return table;
}

// Query parameters, then (POST) the members of a JSON object body over them.
OrRefusal<Params> request_params(const http::Request& request) {
  Params params;
  for (const auto& [name, value] : request.query)
    params[name] = value;
  if (request.method == V::post && !request.body.empty()) {
    boost::system::error_code error;
    const json::value body = json::parse(request.body, error);
    if (error || !body.is_object())
      return refuse(Status::bad_request, "The body must be empty or a JSON object.");
    for (const auto& [name, value] : body.as_object()) {
      if (value.is_string())
        params[std::string(name)] = std::string(value.as_string());
      else if (value.is_int64())
        params[std::string(name)] = std::to_string(value.as_int64());
      else if (value.is_bool())
        params[std::string(name)] = value.as_bool() ? "true" : "false";
      else if (!value.is_null()) {
        return refuse(Status::bad_request,
                      "Body member '" + std::string(name) + "' must be a string or a number.");
      }
    }
  }
  return params;
}

bool needs_param(const Kind& kind, std::string_view name) {
  for (const char* required : kind.required) {
    if (name == required) return true;
  }
  return false;
}

// Done (target.vmid set when the kind has one), or 400 naming what is missing or malformed.
OrRefusal<void> check_params(const Kind& kind, Target& target) {
  std::string missing;
  for (const char* name : kind.required) {
    if (target.param(name).empty()) missing += (missing.empty() ? "" : ", ") + std::string(name);
  }
  if (!missing.empty()) {
    return refuse(Status::bad_request, "Missing parameter(s) for /sync/individual/" +
                                           std::string(kind.name) + ": " + missing + ".");
  }
  if (needs_param(kind, "type") && target.param("type") != "qemu" &&
      target.param("type") != "lxc") {
    return refuse(Status::bad_request,
                  "type must be qemu or lxc, not '" + target.param("type") + "'.");
  }
  if (needs_param(kind, "vmid")) {
    const auto vmid = parse_positive_id(target.param("vmid"));
    if (!vmid) return refuse(Status::bad_request, "vmid must be a positive integer.");
    target.vmid = *vmid;
  }
  return {};
}

// The NetBox cluster name of an endpoint, as the sync names it (ProxmoxReader::read): the one
// /cluster/status names (the cluster's, a standalone node's), else the first node /nodes lists.
std::string cluster_name_of(const sync::ProxmoxSource& source) {
  std::string name = sync::parse_cluster_status(proxmox_read(source, "/cluster/status")).name;
  if (!name.empty()) return name;
  const json::value nodes = proxmox_read(source, "/nodes");
  if (nodes.is_array() && !nodes.as_array().empty() && nodes.as_array().front().is_object())
    return sync::json_string(nodes.as_array().front().as_object().if_contains("node"));
  return {};
}

// The endpoint holding the object (the one `cluster_name` names, when given) and the object.
OrRefusal<Target> find_target(const Kind& kind, Params params, const ProxmoxSources& sources) {
  Target target{std::move(params)};
  if (auto checked = check_params(kind, target); !checked) return common::Failure{checked.error()};
  const std::string& wanted_cluster = target.param("cluster_name");
  bool endpoint_matched = false;
  for (const auto& source : sources) {
    try {
      target.source = &source;
      target.cluster = cluster_name_of(source);
      if (!wanted_cluster.empty() && wanted_cluster != source.name &&
          wanted_cluster != target.cluster) {
        continue;
      }
      endpoint_matched = true;
      Found resource = kind.locate(target);
      if (!resource) return common::Failure{resource.error()};
      if (*resource) {
        target.proxmox_resource = std::move(**resource);
        return target;
      }
    } catch (const std::exception& error) {
      return refuse(Status::bad_gateway,
                    "Proxmox endpoint " + source.name +
                        " could not be read (nothing was synced): " + error.what());
    }
  }
  if (!endpoint_matched) {
    return refuse(Status::not_found,
                  "No Proxmox endpoint or cluster is named '" + wanted_cluster + "'.");
  }
  std::string described;
  for (const char* name : kind.required) {
    if (std::string_view(name) != "cluster_name")
      described += (described.empty() ? "" : ", ") + std::string(name) + "=" + target.param(name);
  }
  return refuse(Status::not_found,
                "No Proxmox endpoint has the " + std::string(kind.name) + " " + described + ".");
}

json::value one_or_all(std::vector<json::object> objects) {
  if (objects.empty()) return nullptr;
  if (objects.size() == 1) return std::move(objects.front());
  json::array all;
  for (auto& object : objects)
    all.push_back(std::move(object));
  return all;
}

// Runs the kind's stages for the target; the per-stage summaries, or the answer ending it.
OrRefusal<json::array> run_stages(const PluginRouteHooks& hooks, http::Request& request,
                                  const Kind& kind, const Target& target) {
  json::array stages;
  sync::ProxmoxSource source = *target.source;
  if (kind.one_guest)
    source.transport = std::make_shared<OneGuestTransport>(source.transport, target.vmid);
  for (const char* name : kind.stages) {
    const PluginStage* stage = find_plugin_stage(name);
    if (!stage || !stage->implemented()) {
      return refuse(Status::not_implemented, not_implemented_detail(std::string("stage ") + name));
    }
    StageRun run{std::string(stage->sync_type), *stage->scope, false, {}};
    run.sources = ProxmoxSources{source};
    if (kind.one_guest) run.only_guest = target.vmid;
    run.allow_delete = false;
    Response answer = hooks.run_stage(request, std::move(run));
    if (answer.status != Status::ok) return common::Failure{std::move(answer)};
    json::value summary = json::parse(answer.body);
    json::object entry{{"stage", name}};
    for (const char* key : {"created", "updated", "unchanged", "errors", "error_messages"}) {
      if (const auto* value = summary.as_object().if_contains(key)) entry[key] = *value;
    }
    stages.push_back(std::move(entry));
  }
  return stages;
}

std::string stage_errors(const json::array& stages) {
  std::string errors;
  for (const auto& stage : stages) {
    const auto* messages = stage.as_object().if_contains("error_messages");
    if (!messages || !messages->is_array()) continue;
    for (const auto& message : messages->as_array())
      errors += (errors.empty() ? "" : "; ") +
                (message.is_string() ? std::string(message.as_string()) : json::serialize(message));
  }
  return errors;
}

Response sync_one(const PluginRouteHooks& hooks, http::Request& request, const Kind& kind) {
  auto params = request_params(request);
  if (!params) return params.error();
  const auto sources = hooks.proxmox_sources(request);
  if (!sources) return sources.error();
  const auto found = find_target(kind, std::move(*params), *sources);
  if (!found) return found.error();
  const Target& target = *found;
  const std::string& dry = target.param("dry_run");
  const bool dry_run = dry == "true" || dry == "1" || dry == "yes";
  std::erase_if(request.query, [](const auto& param) { return param.first == "dry_run"; });
  request.query.emplace_back("dry_run", dry_run ? "true" : "false");

  auto connection = hooks.netbox();
  if (!connection) return detail_response(Status::bad_request, "No NetBox endpoint is configured.");
  try {
    const auto before = kind.netbox(*connection->client, target);
    auto ran = run_stages(hooks, request, kind, target);
    if (!ran) return ran.error();
    json::array stages = std::move(*ran);
    auto after = kind.netbox(*connection->client, target);
    std::string action = dry_run ? "dry_run" : "unchanged";
    json::value error = nullptr;
    // A guest's task history may be empty; any other object must be in NetBox after its sync.
    const bool may_be_none =
        std::string_view(kind.name) == "task-history" && target.param("upid").empty();
    if (!dry_run && after.empty() && !may_be_none) {
      if (std::string_view(kind.name) == "ip" && stage_errors(stages).empty()) {
        return detail_response(Status::not_found, "Proxmox reports no address " +
                                                      target.param("ip_address") + " for guest " +
                                                      std::to_string(target.vmid) + ".");
      }
      action = "error";
      error = json::string("NetBox holds no " + std::string(kind.name) +
                           " after the sync: " + stage_errors(stages));
    } else if (!dry_run && before.empty() && !after.empty()) {
      action = "created";
    } else if (!dry_run && before != after) {
      action = "updated";
    }
    return Response::json(json::object{{"object_type", kind.name},
                                       {"action", action},
                                       {"proxmox_resource", target.proxmox_resource},
                                       {"netbox_object", one_or_all(std::move(after))},
                                       {"dry_run", dry_run},
                                       {"dependencies_synced", std::move(stages)},
                                       {"error", error}});
  } catch (const std::exception& failure) {
    return detail_response(Status::bad_gateway,
                           std::string("NetBox is unavailable: ") + failure.what());
  }
}

std::vector<QueryParam> kind_params(const Kind& kind) {
  std::vector<QueryParam> params;
  for (const char* name : kind.required) {
    const std::string_view param(name);
    params.push_back({name, param == "vmid" ? "integer" : "string",
                      param == "type" ? "Required: qemu or lxc" : "Required"});
  }
  for (const char* name : kind.optional) {
    params.push_back({name, "string",
                      std::string_view(name) == "cluster_name"
                          ? "The endpoint (or Proxmox cluster) name; default: any that has it"
                          : "Optional"});
  }
  params.push_back({"dry_run", "boolean", "Report what would be synced without writing"});
  params.push_back({"proxmox_endpoint_ids", "array", "Restrict to these Proxmox endpoint ids"});
  return params;
}

}  // namespace

void add_individual_routes(const PluginRouteHooks& hooks) {
  for (const auto& kind_row : kinds()) {
    const Kind* kind = &kind_row;
    std::string stages;
    for (const char* stage : kind->stages)
      stages += (stages.empty() ? "" : ", ") + std::string(stage);
    for (const V method : {V::get, V::post}) {
      RouteDoc doc{
          method,
          std::string("/sync/individual/") + kind->name,
          std::string("Sync one ") + kind->name + " (stages " + stages +
              ", for the endpoint holding it" + (kind->one_guest ? ", that guest only" : "") +
              "; never deletes). " +
              (method == V::post ? "The parameters may come as a JSON object body. " : "") +
              "Answers {object_type, action: created|updated|unchanged|dry_run|error, "
              "proxmox_resource, netbox_object, dry_run, dependencies_synced, error}",
          "sync",
          true,
          kind_params(*kind),
          {},
          {{200, "The result dict"},
           {400, "Missing or malformed parameters, no endpoint configured"},
           {404, "No Proxmox endpoint has the object"},
           {409, "A sync is already running"},
           {502, "Proxmox or NetBox could not be read"}}};
      doc.response_schema = "IndividualSyncResult";
      hooks.add(std::move(doc),
                [&hooks, kind](http::Request& request) { return sync_one(hooks, request, *kind); });
    }
  }
}

}  // namespace pbx::api
