// NetBox dcim app: sites, manufacturers, device types and roles, platforms, devices, interfaces,
// MAC addresses.

#include <set>

#include "netbox/model_rules.hpp"
#include "netbox/models/declare.hpp"
#include "netbox/rendering.hpp"
#include "netbox/store.hpp"
#include "netbox/values.hpp"

namespace pbx::netbox::models {

namespace {

std::vector<Choice> site_status() {
  return {{"planned", "Planned"},
          {"staging", "Staging"},
          {"active", "Active"},
          {"decommissioning", "Decommissioning"},
          {"retired", "Retired"}};
}
std::vector<Choice> device_status() {
  return {{"offline", "Offline"},
          {"active", "Active"},
          {"planned", "Planned"},
          {"staged", "Staged"},
          {"failed", "Failed"},
          {"inventory", "Inventory"},
          {"decommissioning", "Decommissioning"}};
}
std::vector<Choice> interface_types() {
  return {{"virtual", "Virtual"},
          {"bridge", "Bridge"},
          {"lag", "Link Aggregation Group (LAG)"},
          {"100base-tx", "100BASE-TX (10/100ME)"},
          {"1000base-t", "1000BASE-T (1GE)"},
          {"2.5gbase-t", "2.5GBASE-T (2.5GE)"},
          {"5gbase-t", "5GBASE-T (5GE)"},
          {"10gbase-t", "10GBASE-T (10GE)"},
          {"10gbase-x-sfpp", "SFP+ (10GE)"},
          {"25gbase-x-sfp28", "SFP28 (25GE)"},
          {"40gbase-x-qsfpp", "QSFP+ (40GE)"},
          {"100gbase-x-qsfp28", "QSFP28 (100GE)"},
          {"other", "Other"}};
}

// --- rules (NetBox's Interface, Device and MACAddress clean()) ---------------------------------

bool is_true(const json::object& data, std::string_view name) {
  const json::value* value = data.if_contains(name);
  return value && value->is_bool() && value->get_bool();
}

void clean_interface(CleanContext& clean) {
  if (check_primary_mac_address(clean)) return;
  const json::object& data = clean.data;
  const std::string type = text_field(data, "type");
  const bool is_virtual = type == "virtual" || type == "bridge" || type == "lag";
  if (is_virtual && is_true(data, "mark_connected")) {
    for (const Choice& choice : interface_types()) {
      if (choice.value == type) {
        clean.fail("mark_connected", choice.label + " interfaces cannot be marked as connected.");
        return;
      }
    }
  }
  const int64_t parent = int_field(data, "parent");
  if (parent && clean.id && parent == *clean.id) {
    clean.fail("parent", "An interface cannot be its own parent.");
    return;
  }
  if (parent && type != "virtual") {
    clean.fail("parent", "Only virtual interfaces may be assigned to a parent interface.");
    return;
  }
  if (check_interface_relation(clean, "parent", "An interface cannot be its own parent.", "parent",
                               "device", "device") ||
      check_interface_relation(clean, "bridge", "An interface cannot be bridged to itself.",
                               "bridge", "device", "device")) {
    return;
  }
  if (type == "virtual" && int_field(data, "lag")) {
    clean.fail("lag", "Virtual interfaces cannot have a parent LAG interface.");
    return;
  }
  if (check_interface_relation(clean, "lag", "A LAG interface cannot be its own parent.", "LAG",
                               "device", "device")) {
    return;
  }
  check_untagged_vlan(clean, "device", "device");
}

// Device.clean: primary IPs of their family on one of the device's interfaces (any interface
// while the device is being created: NetBox's vc_interfaces() is then unfiltered), the OOB IP
// likewise, and a cluster at the device's site.
void clean_device(CleanContext& clean) {
  for (const auto& [field, family] :
       {std::pair{"primary_ip4", 4}, std::pair{"primary_ip6", 6}, std::pair{"oob_ip", 0}}) {
    const auto ip = related_object(clean, field);
    if (!ip) continue;
    const std::string address = text_field(*ip, "address");
    if (family && ip_family(address) != family) {
      clean.fail(field, address + " is not an IPv" + std::to_string(family) + " address.");
      return;
    }
    if (!ip_on_interface_of(clean.request, *ip, "dcim.interface", "device", clean.id)) {
      clean.fail(field,
                 "The specified IP address (" + address + ") is not assigned to this device.");
      return;
    }
  }
  const auto cluster = related_object(clean, "cluster");
  if (cluster && text_field(*cluster, "scope_type") == "dcim.site") {
    const int64_t cluster_site = int_field(*cluster, "scope_id");
    if (cluster_site && cluster_site != int_field(clean.data, "site")) {
      clean.fail("cluster", "The assigned cluster belongs to a different site (" +
                                display_of(clean.request, "dcim.site", cluster_site) + ")");
    }
  }
}

// MACAddress.clean: the primary MAC of an interface stays on it (neither unassigned nor moved).
void clean_mac_address(CleanContext& clean) {
  if (!clean.id) return;
  const auto before = clean.request.store.get(clean.model, *clean.id);
  const std::string before_type = before ? text_field(*before, "assigned_object_type") : "";
  const int64_t before_id = before ? int_field(*before, "assigned_object_id") : 0;
  const Model* holder_model = Registry::instance().by_key(before_type);
  if (!holder_model || !before_id) return;
  const auto holder = clean.request.store.get(*holder_model, before_id);
  if (!holder || int_field(*holder, "primary_mac_address") != *clean.id) return;
  const std::string type = text_field(clean.data, "assigned_object_type");
  const int64_t id = int_field(clean.data, "assigned_object_id");
  if (type.empty() || !id) {
    clean.fail("__all__",
               "Cannot unassign MAC Address while it is designated as the primary MAC for an "
               "object");
  } else if (type != before_type || id != before_id) {
    clean.fail("__all__",
               "Cannot reassign MAC Address while it is designated as the primary MAC for an "
               "object");
  }
}

Model site_model() {
  Model m = organisational("dcim.site", "dcim/sites", "Site", "site");
  m.fields.insert(m.fields.begin() + 2, choice("status", site_status()).def("active"));
  m.fields.push_back(fk("region", "dcim.region").null());
  m.fields.push_back(fk("group", "dcim.sitegroup").null());
  m.fields.push_back(fk("tenant", "tenancy.tenant", OnDelete::Protect).null());
  m.fields.push_back(str("facility", 50));
  m.fields.push_back(str("time_zone").null());
  m.fields.push_back(str("physical_address", 200));
  m.fields.push_back(str("shipping_address", 200));
  m.fields.push_back(number("latitude").decimal(8, 6).null());
  m.fields.push_back(number("longitude").decimal(9, 6).null());
  m.fields.push_back(comments());
  m.fields.push_back(count("device_count", "dcim.device", "site"));
  m.fields.push_back(count("virtualmachine_count", "virtualization.virtualmachine", "site"));
  m.fields.push_back(count("vlan_count", "ipam.vlan", "site"));
  m.fields.push_back(constant("circuit_count", 0).annotation());
  m.fields.push_back(count("rack_count", "dcim.rack", "site"));
  m.fields.push_back(count("prefix_count", "ipam.prefix", "scope_id"));
  unmodelled(m, {}, {"asns"});  // ASNs (and their RIRs) are not emulated
  return m;
}

Model manufacturer_model() {
  Model m =
      organisational("dcim.manufacturer", "dcim/manufacturers", "Manufacturer", "manufacturer");
  m.fields.push_back(count("devicetype_count", "dcim.devicetype", "manufacturer"));
  m.fields.push_back(count("platform_count", "dcim.platform", "manufacturer"));
  m.fields.push_back(constant("inventoryitem_count", 0).annotation());
  m.fields.push_back(constant("moduletype_count", 0).annotation().from("4.5"));
  m.fields.push_back(comments().from("4.5"));
  m.brief.push_back("devicetype_count");
  m.brief_until = {{"devicetype_count", "4.4"}};  // 4.4.10's brief has none (4.3 not checked)
  return m;
}

Model devicetype_model() {
  Model m = base("dcim.devicetype", "dcim/device-types", "DeviceType", "device type");
  m.fields = {
      fk("manufacturer", "dcim.manufacturer", OnDelete::Protect).req(),
      fk("default_platform", "dcim.platform").null(),
      str("model", 100).req(),
      slug(),
      str("part_number", 50),
      number("u_height").decimal(4, 1).def(1.0),
      boolean("exclude_from_utilization", false),
      boolean("is_full_depth", true),
      number("weight").decimal(8, 2).null(),
      description(),
      comments(),
      // 4.5 made it a counter cache (dcim migration 0219).
      count("device_count", "dcim.device", "device_type").counter_from_version("4.5"),
  };
  for (const char* name :
       {"console_port_template_count", "console_server_port_template_count",
        "power_port_template_count", "power_outlet_template_count", "interface_template_count",
        "front_port_template_count", "rear_port_template_count", "device_bay_template_count",
        "module_bay_template_count", "inventory_item_template_count"}) {
    m.fields.push_back(constant(name, 0));
  }
  m.brief = {"id",    "url",  "display",     "manufacturer",
             "model", "slug", "description", "device_count"};
  m.unique = {
      {{"manufacturer", "model"},
       false,
       {},
       "__all__",
       "Device type with this Manufacturer and Model already exists.",
       "",
       ""},
      {{"manufacturer", "slug"},
       false,
       {},
       "__all__",
       "Device type with this Manufacturer and Slug already exists.",
       "",
       ""},
  };
  m.display = "{model}";
  m.search = {"model", "slug", "part_number", "description"};
  unmodelled(m, {"subdevice_role", "airflow", "weight_unit", "front_image", "rear_image"});
  m.ordering = "model";
  return m;
}

// A device role's level in its tree (4.3 nests roles): MPTT's `_depth`.
json::value role_depth(RequestContext& context, int64_t id, const json::object& data) {
  const Model& roles = *Registry::instance().by_key("dcim.devicerole");
  std::set<int64_t> seen{id};
  int64_t depth = 0;
  for (int64_t parent = int_field(data, "parent"); parent && seen.insert(parent).second;) {
    ++depth;
    const auto row = context.store.get(roles, parent);
    parent = row ? int_field(*row, "parent") : 0;
  }
  return depth;
}

Model devicerole_model() {
  Model m = organisational("dcim.devicerole", "dcim/device-roles", "DeviceRole", "device role");
  m.fields.push_back(str("color", 6).def("9e9e9e"));
  m.fields.push_back(boolean("vm_role", true));
  m.fields.push_back(fk("parent", "dcim.devicerole", OnDelete::Cascade).null().from("4.3"));
  m.fields.push_back(comments().from("4.3"));
  m.fields.push_back(computed("_depth", role_depth).from("4.3"));
  // 4.3 nested roles: IntegerField(default=0), 0 where the list's annotation is absent.
  m.fields.push_back(count("device_count", "dcim.device", "role").unannotated(0, "4.3"));
  m.fields.push_back(
      count("virtualmachine_count", "virtualization.virtualmachine", "role").unannotated(0, "4.3"));
  m.brief.push_back("device_count");
  m.brief.push_back("virtualmachine_count");
  m.brief.push_back("_depth");
  unmodelled(m, {"config_template"});
  return m;
}

Model platform_model() {
  Model m = organisational("dcim.platform", "dcim/platforms", "Platform", "platform");
  m.fields.push_back(fk("manufacturer", "dcim.manufacturer", OnDelete::Protect).null());
  // 4.4: names and slugs are unique per manufacturer (and among platforms without one).
  m.unique = {
      {{"name"}, false, {}, "name", "platform with this name already exists.", "", "4.4"},
      {{"slug"}, false, {}, "slug", "platform with this slug already exists.", "", "4.4"},
      {{"manufacturer", "name"},
       false,
       {},
       "__all__",
       "Platform with this Manufacturer and Name already exists.",
       "4.4",
       ""},
      {{"name"}, false, {"manufacturer"}, "__all__", "Platform name must be unique.", "4.4", ""},
      {{"manufacturer", "slug"},
       false,
       {},
       "__all__",
       "Platform with this Manufacturer and Slug already exists.",
       "4.4",
       ""},
      {{"slug"}, false, {"manufacturer"}, "__all__", "Platform slug must be unique.", "4.4", ""},
  };
  m.fields.push_back(count("device_count", "dcim.device", "platform"));
  m.fields.push_back(count("virtualmachine_count", "virtualization.virtualmachine", "platform"));
  m.brief.push_back("device_count");
  m.brief.push_back("virtualmachine_count");
  unmodelled(m, {"config_template"});
  return m;
}

Model device_model() {
  Model m = base("dcim.device", "dcim/devices", "Device", "device");
  m.fields = {
      str("name", 64).null(),
      fk("device_type", "dcim.devicetype", OnDelete::Protect).req(),
      fk("role", "dcim.devicerole", OnDelete::Protect).req(),
      fk("tenant", "tenancy.tenant", OnDelete::Protect).null(),
      fk("platform", "dcim.platform").null(),
      str("serial", 50),
      str("asset_tag", 50).null(),
      fk("site", "dcim.site", OnDelete::Protect).req(),
      number("latitude").decimal(8, 6).null(),
      number("longitude").decimal(9, 6).null(),
      choice("status", device_status()).def("active"),
      fk("primary_ip4", "ipam.ipaddress").null(),
      fk("primary_ip6", "ipam.ipaddress").null(),
      fk("oob_ip", "ipam.ipaddress").null(),
      fk("cluster", "virtualization.cluster").null(),
      description(),
      comments(),
      make("local_context_data", FieldKind::Json).null(),
      count("interface_count", "dcim.interface", "device").counter(),
  };
  for (const char* name : {"console_port_count", "console_server_port_count", "power_port_count",
                           "power_outlet_count", "front_port_count", "rear_port_count",
                           "device_bay_count", "module_bay_count", "inventory_item_count"}) {
    m.fields.push_back(constant(name, 0));
  }
  m.brief = {"id", "url", "display", "name", "description"};
  m.unique = {
      {{"name", "site", "tenant"},
       true,
       {},
       "__all__",
       "Device name must be unique per site and tenant.",
       "",
       ""},
      {{"name", "site"},
       true,
       {"tenant"},
       "__all__",
       "Device name must be unique per site.",
       "",
       ""},
  };
  m.display_fallback = "Unnamed device";
  m.clean = clean_device;
  m.search = {"name", "serial", "asset_tag", "description"};
  m.fields.push_back(computed("primary_ip", render_primary_ip));
  m.fields.push_back(derived("config_context", render_config_context));
  m.fields.push_back(constant("parent_device", nullptr));  // device bays are not emulated
  m.ignored_on_write = {"config_context", "parent_device", "primary_ip"};
  unmodelled(m, {"location", "rack", "position", "face", "airflow", "virtual_chassis",
                 "vc_position", "vc_priority", "config_template"});
  return m;
}

Model interface_model() {
  Model m = base("dcim.interface", "dcim/interfaces", "Interface", "interface");
  m.fields = {
      fk("device", "dcim.device", OnDelete::Cascade).req(),
      name_field(64),
      str("label", 64),
      choice("type", interface_types()).req(),
      boolean("enabled", true),
      fk("parent", "dcim.interface").null(),
      fk("bridge", "dcim.interface").null(),
      fk("lag", "dcim.interface").null(),
      integer("mtu").between("1", "65536").null(),
      fk("primary_mac_address", "dcim.macaddress").null(),
      through("mac_address", "primary_mac_address", "mac_address"),
      positive_integer("speed").null(),
      boolean("mgmt_only", false),
      description(),
      choice("mode", interface_modes()).null(),
      fk("untagged_vlan", "ipam.vlan").null(),
      boolean("mark_connected", false),
      constant("cable_end", ""),
      constant("link_peers", json::array{}),
      constant("connected_endpoints_reachable", false),
      constant("_occupied", false),
      count("count_ipaddresses", "ipam.ipaddress", "assigned_object_id").counter(),
      constant("count_fhrp_groups", 0),
  };
  m.brief = {"id", "url", "display", "device", "name", "description", "_occupied"};
  m.unique = {{{"device", "name"},
               false,
               {},
               "__all__",
               "Interface with this Device and Name already exists.",
               "",
               ""}};
  m.search = {"name", "label", "description"};
  m.clean = clean_interface;
  m.fields.push_back(computed("mac_addresses", render_dcim_interface_macs));
  for (const char* name : {"cable", "connected_endpoints", "connected_endpoints_type",
                           "l2vpn_termination", "link_peers_type", "wireless_link"}) {
    m.fields.push_back(constant(name, nullptr));  // read-only in NetBox, unset here
  }
  m.ignored_on_write = {"cable",
                        "connected_endpoints",
                        "connected_endpoints_type",
                        "l2vpn_termination",
                        "link_peers_type",
                        "mac_addresses",
                        "wireless_link"};
  unmodelled(m,
             {"duplex", "module", "poe_mode", "poe_type", "qinq_svlan", "rf_channel",
              "rf_channel_frequency", "rf_channel_width", "rf_role", "tx_power",
              "vlan_translation_policy", "vrf", "wwn"},
             {"tagged_vlans", "vdcs", "wireless_lans"});
  return m;
}

Model macaddress_model() {
  Model m = base("dcim.macaddress", "dcim/mac-addresses", "MACAddress", "MAC address");
  m.fields = {
      make("mac_address", FieldKind::MacAddress).req(),
      content_type("assigned_object_type", kInterfaceTypes),
      make("assigned_object_id", FieldKind::GenericId).null(),
      generic_object("assigned_object", "assigned_object_type", "assigned_object_id"),
      description(),
      comments(),
  };
  m.brief = {"id", "url", "display", "mac_address", "description"};
  m.display = "{mac_address}";
  m.search = {"mac_address", "description"};
  m.ordering = "mac_address";
  m.since = "4.2";
  m.clean = clean_mac_address;
  return m;
}

}  // namespace

json::value render_primary_ip(RequestContext& context, int64_t, const json::object& data) {
  const int64_t address = int_field(data, "primary_ip6") ? int_field(data, "primary_ip6")
                                                         : int_field(data, "primary_ip4");
  if (!address) return nullptr;
  return nested(context, *Registry::instance().by_key("ipam.ipaddress"), address);
}

json::value render_config_context(const json::object& data) {
  const json::value* local = data.if_contains("local_context_data");
  return local && local->is_object() ? *local : json::value(json::object{});
}

namespace {

json::value interface_macs(RequestContext& context, std::string_view type, int64_t id) {
  const Model& macs = *Registry::instance().by_key("dcim.macaddress");
  Condition where;
  where.add(field_sql("assigned_object_type") + " = ?", {std::string(type)});
  where.add(field_sql("assigned_object_id") + " = ?", {id});
  json::array out;
  for (const StoredObject& row :
       context.store.select(macs, where, field_sql("mac_address") + ", id", -1, 0)) {
    out.push_back(nested(context, macs, row.id));
  }
  return out;
}

}  // namespace

json::value render_dcim_interface_macs(RequestContext& context, int64_t id, const json::object&) {
  return interface_macs(context, "dcim.interface", id);
}

json::value render_vm_interface_macs(RequestContext& context, int64_t id, const json::object&) {
  return interface_macs(context, "virtualization.vminterface", id);
}

void declare_dcim(std::vector<Model>& models) {
  models.push_back(site_model());
  models.push_back(manufacturer_model());
  models.push_back(devicetype_model());
  models.push_back(devicerole_model());
  models.push_back(platform_model());
  models.push_back(device_model());
  models.push_back(interface_model());
  models.push_back(macaddress_model());
}

}  // namespace pbx::netbox::models
