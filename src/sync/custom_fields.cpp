#include "sync/custom_fields.hpp"

#include <algorithm>
#include <map>

#include "sync/json_util.hpp"

namespace pbx::sync {
namespace json = boost::json;

namespace {

constexpr const char* kCustomFieldsPath = "/extras/custom-fields/";

// Object types upstream names, shortened for the table.
constexpr std::string_view kVm = "virtualization.virtualmachine";
constexpr std::string_view kDevice = "dcim.device";
constexpr std::string_view kInterface = "dcim.interface";
constexpr std::string_view kIp = "ipam.ipaddress";
constexpr std::string_view kVlan = "ipam.vlan";
constexpr std::string_view kCluster = "virtualization.cluster";
constexpr std::string_view kClusterGroup = "virtualization.clustergroup";

// Upstream's inventory (names, types, labels, descriptions, object types, visibility, weight,
// group), in its order.
const std::vector<CustomFieldDefinition> kFields{
    {"proxmox_vm_id",
     "integer",
     "VM ID",
     "Proxmox Virtual Machine or Container ID",
     {kVm},
     "always"},
    {"proxmox_vm_type", "text", "VM Type", "Proxmox VM type (qemu or lxc)", {kVm}, "always"},
    {"proxmox_start_at_boot",
     "boolean",
     "Start at Boot",
     "Proxmox Start at Boot Option",
     {kVm},
     "always"},
    {"proxmox_unprivileged_container",
     "boolean",
     "Unprivileged Container",
     "Proxmox Unprivileged Container",
     {kVm}},
    {"proxmox_qemu_agent", "boolean", "QEMU Guest Agent", "Proxmox QEMU Guest Agent", {kVm}},
    {"proxmox_search_domain", "text", "Search Domain", "Proxmox Search Domain", {kVm}},
    {"proxmox_link",
     "url",
     "Proxmox Link",
     "Link to Proxmox web interface",
     {kDevice, kVm},
     "always"},
    {"proxmox_node",
     "text",
     "Proxmox Node",
     "Proxmox node hosting this device/VM",
     {kDevice, kVm},
     "always"},
    {"proxmox_cluster",
     "text",
     "Proxmox Cluster",
     "Proxmox cluster name",
     {kDevice, kVm},
     "always"},
    {"proxmox_status", "text", "Proxmox Status", "Current status in Proxmox", {kVm}, "always"},
    {"proxmox_uptime", "integer", "Uptime (seconds)", "VM uptime in seconds", {kVm}},
    {"proxmox_tags", "text", "Proxmox Tags", "Comma-separated tags from Proxmox", {kDevice, kVm}},
    {"proxmox_os", "text", "Operating System", "Operating system from Proxmox", {kDevice, kVm}},
    {"proxmox_storage", "text", "Storage", "Storage disk size", {kDevice, kVm}},
    {"proxmox_disk", "text", "Disk (GB)", "Total disk size in GB", {kDevice, kVm}},
    {"proxmox_interfaces", "text", "Network Interfaces", "Network interface count", {kDevice, kVm}},
    {"proxmox_interface", "text", "Proxmox Interface", "Proxmox network interface name", {kIp}},
    {"proxmox_vmid", "text", "Proxmox VMID", "VM ID for reference", {kDevice, kVm}},
    {"proxmox_mac", "text", "Proxmox MAC", "MAC address from Proxmox", {kIp}},
    {"proxmox_notes", "text", "Proxmox Notes", "Notes from Proxmox", {kDevice, kVm}},
    {"proxmox_vlan_id", "integer", "Proxmox VLAN ID", "VLAN ID from Proxmox", {kVlan}},
    {"proxmox_cluster_name",
     "text",
     "Cluster Name",
     "Cluster name from Proxmox",
     {kCluster, kClusterGroup},
     "always"},
    {"proxmox_cluster_status",
     "text",
     "Cluster Status",
     "Cluster status from Proxmox",
     {kCluster, kClusterGroup},
     "always"},
    {"proxmox_tcp_states", "text", "TCP States", "TCP connection states", {kDevice, kVm}},
    {"proxmox_cpu_type", "text", "CPU Type", "CPU type from Proxmox", {kDevice, kVm}},
    {"proxmox_ip_addresses", "text", "IP Addresses", "All IP addresses from Proxmox", {kIp}},
    {"proxmox_cluster_id", "integer", "Cluster ID", "Proxmox cluster ID", {kCluster}, "always"},
    {"proxmox_storage_ids", "text", "Storage IDs", "Comma-separated storage IDs", {kDevice, kVm}},
    {"proxmox_storage_names",
     "text",
     "Storage Names",
     "Comma-separated storage names",
     {kDevice, kVm}},
    {"proxmox_device_names",
     "text",
     "Device Names",
     "Comma-separated device names",
     {kDevice, kVm}},
    {"proxmox_migration_duration",
     "integer",
     "Migration Duration",
     "Migration duration in seconds",
     {kVm}},
    {"proxmox_migration_type", "text", "Migration Type", "Migration type (live / offline)", {kVm}},
    {"proxbox_storage_id",
     "object",
     "Proxbox Storage",
     "Proxmox storage hosting this virtual disk",
     {"virtualization.virtualdisk"},
     "always",
     100,
     "Proxmox",
     "netbox_proxbox.proxmoxstorage"},
    {"proxbox_bridge",
     "object",
     "Proxbox Bridge",
     "Node-level bridge interface (vmbr) used by this VM interface",
     {"virtualization.vminterface"},
     "always",
     100,
     "Proxmox",
     "dcim.interface"},
    {"proxmox_last_updated",
     "datetime",
     "Last Updated",
     "Proxmox Plugin last modified this object",
     {kDevice, "dcim.devicerole", "dcim.devicetype", kInterface, "dcim.manufacturer", "dcim.site",
      kIp, kVlan, kCluster, "virtualization.clustertype", "virtualization.virtualdisk", kVm,
      "virtualization.vminterface"},
     "always",
     200},
    {"proxbox_last_run_id",
     "text",
     "Last Run ID",
     "UUID of the most recent Proxbox sync run that touched this object.",
     {kDevice, kCluster, kVm},
     "if-set",
     250,
     "Proxbox"},
    {"hardware_chassis_serial",
     "text",
     "Chassis Serial",
     "Chassis serial reported by dmidecode -t 3",
     {kDevice},
     "if-set",
     300},
    {"hardware_chassis_manufacturer",
     "text",
     "Chassis Manufacturer",
     "Chassis manufacturer reported by dmidecode -t 3",
     {kDevice},
     "if-set",
     300},
    {"hardware_chassis_product",
     "text",
     "Chassis Product",
     "System product name reported by dmidecode -t 1",
     {kDevice},
     "if-set",
     300},
    {"nic_speed_gbps",
     "integer",
     "NIC Speed (Gbps)",
     "Negotiated link speed reported by ethtool, in Gbps",
     {kInterface},
     "if-set",
     300},
    {"nic_duplex",
     "text",
     "NIC Duplex",
     "Duplex mode reported by ethtool",
     {kInterface},
     "if-set",
     300},
    {"nic_link",
     "boolean",
     "NIC Link Up",
     "Link-detected status reported by ethtool",
     {kInterface},
     "if-set",
     300},
    {"proxmox_endpoint_id",
     "integer",
     "Proxmox Endpoint ID",
     "proxbox-api ProxmoxEndpoint database ID for console access",
     {kVm}},
};

// A choice NetBox reads back as {"value", "label"}; a plain value as itself.
json::value read_value(const json::value* value) {
  if (!value) return nullptr;
  if (value->is_object()) {
    if (const auto* inner = value->as_object().if_contains("value")) return *inner;
  }
  return *value;
}

json::array object_types_of(const CustomFieldDefinition& definition) {
  json::array types;
  for (const auto type : definition.object_types)
    types.push_back(json::string(type));
  return types;
}

// The attributes of `current` that differ from `wanted` (both NetBox CustomField objects), as a
// PATCH body without the id. Object types: ours must all be there; an operator's extras stay.
json::object difference(const json::object& wanted, const json::object& current) {
  json::object patch;
  for (const auto& [name, value] : wanted) {
    if (name == "name") continue;
    const json::value have = read_value(current.if_contains(name));
    if (name == "object_types") {
      if (auto merged = merged_object_types(wanted, current)) patch[name] = std::move(*merged);
    } else if (have != value) {
      patch[name] = value;
    }
  }
  return patch;
}

json::array string_array(const std::vector<std::string>& items) {
  json::array array;
  for (const auto& item : items)
    array.push_back(json::string(item));
  return array;
}

}  // namespace

std::optional<json::array> merged_object_types(const json::object& wanted,
                                               const json::object& current) {
  const json::value have = read_value(current.if_contains("object_types"));
  json::array merged = have.is_array() ? have.as_array() : json::array{};
  bool missing = false;
  if (const auto* ours = wanted.if_contains("object_types"); ours && ours->is_array()) {
    for (const auto& type : ours->as_array()) {
      if (std::find(merged.begin(), merged.end(), type) == merged.end()) {
        merged.push_back(type);
        missing = true;
      }
    }
  }
  if (!missing) return std::nullopt;
  return merged;
}

std::span<const CustomFieldDefinition> custom_field_set() {
  return kFields;
}

json::object to_netbox(const CustomFieldDefinition& definition) {
  json::object object{{"name", definition.name},
                      {"type", definition.type},
                      {"label", definition.label},
                      {"description", definition.description},
                      {"object_types", object_types_of(definition)},
                      {"ui_visible", definition.ui_visible},
                      {"ui_editable", "hidden"},
                      {"weight", definition.weight},
                      {"filter_logic", "loose"},
                      {"search_weight", 1000},
                      {"group_name", definition.group_name}};
  if (!definition.related_object_type.empty())
    object["related_object_type"] = definition.related_object_type;
  return object;
}

bool needs_proxbox_plugin(const CustomFieldDefinition& definition) {
  const auto of_plugin = [](std::string_view type) {
    const std::string_view plugin = kProxboxPluginName;
    return type.starts_with(plugin) && type.substr(plugin.size()).starts_with('.');
  };
  return of_plugin(definition.related_object_type) ||
         std::any_of(definition.object_types.begin(), definition.object_types.end(), of_plugin);
}

std::vector<CustomFieldDefinition> custom_fields_for(const NetBoxStatus& status) {
  std::vector<CustomFieldDefinition> fields;
  for (const auto& definition : custom_field_set()) {
    if (status.proxbox_plugin || !needs_proxbox_plugin(definition)) fields.push_back(definition);
  }
  return fields;
}

std::vector<json::object> custom_field_definitions(const NetBoxStatus& status) {
  std::vector<json::object> objects;
  for (const auto& definition : custom_fields_for(status))
    objects.push_back(to_netbox(definition));
  return objects;
}

json::object CustomFieldReport::to_json() const {
  return json::object{{"complete", complete()},
                      {"expected", expected},
                      {"left_out_without_plugin", string_array(left_out)},
                      {"present", string_array(present)},
                      {"missing", string_array(missing)},
                      {"different", string_array(different)},
                      {"created", string_array(created)},
                      {"updated", string_array(updated)}};
}

std::vector<json::object> read_custom_fields(NetBoxClient& netbox, const NetBoxStatus& status) {
  http::Params filters;
  for (const auto& definition : custom_fields_for(status))
    filters.emplace_back("name", std::string(definition.name));
  return netbox.list(kCustomFieldsPath, filters);
}

std::vector<CustomFieldState> compare_custom_fields(const NetBoxStatus& status,
                                                    const std::vector<json::object>& current) {
  std::map<std::string, const json::object*, std::less<>> by_name;
  for (const auto& object : current)
    by_name.emplace(json_string(field(object, "name")), &object);
  std::vector<CustomFieldState> states;
  for (const auto& definition : custom_fields_for(status)) {
    CustomFieldState state{definition, to_netbox(definition)};
    if (const auto found = by_name.find(definition.name); found != by_name.end()) {
      state.current = found->second;
      state.patch = difference(state.wanted, *state.current);
    }
    states.push_back(std::move(state));
  }
  return states;
}

CustomFieldReport check_custom_fields(NetBoxClient& netbox, const NetBoxStatus& status) {
  const auto current = read_custom_fields(netbox, status);
  CustomFieldReport report;
  for (const auto& definition : custom_field_set()) {
    if (!status.proxbox_plugin && needs_proxbox_plugin(definition))
      report.left_out.emplace_back(definition.name);
  }
  for (const auto& state : compare_custom_fields(status, current)) {
    ++report.expected;
    const std::string name(state.definition.name);
    if (!state.current) {
      report.missing.push_back(name);
    } else if (state.patch.empty()) {
      report.present.push_back(name);
    } else {
      for (const auto& [attribute, value] : state.patch)
        report.different.push_back(name + ": " + std::string(attribute));
    }
  }
  return report;
}

CustomFieldReport reconcile_custom_fields(NetBoxClient& netbox, const NetBoxStatus& status) {
  const auto current = read_custom_fields(netbox, status);
  std::vector<json::object> creates, patches;
  CustomFieldReport written;
  for (auto& state : compare_custom_fields(status, current)) {
    const std::string name(state.definition.name);
    if (!state.current) {
      creates.push_back(std::move(state.wanted));
      written.created.push_back(name);
    } else if (!state.patch.empty()) {
      state.patch["id"] = state.current->at("id");
      patches.push_back(std::move(state.patch));
      written.updated.push_back(name);
    }
  }
  if (!creates.empty()) netbox.create(kCustomFieldsPath, creates);
  if (!patches.empty()) netbox.update(kCustomFieldsPath, patches);
  CustomFieldReport report = check_custom_fields(netbox, status);
  report.created = std::move(written.created);
  report.updated = std::move(written.updated);
  return report;
}

}  // namespace pbx::sync
