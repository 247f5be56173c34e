#include "sync/mapping.hpp"

#include <algorithm>
#include <ctime>
#include <set>
#include <unordered_map>

#include "common/clock.hpp"
#include "common/text.hpp"
#include "sync/guest_tags.hpp"
#include "sync/json_util.hpp"

namespace pbx::sync {
namespace json = boost::json;

namespace {

json::array owned_tags(const References& refs) {
  return json::array{refs.tag};
}

int64_t lookup(const std::map<std::string, int64_t>& ids, const std::string& key) {
  const auto found = ids.find(key);
  return found == ids.end() ? 0 : found->second;
}

}  // namespace

json::object tag_definition() {
  return json::object{{"name", "Proxbox"},
                      {"slug", kTagSlug},
                      {"color", "ff5722"},
                      {"description", "Object synchronised from Proxmox by proxbox"}};
}

std::vector<json::object> list_tagged(NetBoxClient& netbox, const References& refs,
                                      const std::string& path, http::Params filters) {
  if (refs.tag <= 0) return {};
  filters.emplace_back("tag", kTagSlug);
  return netbox.list(path, filters);
}

std::string slugify(std::string_view text) {
  std::string slug;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '_') {
      slug.push_back(static_cast<char>(std::tolower(u)));
    } else if ((c == '-' || c == ' ' || c == '.' || c == '/') && !slug.empty() &&
               slug.back() != '-') {
      slug.push_back('-');
    }
  }
  while (!slug.empty() && slug.back() == '-')
    slug.pop_back();
  if (slug.size() > 100) slug.resize(100);
  return slug;
}

std::string netbox_vm_status(std::string_view proxmox_status) {
  if (proxmox_status == "stopped" || proxmox_status == "paused") return "offline";
  return "active";
}

std::string backup_format(std::string_view proxmox_format) {
  // The plugin's choices; VMA archives have none of their own, as in the reference.
  static const std::map<std::string_view, std::string_view> formats{
      {"pbs-vm", "pbs-vm"}, {"pbs-ct", "pbs-ct"}, {"iso", "iso"},     {"tar.zst", "tzst"},
      {"tzst", "tzst"},     {"tar.gz", "tgz"},    {"tgz", "tgz"},     {"qcow2", "qcow2"},
      {"raw", "raw"},       {"tar", "tar"},       {"tar.bz2", "tbz"}, {"tbz", "tbz"}};
  const auto found = formats.find(proxmox_format);
  return std::string(found == formats.end() ? std::string_view("undefined") : found->second);
}

std::string default_site_name(std::string_view cluster_name) {
  return "Proxmox Default Site - " + std::string(cluster_name);
}

std::string cluster_type_name(std::string_view mode) {
  return mode == "cluster" ? "Cluster" : "Standalone";
}

std::string site_name_for(const EndpointSnapshot& endpoint) {
  return endpoint.site_name.empty() ? default_site_name(endpoint.snapshot.cluster_name)
                                    : endpoint.site_name;
}

std::string slug_key(const json::object& netbox_object) {
  return json_string(field(netbox_object, "slug"));
}

std::string device_key(std::string_view cluster, std::string_view node) {
  return std::string(cluster) + "/" + std::string(node);
}

std::string vm_key(std::string_view cluster, std::string_view type, int vmid) {
  return std::string(cluster) + "/" + std::string(type) + "/" + std::to_string(vmid);
}

std::string backup_key(int64_t vm_id, std::string_view volid) {
  return std::to_string(vm_id) + "/" + std::string(volid);
}

std::string current_cluster_key(const json::object& cluster) {
  return json_string(field(cluster, "name"));
}

std::string current_device_key(const json::object& device) {
  return device_key(nested_name(device, "cluster"), json_string(field(device, "name")));
}

std::string current_vm_key(const json::object& vm) {
  const auto* custom_fields = vm.if_contains("custom_fields");
  if (!custom_fields || !custom_fields->is_object()) return {};
  const auto& cf = custom_fields->as_object();
  return vm_key(nested_name(vm, "cluster"), json_string(field(cf, "proxmox_vm_type")),
                static_cast<int>(json_int(field(cf, "proxmox_vm_id"))));
}

std::string current_backup_key(const json::object& backup) {
  return backup_key(nested_id(backup, "virtual_machine"), json_string(field(backup, "volume_id")));
}

std::vector<DesiredObject> desired_cluster_types(const std::vector<EndpointSnapshot>& endpoints,
                                                 const References& refs) {
  std::vector<DesiredObject> types;
  std::set<std::string> seen;
  for (const auto& endpoint : endpoints) {
    const std::string name = cluster_type_name(endpoint.snapshot.cluster_mode);
    const std::string slug = slugify(name);
    if (!seen.insert(slug).second) continue;
    types.push_back({slug, {{"name", name}, {"slug", slug}, {"tags", owned_tags(refs)}}});
  }
  return types;
}

DesiredObject desired_manufacturer(const References& refs) {
  return {kManufacturerSlug,
          {{"name", "Proxmox"}, {"slug", kManufacturerSlug}, {"tags", owned_tags(refs)}}};
}

DesiredObject desired_device_type(const References& refs) {
  return {kDeviceTypeSlug,
          {{"manufacturer", id_or_null(refs.manufacturer)},
           {"model", "Proxmox Generic Device"},
           {"slug", kDeviceTypeSlug},
           {"tags", owned_tags(refs)}}};
}

std::vector<DesiredObject> desired_roles(const References& refs) {
  auto role = [&](const char* name, const char* slug, const char* color, bool vm_role) {
    return DesiredObject{slug,
                         {{"name", name},
                          {"slug", slug},
                          {"color", color},
                          {"vm_role", vm_role},
                          {"tags", owned_tags(refs)}}};
  };
  return {role("Proxmox Node", kNodeRoleSlug, "00bcd4", false),
          role("Virtual Machine (QEMU)", kQemuRoleSlug, "4caf50", true),
          role("Container (LXC)", kLxcRoleSlug, "2196f3", true)};
}

std::vector<DesiredObject> desired_sites(const std::vector<EndpointSnapshot>& endpoints,
                                         const References& refs) {
  std::vector<DesiredObject> sites;
  std::set<std::string> seen;
  for (const auto& endpoint : endpoints) {
    const std::string name = site_name_for(endpoint);
    const std::string slug = slugify(name);
    if (!seen.insert(slug).second) continue;
    json::object fields{{"name", name}, {"slug", slug}, {"tags", owned_tags(refs)}};
    if (endpoint.tenant_id) fields["tenant"] = *endpoint.tenant_id;
    sites.push_back({slug, std::move(fields)});
  }
  return sites;
}

std::vector<DesiredObject> desired_clusters(const std::vector<EndpointSnapshot>& endpoints,
                                            const References& refs, const MappingContext& context) {
  std::vector<DesiredObject> clusters;
  std::set<std::string> seen;
  for (const auto& endpoint : endpoints) {
    const auto& snapshot = endpoint.snapshot;
    if (!seen.insert(snapshot.cluster_name).second) continue;
    const int64_t site = lookup(refs.sites, slugify(site_name_for(endpoint)));
    json::object fields{
        {"name", snapshot.cluster_name},
        {"type",
         id_or_null(lookup(refs.cluster_types, slugify(cluster_type_name(snapshot.cluster_mode))))},
        {"status", "active"},
        {"tags", owned_tags(refs)}};
    // NetBox 4.2 replaced the cluster's site with a generic scope.
    if (context.version.at_least(4, 2)) {
      fields["scope_type"] = "dcim.site";
      fields["scope_id"] = id_or_null(site);
    } else {
      fields["site"] = id_or_null(site);
    }
    if (endpoint.tenant_id) fields["tenant"] = *endpoint.tenant_id;
    clusters.push_back({snapshot.cluster_name, std::move(fields)});
  }
  return clusters;
}

std::vector<DesiredObject> desired_devices(const std::vector<EndpointSnapshot>& endpoints,
                                           const References& refs) {
  std::vector<DesiredObject> devices;
  for (const auto& endpoint : endpoints) {
    const auto& snapshot = endpoint.snapshot;
    const int64_t site = lookup(refs.sites, slugify(site_name_for(endpoint)));
    const int64_t cluster = lookup(refs.clusters, snapshot.cluster_name);
    for (const auto& node : snapshot.nodes) {
      json::object fields{{"name", node.name},
                          {"device_type", id_or_null(refs.device_type)},
                          {"role", id_or_null(refs.node_role)},
                          {"site", id_or_null(site)},
                          {"cluster", id_or_null(cluster)},
                          {"status", node.online ? "active" : "offline"},
                          {"tags", owned_tags(refs)},
                          {"custom_fields", json::object{{"proxmox_cluster", snapshot.cluster_name},
                                                         {"proxmox_node", node.name}}}};
      if (endpoint.tenant_id) fields["tenant"] = *endpoint.tenant_id;
      devices.push_back({device_key(snapshot.cluster_name, node.name), std::move(fields)});
    }
  }
  return devices;
}

Mapped desired_vms(const std::vector<EndpointSnapshot>& endpoints, const References& refs,
                   const MappingContext& context) {
  Mapped mapped;
  std::vector<DesiredObject>& vms = mapped.objects;
  std::vector<MappingError>& errors = mapped.errors;
  const bool disk_in_mb = context.version.at_least(4, 1);
  for (const auto& endpoint : endpoints) {
    const auto& snapshot = endpoint.snapshot;
    const int64_t cluster = lookup(refs.clusters, snapshot.cluster_name);
    std::set<std::string> node_names;
    for (const auto& node : snapshot.nodes)
      node_names.insert(node.name);
    std::set<std::string> names_in_cluster;  // NetBox: VM names unique per cluster
    for (const auto& guest : snapshot.guests) {
      const std::string label =
          guest.type + "/" + std::to_string(guest.vmid) + " (" + guest.name + ")";
      auto fail = [&](std::string message) {
        errors.push_back({snapshot.endpoint_name, label, std::move(message)});
      };
      if (guest.config_error) {
        fail("configuration unreadable, its virtual machine is kept in NetBox as it is: " +
             *guest.config_error);
        continue;
      }
      if (guest.vmid <= 0) {
        fail("invalid vmid");
        continue;
      }
      if (guest.name.empty() || guest.name.size() > 64) {
        fail("name must be 1 to 64 characters");
        continue;
      }
      if (!node_names.count(guest.node)) {
        fail("runs on unknown node '" + guest.node + "'");
        continue;
      }
      const std::string lower_name = common::to_lower(guest.name);
      if (!names_in_cluster.insert(lower_name).second) {
        fail("another guest in cluster " + snapshot.cluster_name + " has the same name");
        continue;
      }
      const int64_t bytes_per_unit = disk_in_mb ? (1LL << 20) : (1LL << 30);
      json::object custom_fields{{"proxmox_vm_id", guest.vmid},
                                 {"proxmox_vm_type", guest.type},
                                 {"proxmox_node", guest.node},
                                 {"proxmox_cluster", snapshot.cluster_name},
                                 {"proxmox_status", guest.status},
                                 {"proxmox_start_at_boot", guest.onboot},
                                 {"proxmox_qemu_agent", guest.agent},
                                 {"proxmox_unprivileged_container", guest.unprivileged},
                                 {kLastUpdatedField, context.now_iso}};
      json::object fields{
          {"name", guest.name},
          {"status", netbox_vm_status(guest.status)},
          {"cluster", id_or_null(cluster)},
          {"device",
           id_or_null(lookup(refs.devices, device_key(snapshot.cluster_name, guest.node)))},
          {"role", id_or_null(guest.type == "lxc" ? refs.lxc_role : refs.qemu_role)},
          {"vcpus", guest.vcpus},
          {"memory", guest.memory_bytes >> 20},
          {"disk", guest.disk_bytes > 0 ? json::value(guest.disk_bytes / bytes_per_unit)
                                        : json::value(nullptr)},
          {"tags", owned_tags(refs)},
          {"custom_fields", std::move(custom_fields)}};
      // Proxmox tags beside proxbox's own, and the guest's notes (NetBox allows 200 characters).
      for (const auto& tag : guest.tags) {
        const int64_t id = lookup(refs.guest_tags, slugify(tag));
        if (id > 0) fields["tags"].as_array().push_back(id);
      }
      fields["description"] = netbox_description(guest.description);
      // With virtual disks NetBox makes `disk` their sum (read-only): the disks stage writes them.
      if (!guest.devices.disks.empty()) fields.erase("disk");
      if (endpoint.tenant_id) fields["tenant"] = *endpoint.tenant_id;
      vms.push_back({vm_key(snapshot.cluster_name, guest.type, guest.vmid), std::move(fields)});
    }
  }
  return mapped;
}

Mapped desired_backups(const std::vector<EndpointSnapshot>& endpoints, const References& refs) {
  Mapped mapped;
  std::vector<DesiredObject>& backups = mapped.objects;
  std::vector<MappingError>& errors = mapped.errors;
  for (const auto& endpoint : endpoints) {
    const auto& snapshot = endpoint.snapshot;
    std::unordered_map<int, const ProxmoxGuest*> guests;
    for (const auto& guest : snapshot.guests)
      guests.emplace(guest.vmid, &guest);
    std::set<std::string> seen;
    // Guest label → backups skipped because the guest has no virtual machine in NetBox (yet):
    // one error per guest, not one per backup.
    std::map<std::string, size_t> without_vm;
    for (const auto& backup : snapshot.backups) {
      const auto guest = guests.find(backup.vmid);
      // Backups of guests that no longer exist have nothing to link to in NetBox.
      if (guest == guests.end()) continue;
      const std::string type = guest->second->type;
      const std::string key = vm_key(snapshot.cluster_name, type, backup.vmid);
      const int64_t vm = lookup(refs.vms, key);
      if (vm <= 0 && refs.vms.count(key) == 0) {
        without_vm[type + "/" + std::to_string(backup.vmid) + " (" + guest->second->name + ")"]++;
        continue;
      }
      if (!seen.insert(backup.volid).second) continue;
      json::object fields{
          {"storage", backup.storage},
          {"virtual_machine", vm},
          {"subtype", backup.subtype.empty() ? type : backup.subtype},
          {"format", backup_format(backup.format)},
          {"creation_time", common::utc_iso8601(static_cast<std::time_t>(backup.ctime))},
          {"size", backup.size},
          {"notes", backup.notes},
          {"volume_id", backup.volid},
          {"vmid", backup.vmid},
          {"tags", owned_tags(refs)}};
      if (!backup.verification_state.empty()) {
        fields["verification_state"] = backup.verification_state;
      }
      backups.push_back({backup_key(vm, backup.volid), std::move(fields)});
    }
    for (const auto& [label, count] : without_vm) {
      errors.push_back({snapshot.endpoint_name, label,
                        std::to_string(count) + (count == 1 ? " backup" : " backups") +
                            " skipped: the virtual machine is not in NetBox yet; sync virtual "
                            "machines first (/virtualization/virtual-machines/create or "
                            "/full-update)"});
    }
  }
  return mapped;
}

}  // namespace pbx::sync
