#pragma once
// Proxmox snapshot → the NetBox objects the sync owns, in NetBox's write form. Pure functions:
// the ids of objects a layer refers to come in as arguments (the engine resolves them layer by
// layer), so the mapping never does I/O.

#include <boost/json/object.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sync/custom_fields.hpp"  // custom_field_definitions()
#include "sync/diff.hpp"
#include "sync/netbox_client.hpp"
#include "sync/snapshot.hpp"

namespace pbx::sync {

inline constexpr const char* kTagSlug = "proxbox";
inline constexpr const char* kManufacturerSlug = "proxmox";
inline constexpr const char* kDeviceTypeSlug = "proxmox-generic-device";
inline constexpr const char* kNodeRoleSlug = "proxmox-node";
inline constexpr const char* kQemuRoleSlug = "virtual-machine-qemu";
inline constexpr const char* kLxcRoleSlug = "container-lxc";
inline constexpr const char* kLastUpdatedField = "proxmox_last_updated";

boost::json::object tag_definition();

// Lower-case, spaces → '-', only [a-z0-9_-] kept (NetBox slug rules).
std::string slugify(std::string_view text);
// running → active; stopped, paused → offline (as the reference); anything else → active.
std::string netbox_vm_status(std::string_view proxmox_status);
std::string default_site_name(std::string_view cluster_name);
// Proxmox backup format ("tar.zst", "pbs-vm", ...) → the plugin's format choice.
std::string backup_format(std::string_view proxmox_format);
std::string cluster_type_name(std::string_view mode);  // "cluster" → "Cluster"

// One Proxmox endpoint with the placement its configuration asks for.
struct EndpointSnapshot {
  ProxmoxSnapshot snapshot;
  std::string site_name;  // empty: "Proxmox Default Site - <cluster>"
  std::optional<int64_t> tenant_id;
};

std::string site_name_for(const EndpointSnapshot& endpoint);

// Keys that identify objects across runs.
std::string slug_key(const boost::json::object& netbox_object);
std::string device_key(std::string_view cluster, std::string_view node);
std::string vm_key(std::string_view cluster, std::string_view type, int vmid);
std::string backup_key(int64_t vm_id, std::string_view volid);
// The same keys derived from NetBox read objects.
std::string current_device_key(const boost::json::object& device);
std::string current_vm_key(const boost::json::object& vm);
std::string current_backup_key(const boost::json::object& backup);
std::string current_cluster_key(const boost::json::object& cluster);

// Ids the deeper layers need; 0 marks an object that does not exist yet (dry run).
struct References {
  int64_t tag = 0;
  int64_t manufacturer = 0;
  int64_t device_type = 0;
  int64_t node_role = 0;
  int64_t qemu_role = 0;
  int64_t lxc_role = 0;
  std::map<std::string, int64_t> cluster_types;  // by slug
  std::map<std::string, int64_t> sites;          // by slug
  std::map<std::string, int64_t> clusters;       // by name
  std::map<std::string, int64_t> devices;        // by device_key
  std::map<std::string, int64_t> vms;            // by vm_key (0: to be created, dry run)
  std::map<std::string, int64_t> guest_tags;     // Proxmox tags by slug (guest_tags.hpp)
};

// The objects at `path` matching `filters` that carry the proxbox tag. None when the tag does not
// exist yet (refs.tag 0: a dry run on a NetBox the sync never wrote): nothing can carry it, and
// NetBox refuses a filter on a tag it does not know (400 "Select a valid choice").
std::vector<boost::json::object> list_tagged(NetBoxClient& netbox, const References& refs,
                                             const std::string& path, http::Params filters);

struct MappingError {
  std::string endpoint;
  std::string object;  // "qemu/101 (web1)"
  std::string message;
};

// What a mapping produced, and the guests or backups it could not map (each reported by the
// caller; the rest is still synced). A partial success, so both are returned, not a Result.
struct Mapped {
  std::vector<DesiredObject> objects;
  std::vector<MappingError> errors;
};

struct MappingContext {
  NetBoxVersion version;
  std::string now_iso;  // proxmox_last_updated value
};

std::vector<DesiredObject> desired_cluster_types(const std::vector<EndpointSnapshot>& endpoints,
                                                 const References& refs);
DesiredObject desired_manufacturer(const References& refs);
DesiredObject desired_device_type(const References& refs);
std::vector<DesiredObject> desired_roles(const References& refs);
std::vector<DesiredObject> desired_sites(const std::vector<EndpointSnapshot>& endpoints,
                                         const References& refs);
std::vector<DesiredObject> desired_clusters(const std::vector<EndpointSnapshot>& endpoints,
                                            const References& refs, const MappingContext& context);
std::vector<DesiredObject> desired_devices(const std::vector<EndpointSnapshot>& endpoints,
                                           const References& refs);
Mapped desired_vms(const std::vector<EndpointSnapshot>& endpoints, const References& refs,
                   const MappingContext& context);
Mapped desired_backups(const std::vector<EndpointSnapshot>& endpoints, const References& refs);

}  // namespace pbx::sync
