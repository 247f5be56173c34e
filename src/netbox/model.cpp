#include "netbox/model.hpp"

#include <algorithm>
#include <charconv>

namespace pbx::netbox {
namespace {

namespace json = boost::json;

Field make(std::string name, FieldKind kind) {
  Field field;
  field.name = std::move(name);
  field.kind = kind;
  return field;
}
Field str(std::string name, size_t max_length = 0) {
  Field field = make(std::move(name), FieldKind::String);
  field.max_length = max_length;
  return field;
}
Field name_field(size_t max_length) {
  return str("name", max_length).req();
}
Field slug() {
  Field field = make("slug", FieldKind::Slug);
  field.max_length = 100;
  return field.req();
}
Field description() {
  return str("description", 200);
}
Field comments() {
  return str("comments");
}
Field integer(std::string name) {
  return make(std::move(name), FieldKind::Integer);
}
Field number(std::string name) {
  return make(std::move(name), FieldKind::Number);
}
Field boolean(std::string name, bool value) {
  return make(std::move(name), FieldKind::Boolean).def(value);
}
Field choice(std::string name, std::vector<Choice> choices) {
  Field field = make(std::move(name), FieldKind::Choice);
  field.choices = std::move(choices);
  return field;
}
Field fk(std::string name, std::string related, OnDelete on_delete = OnDelete::SetNull) {
  Field field = make(std::move(name), FieldKind::ForeignKey);
  field.related = std::move(related);
  field.on_delete = on_delete;
  return field;
}
Field count(std::string name, std::string related, std::string via) {
  Field field = make(std::move(name), FieldKind::Count);
  field.related = std::move(related);
  field.via = std::move(via);
  field.read_only = true;
  return field;
}
Field total(std::string name, std::string related, std::string via, std::string summed) {
  Field field = count(std::move(name), std::move(related), std::move(via));
  field.kind = FieldKind::Total;
  field.summed = std::move(summed);
  return field;
}
Field constant(std::string name, json::value value) {
  Field field = make(std::move(name), FieldKind::Constant);
  field.default_value = std::move(value);
  field.read_only = true;
  return field;
}
Field content_type(std::string name, std::vector<std::string> allowed) {
  Field field = make(std::move(name), FieldKind::ContentType).null();
  field.allowed_types = std::move(allowed);
  return field;
}
Field generic_object(std::string name, std::string type_field, std::string id_field) {
  Field field = make(std::move(name), FieldKind::GenericObject);
  field.related = std::move(type_field);
  field.via = std::move(id_field);
  field.read_only = true;
  return field;
}
Field family(std::string address_field) {
  Field field = make("family", FieldKind::IpFamily);
  field.via = std::move(address_field);
  field.read_only = true;
  return field;
}
Field datetime(std::string name) {
  return make(std::move(name), FieldKind::DateTime).null();
}

UniqueRule unique_field(const std::string& verbose, const std::string& field) {
  return {{field}, false, {}, field, verbose + " with this " + field + " already exists.", "", ""};
}

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
std::vector<Choice> vm_status() {
  return {{"offline", "Offline"}, {"active", "Active"}, {"planned", "Planned"},
          {"staged", "Staged"},   {"failed", "Failed"}, {"decommissioning", "Decommissioning"}};
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

// Name/slug/description organisational models (Site-like) share this skeleton.
Model organisational(std::string key, std::string path, std::string class_name,
                     std::string verbose) {
  Model model;
  model.key = std::move(key);
  model.path = std::move(path);
  model.class_name = std::move(class_name);
  model.verbose = std::move(verbose);
  model.fields = {name_field(100), slug(), description()};
  model.brief = {"id", "url", "display", "name", "slug", "description"};
  model.unique = {unique_field(model.verbose, "name"), unique_field(model.verbose, "slug")};
  model.display = "{name}";
  model.search = {"name", "slug", "description"};
  model.ordering = "name";
  return model;
}

Model base(std::string key, std::string path, std::string class_name, std::string verbose) {
  Model model;
  model.key = std::move(key);
  model.path = std::move(path);
  model.class_name = std::move(class_name);
  model.verbose = std::move(verbose);
  model.display = "{name}";
  model.search = {"name", "description"};
  model.ordering = "name";
  return model;
}

const std::vector<std::string> kInterfaceTypes = {"dcim.interface", "virtualization.vminterface"};

std::vector<Model> declare_models() {
  std::vector<Model> models;

  // --- tenancy / extras -----------------------------------------------------------------
  {
    Model m = organisational("tenancy.tenant", "tenancy/tenants", "Tenant", "tenant");
    m.fields.push_back(comments());
    m.fields.push_back(count("device_count", "dcim.device", "tenant"));
    m.fields.push_back(count("virtualmachine_count", "virtualization.virtualmachine", "tenant"));
    m.fields.push_back(count("site_count", "dcim.site", "tenant"));
    m.fields.push_back(count("cluster_count", "virtualization.cluster", "tenant"));
    m.fields.push_back(count("ipaddress_count", "ipam.ipaddress", "tenant"));
    m.fields.push_back(count("prefix_count", "ipam.prefix", "tenant"));
    m.fields.push_back(count("vlan_count", "ipam.vlan", "tenant"));
    m.ignored_on_write = {"circuit_count", "rack_count", "vrf_count"};
    m.not_emulated = {"group"};
    models.push_back(std::move(m));
  }
  {
    Model m = organisational("extras.tag", "extras/tags", "Tag", "tag");
    m.fields.push_back(str("color", 6).def("9e9e9e"));
    m.fields.push_back(make("object_types", FieldKind::StringList).def(json::array{}));
    m.fields.push_back(constant("tagged_items", 0));
    m.fields.push_back(integer("weight").def(1000).from("4.3"));
    m.brief = {"id", "url", "display_url", "display", "name", "slug", "color", "description"};
    m.tags = false;
    m.custom_fields = false;
    models.push_back(std::move(m));
  }
  {
    // NetBox >= 4.0: select and multiselect custom fields take their choices from a set.
    Model m = base("extras.customfieldchoiceset", "extras/custom-field-choice-sets",
                   "CustomFieldChoiceSet", "custom field choice set");
    m.fields = {
        name_field(100),
        description(),
        choice("base_choices", {{"IATA", "IATA (Airport codes)"},
                                {"ISO_3166", "ISO 3166 (Country codes)"},
                                {"UN_LOCODE", "UN/LOCODE (Location codes)"}})
            .null(),
        make("extra_choices", FieldKind::Json).req(),
        boolean("order_alphabetically", false),
        constant("choices_count", 0),
    };
    m.brief = {"id", "url", "display", "name", "description", "choices_count"};
    m.unique = {unique_field("custom field choice set", "name")};
    m.tags = false;
    m.custom_fields = false;
    models.push_back(std::move(m));
  }
  {
    Model m = base("extras.customfield", "extras/custom-fields", "CustomField", "custom field");
    Field name = name_field(50);
    m.fields = {
        make("object_types", FieldKind::StringList).req(),
        choice("type", {{"text", "Text"},
                        {"longtext", "Text (long)"},
                        {"integer", "Integer"},
                        {"decimal", "Decimal"},
                        {"boolean", "Boolean (true/false)"},
                        {"date", "Date"},
                        {"datetime", "Date & time"},
                        {"url", "URL"},
                        {"json", "JSON"},
                        {"select", "Selection"},
                        {"multiselect", "Multiple selection"},
                        {"object", "Object"},
                        {"multiobject", "Multiple objects"}})
            .def("text"),
        str("related_object_type").null(),
        constant("data_type", "string"),
        name,
        str("label", 50),
        str("group_name", 50),
        description(),
        boolean("required", false),
        boolean("unique", false),
        integer("search_weight").def(1000),
        choice("filter_logic", {{"disabled", "Disabled"}, {"loose", "Loose"}, {"exact", "Exact"}})
            .def("loose"),
        choice("ui_visible", {{"always", "Always"}, {"if-set", "If set"}, {"hidden", "Hidden"}})
            .def("always"),
        choice("ui_editable", {{"yes", "Yes"}, {"no", "No"}, {"hidden", "Hidden"}}).def("yes"),
        boolean("is_cloneable", false),
        make("default", FieldKind::Json).null(),
        make("related_object_filter", FieldKind::Json).null(),
        make("validation_schema", FieldKind::Json).null().from("4.6"),
        fk("choice_set", "extras.customfieldchoiceset", OnDelete::Protect).null(),
        integer("weight").def(100),
        integer("validation_minimum").null(),
        integer("validation_maximum").null(),
        str("validation_regex", 500),
        comments(),
    };
    m.brief = {"id", "url", "display", "name", "description"};
    m.unique = {unique_field("custom field", "name")};
    m.tags = false;
    m.custom_fields = false;
    models.push_back(std::move(m));
  }

  // --- dcim -----------------------------------------------------------------------------
  {
    Model m = organisational("dcim.site", "dcim/sites", "Site", "site");
    m.fields.insert(m.fields.begin() + 2, choice("status", site_status()).def("active"));
    m.fields.push_back(fk("tenant", "tenancy.tenant", OnDelete::Protect).null());
    m.fields.push_back(str("facility", 50));
    m.fields.push_back(str("time_zone").null());
    m.fields.push_back(str("physical_address", 200));
    m.fields.push_back(str("shipping_address", 200));
    m.fields.push_back(number("latitude").null());
    m.fields.push_back(number("longitude").null());
    m.fields.push_back(comments());
    m.fields.push_back(count("device_count", "dcim.device", "site"));
    m.fields.push_back(count("virtualmachine_count", "virtualization.virtualmachine", "site"));
    m.fields.push_back(count("vlan_count", "ipam.vlan", "site"));
    m.fields.push_back(constant("circuit_count", 0));
    m.fields.push_back(constant("rack_count", 0));
    m.ignored_on_write = {"prefix_count"};
    m.not_emulated = {"asns", "group", "region"};
    models.push_back(std::move(m));
  }
  {
    Model m =
        organisational("dcim.manufacturer", "dcim/manufacturers", "Manufacturer", "manufacturer");
    m.fields.push_back(count("devicetype_count", "dcim.devicetype", "manufacturer"));
    m.fields.push_back(count("platform_count", "dcim.platform", "manufacturer"));
    m.fields.push_back(constant("inventoryitem_count", 0));
    m.fields.push_back(constant("moduletype_count", 0).from("4.5"));
    m.fields.push_back(comments().from("4.5"));
    m.brief.push_back("devicetype_count");
    models.push_back(std::move(m));
  }
  {
    Model m = base("dcim.devicetype", "dcim/device-types", "DeviceType", "device type");
    m.fields = {
        fk("manufacturer", "dcim.manufacturer", OnDelete::Protect).req(),
        fk("default_platform", "dcim.platform").null(),
        str("model", 100).req(),
        slug(),
        str("part_number", 50),
        number("u_height").def(1.0),
        boolean("exclude_from_utilization", false),
        boolean("is_full_depth", true),
        number("weight").null(),
        description(),
        comments(),
        count("device_count", "dcim.device", "device_type"),
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
    m.not_emulated = {"airflow", "front_image", "rear_image", "subdevice_role", "weight_unit"};
    m.ordering = "model";
    models.push_back(std::move(m));
  }
  {
    Model m = organisational("dcim.devicerole", "dcim/device-roles", "DeviceRole", "device role");
    m.fields.push_back(str("color", 6).def("9e9e9e"));
    m.fields.push_back(boolean("vm_role", true));
    m.fields.push_back(fk("parent", "dcim.devicerole", OnDelete::Cascade).null().from("4.3"));
    m.fields.push_back(comments().from("4.3"));
    m.fields.push_back(count("device_count", "dcim.device", "role"));
    m.fields.push_back(count("virtualmachine_count", "virtualization.virtualmachine", "role"));
    m.brief.push_back("device_count");
    m.brief.push_back("virtualmachine_count");
    m.not_emulated = {"config_template"};
    models.push_back(std::move(m));
  }
  {
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
    m.not_emulated = {"config_template"};
    models.push_back(std::move(m));
  }
  {
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
        number("latitude").null(),
        number("longitude").null(),
        choice("status", device_status()).def("active"),
        fk("primary_ip4", "ipam.ipaddress").null(),
        fk("primary_ip6", "ipam.ipaddress").null(),
        fk("oob_ip", "ipam.ipaddress").null(),
        fk("cluster", "virtualization.cluster").null(),
        description(),
        comments(),
        make("local_context_data", FieldKind::Json).null(),
        count("interface_count", "dcim.interface", "device"),
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
    m.search = {"name", "serial", "asset_tag", "description"};
    m.ignored_on_write = {"config_context", "parent_device", "primary_ip"};
    m.not_emulated = {"airflow", "config_template", "face",        "location",       "position",
                      "rack",    "vc_position",     "vc_priority", "virtual_chassis"};
    models.push_back(std::move(m));
  }
  {
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
        integer("mtu").null(),
        fk("primary_mac_address", "dcim.macaddress").null(),
        integer("speed").null(),
        boolean("mgmt_only", false),
        description(),
        fk("untagged_vlan", "ipam.vlan").null(),
        boolean("mark_connected", false),
        constant("cable_end", ""),
        constant("link_peers", json::array{}),
        constant("connected_endpoints_reachable", false),
        constant("_occupied", false),
        count("count_ipaddresses", "ipam.ipaddress", "assigned_object_id"),
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
    m.ignored_on_write = {"cable",
                          "connected_endpoints",
                          "connected_endpoints_type",
                          "l2vpn_termination",
                          "link_peers_type",
                          "mac_address",
                          "mac_addresses",
                          "wireless_link"};
    m.not_emulated = {"duplex",
                      "mode",
                      "module",
                      "poe_mode",
                      "poe_type",
                      "qinq_svlan",
                      "rf_channel",
                      "rf_channel_frequency",
                      "rf_channel_width",
                      "rf_role",
                      "tagged_vlans",
                      "tx_power",
                      "vdcs",
                      "vlan_translation_policy",
                      "vrf",
                      "wireless_lans",
                      "wwn"};
    models.push_back(std::move(m));
  }
  {
    Model m = base("dcim.macaddress", "dcim/mac-addresses", "MACAddress", "MAC address");
    m.fields = {
        str("mac_address").req(),
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
    models.push_back(std::move(m));
  }

  // --- virtualization -------------------------------------------------------------------
  {
    Model m = organisational("virtualization.clustertype", "virtualization/cluster-types",
                             "ClusterType", "cluster type");
    m.fields.push_back(count("cluster_count", "virtualization.cluster", "type"));
    m.fields.push_back(comments().from("4.5"));
    m.brief.push_back("cluster_count");
    models.push_back(std::move(m));
  }
  {
    Model m = organisational("virtualization.clustergroup", "virtualization/cluster-groups",
                             "ClusterGroup", "cluster group");
    m.fields.push_back(count("cluster_count", "virtualization.cluster", "group"));
    m.fields.push_back(comments().from("4.5"));
    m.brief.push_back("cluster_count");
    models.push_back(std::move(m));
  }
  {
    Model m = base("virtualization.cluster", "virtualization/clusters", "Cluster", "cluster");
    m.fields = {
        name_field(100),
        fk("type", "virtualization.clustertype", OnDelete::Protect).req(),
        fk("group", "virtualization.clustergroup", OnDelete::Protect).null(),
        choice("status", {{"planned", "Planned"},
                          {"staging", "Staging"},
                          {"active", "Active"},
                          {"decommissioning", "Decommissioning"},
                          {"offline", "Offline"}})
            .def("active"),
        fk("tenant", "tenancy.tenant", OnDelete::Protect).null(),
        content_type("scope_type", {"dcim.site"}),
        make("scope_id", FieldKind::GenericId).null(),
        generic_object("scope", "scope_type", "scope_id"),
        description(),
        comments(),
        count("device_count", "dcim.device", "cluster"),
        count("virtualmachine_count", "virtualization.virtualmachine", "cluster"),
        // NetBox annotates Sum() over the cluster's virtual machines: null when there are none.
        total("allocated_vcpus", "virtualization.virtualmachine", "cluster", "vcpus"),
        total("allocated_memory", "virtualization.virtualmachine", "cluster", "memory"),
        total("allocated_disk", "virtualization.virtualmachine", "cluster", "disk"),
    };
    m.brief = {"id", "url", "display", "name", "description", "virtualmachine_count"};
    m.unique = {
        {{"group", "name"},
         false,
         {},
         "__all__",
         "A cluster with this name already exists.",
         "",
         ""},
        {{"scope_id", "name"},
         false,
         {},
         "__all__",
         "A cluster with this name already exists.",
         "",
         ""},
    };
    models.push_back(std::move(m));
  }
  {
    Model m = base("virtualization.virtualmachine", "virtualization/virtual-machines",
                   "VirtualMachine", "virtual machine");
    m.fields = {
        name_field(64),
        choice("status", vm_status()).def("active"),
        fk("site", "dcim.site", OnDelete::Protect).null(),
        fk("cluster", "virtualization.cluster", OnDelete::Protect).null(),
        fk("device", "dcim.device").null(),
        str("serial", 50),
        fk("role", "dcim.devicerole", OnDelete::Protect).null(),
        fk("tenant", "tenancy.tenant", OnDelete::Protect).null(),
        fk("platform", "dcim.platform").null(),
        fk("primary_ip4", "ipam.ipaddress").null(),
        fk("primary_ip6", "ipam.ipaddress").null(),
        number("vcpus").null(),
        integer("memory").null(),
        integer("disk").null(),
        make("start_on_boot", FieldKind::Choice).from("4.5"),
        description(),
        comments(),
        make("local_context_data", FieldKind::Json).null(),
        count("interface_count", "virtualization.vminterface", "virtual_machine"),
        count("virtual_disk_count", "virtualization.virtualdisk", "virtual_machine"),
    };
    // NetBox 4.5 `start_on_boot`: whether the hypervisor starts the guest with the host.
    for (Field& field : m.fields) {
      if (field.name == "start_on_boot") {
        field.choices = {{"on", "On"}, {"off", "Off"}, {"laststate", "Last State"}};
        field.default_value = "off";
      }
    }
    m.brief = {"id", "url", "display", "name", "description"};
    m.unique = {
        {{"name", "cluster", "tenant"},
         true,
         {},
         "__all__",
         "Virtual machine name must be unique per cluster and tenant.",
         "",
         ""},
        {{"name", "cluster"},
         true,
         {"tenant"},
         "__all__",
         "Virtual machine name must be unique per cluster.",
         "",
         ""},
        // 4.6: VMs on a standalone host device (no cluster) are unique per device.
        {{"name", "device", "tenant"},
         true,
         {"cluster"},
         "__all__",
         "Virtual machine name must be unique per device and tenant.",
         "4.6",
         ""},
        {{"name", "device"},
         true,
         {"cluster", "tenant"},
         "__all__",
         "Virtual machine name must be unique per device.",
         "4.6",
         ""},
    };
    m.search = {"name", "serial", "description"};
    m.ignored_on_write = {"config_context", "primary_ip"};
    m.not_emulated = {"config_template"};
    models.push_back(std::move(m));
  }
  {
    Model m =
        base("virtualization.vminterface", "virtualization/interfaces", "VMInterface", "interface");
    m.fields = {
        fk("virtual_machine", "virtualization.virtualmachine", OnDelete::Cascade).req(),
        name_field(64),
        boolean("enabled", true),
        fk("parent", "virtualization.vminterface").null(),
        fk("bridge", "virtualization.vminterface").null(),
        integer("mtu").null(),
        fk("primary_mac_address", "dcim.macaddress").null(),
        description(),
        fk("untagged_vlan", "ipam.vlan").null(),
        count("count_ipaddresses", "ipam.ipaddress", "assigned_object_id"),
        constant("count_fhrp_groups", 0),
    };
    m.brief = {"id", "url", "display", "virtual_machine", "name", "description"};
    m.unique = {{{"virtual_machine", "name"},
                 false,
                 {},
                 "__all__",
                 "Interface with this Virtual machine and Name already exists.",
                 "",
                 ""}};
    m.ignored_on_write = {"l2vpn_termination", "mac_address", "mac_addresses"};
    m.not_emulated = {"mode", "qinq_svlan", "tagged_vlans", "vlan_translation_policy", "vrf"};
    models.push_back(std::move(m));
  }
  {
    Model m = base("virtualization.virtualdisk", "virtualization/virtual-disks", "VirtualDisk",
                   "virtual disk");
    m.fields = {
        fk("virtual_machine", "virtualization.virtualmachine", OnDelete::Cascade).req(),
        name_field(64),
        description(),
        integer("size").req(),
    };
    m.brief = {"id", "url", "display", "virtual_machine", "name", "size", "description"};
    m.unique = {{{"virtual_machine", "name"},
                 false,
                 {},
                 "__all__",
                 "Virtual disk with this Virtual machine and Name already exists.",
                 "",
                 ""}};
    models.push_back(std::move(m));
  }

  // --- ipam -----------------------------------------------------------------------------
  {
    Model m = base("ipam.ipaddress", "ipam/ip-addresses", "IPAddress", "IP address");
    m.fields = {
        family("address"),
        make("address", FieldKind::IpInterface).req(),
        fk("tenant", "tenancy.tenant", OnDelete::Protect).null(),
        choice("status", {{"active", "Active"},
                          {"reserved", "Reserved"},
                          {"deprecated", "Deprecated"},
                          {"dhcp", "DHCP"},
                          {"slaac", "SLAAC"}})
            .def("active"),
        choice("role", {{"loopback", "Loopback"},
                        {"secondary", "Secondary"},
                        {"anycast", "Anycast"},
                        {"vip", "VIP"},
                        {"vrrp", "VRRP"},
                        {"hsrp", "HSRP"},
                        {"glbp", "GLBP"},
                        {"carp", "CARP"}})
            .null(),
        content_type("assigned_object_type", kInterfaceTypes),
        make("assigned_object_id", FieldKind::GenericId).null(),
        generic_object("assigned_object", "assigned_object_type", "assigned_object_id"),
        constant("nat_outside", json::array{}),
        str("dns_name", 255),
        description(),
        comments(),
    };
    m.brief = {"id", "url", "display", "family", "address", "description"};
    m.display = "{address}";
    m.search = {"address", "dns_name", "description"};
    m.ordering = "address";
    m.not_emulated = {"nat_inside", "vrf"};
    models.push_back(std::move(m));
  }
  {
    Model m = base("ipam.prefix", "ipam/prefixes", "Prefix", "prefix");
    m.fields = {
        family("prefix"),
        make("prefix", FieldKind::IpNetwork).req(),
        content_type("scope_type", {"dcim.site"}),
        make("scope_id", FieldKind::GenericId).null(),
        generic_object("scope", "scope_type", "scope_id"),
        fk("tenant", "tenancy.tenant", OnDelete::Protect).null(),
        fk("vlan", "ipam.vlan", OnDelete::SetNull).null(),
        choice("status", {{"container", "Container"},
                          {"active", "Active"},
                          {"reserved", "Reserved"},
                          {"deprecated", "Deprecated"}})
            .def("active"),
        boolean("is_pool", false),
        boolean("mark_utilized", false),
        description(),
        comments(),
        constant("children", 0),
        constant("_depth", 0),
    };
    m.brief = {"id", "url", "display", "family", "prefix", "description", "_depth"};
    m.display = "{prefix}";
    m.search = {"prefix", "description"};
    m.ordering = "prefix";
    m.not_emulated = {"role", "vrf"};
    models.push_back(std::move(m));
  }
  {
    Model m = base("ipam.vlan", "ipam/vlans", "VLAN", "VLAN");
    m.fields = {
        fk("site", "dcim.site", OnDelete::Protect).null(),
        integer("vid").req(),
        name_field(64),
        fk("tenant", "tenancy.tenant", OnDelete::Protect).null(),
        choice("status",
               {{"active", "Active"}, {"reserved", "Reserved"}, {"deprecated", "Deprecated"}})
            .def("active"),
        description(),
        comments(),
        count("prefix_count", "ipam.prefix", "vlan"),
    };
    m.brief = {"id", "url", "display", "vid", "name", "description"};
    m.display = "{name} ({vid})";
    m.ordering = "vid";
    m.ignored_on_write = {"l2vpn_termination"};
    m.not_emulated = {"group", "qinq_role", "qinq_svlan", "role"};
    models.push_back(std::move(m));
  }

  // --- netbox-proxbox plugin ------------------------------------------------------------
  {
    Model m = base("netbox_proxbox.proxmoxstorage", "plugins/proxbox/storage", "ProxmoxStorage",
                   "Proxmox Storage");
    m.fields = {
        fk("cluster", "virtualization.cluster", OnDelete::Cascade).req(),
        str("name", 255).req(),
        str("storage_type", 100).null(),
        str("content", 255).null(),
        str("path", 255).null(),
        str("nodes", 255).null(),
        boolean("shared", false),
        boolean("enabled", true),
    };
    m.brief = {"id", "url", "display", "name"};
    m.unique = {{{"cluster", "name"},
                 false,
                 {},
                 "__all__",
                 "Proxmox Storage with this Cluster and Name already exists.",
                 "",
                 ""}};
    m.display = "{name}";
    models.push_back(std::move(m));
  }
  {
    Model m = base("netbox_proxbox.vmbackup", "plugins/proxbox/backups", "VMBackup", "VM Backup");
    m.fields = {
        fk("proxmox_storage", "netbox_proxbox.proxmoxstorage", OnDelete::SetNull).null(),
        str("storage", 255).null(),
        fk("virtual_machine", "virtualization.virtualmachine", OnDelete::Cascade).req(),
        choice("subtype", {{"undefined", "Undefined"}, {"lxc", "LXC"}, {"qemu", "QEMU"}})
            .def("undefined"),
        choice("format", {{"undefined", "Undefined"},
                          {"pbs-vm", "PBS VM"},
                          {"pbs-ct", "PBS CT"},
                          {"iso", "ISO"},
                          {"tzst", "TZST"},
                          {"tgz", "TGZ"},
                          {"qcow2", "QCOW2"},
                          {"raw", "RAW"},
                          {"tar", "TAR"},
                          {"tbz", "TBZ"}})
            .def("undefined"),
        datetime("creation_time"),
        integer("size").null(),
        str("notes").null(),
        str("volume_id", 255).null(),
        integer("vmid").null(),
        integer("used").null(),
        boolean("encrypted", false),
        str("verification_state", 255).null(),
        str("verification_upid", 255).null(),
    };
    m.brief = {"id", "url", "display", "volume_id"};
    m.unique = {{{"storage", "virtual_machine", "volume_id"},
                 false,
                 {},
                 "__all__",
                 "VM Backup with this Storage, Virtual machine and Volume id already exists.",
                 "",
                 ""}};
    m.display = "{volume_id}";
    m.search = {"volume_id", "storage", "notes"};
    m.ordering = "id";
    models.push_back(std::move(m));
  }
  {
    Model m =
        base("netbox_proxbox.vmsnapshot", "plugins/proxbox/snapshots", "VMSnapshot", "VM Snapshot");
    m.fields = {
        fk("proxmox_storage", "netbox_proxbox.proxmoxstorage", OnDelete::SetNull).null(),
        fk("virtual_machine", "virtualization.virtualmachine", OnDelete::Cascade).req(),
        str("name", 255).req(),
        str("description").null(),
        integer("vmid").req(),
        str("node", 255).req(),
        datetime("snaptime"),
        str("parent", 255).null(),
        choice("subtype", {{"qemu", "QEMU"}, {"lxc", "LXC"}}).def("qemu"),
        choice("status", {{"active", "Active"}, {"stale", "Stale"}}).def("active"),
    };
    m.brief = {"id", "url", "display", "name"};
    m.unique = {{{"vmid", "name", "node"},
                 false,
                 {},
                 "__all__",
                 "VM Snapshot with this Vmid, Name and Node already exists.",
                 "",
                 ""}};
    models.push_back(std::move(m));
  }
  // --- users (4.5) ---------------------------------------------------------------------
  {
    Model m = base("users.owner", "users/owners", "Owner", "owner");
    m.fields = {name_field(100), description()};
    m.brief = {"id", "url", "display", "name", "description"};
    m.unique = {unique_field("owner", "name")};
    m.not_emulated = {"group", "user_groups", "users"};
    m.tags = false;
    m.custom_fields = false;
    m.since = "4.5";
    models.push_back(std::move(m));
  }
  // NetBox 4.5 gave most models an optional owner (object ownership). The plugin's models are
  // not among them, and for tags it is not established.
  for (Model& model : models) {
    if (model.key.starts_with("netbox_proxbox.") || model.key == "extras.tag" ||
        model.key == "users.owner") {
      continue;
    }
    model.fields.push_back(fk("owner", "users.owner", OnDelete::Protect).null().from("4.5"));
  }
  return models;
}

}  // namespace

std::string Model::table() const {
  std::string table = "nb_" + key;
  std::replace(table.begin(), table.end(), '.', '_');
  return table;
}

std::string Model::app() const {
  return path.substr(0, path.find('/'));
}

const Field* Model::field(std::string_view name) const {
  for (const Field& candidate : fields) {
    if (candidate.name == name) return &candidate;
  }
  return nullptr;
}

Registry::Registry() : models_(declare_models()) {}

const Registry& Registry::instance() {
  static const Registry registry;
  return registry;
}

const Model* Registry::by_key(std::string_view key) const {
  for (const Model& model : models_) {
    if (model.key == key) return &model;
  }
  return nullptr;
}

const Model* Registry::by_path(std::string_view path) const {
  for (const Model& model : models_) {
    if (model.path == path) return &model;
  }
  return nullptr;
}

std::vector<std::pair<const Model*, const Field*>> Registry::references_to(
    std::string_view key) const {
  std::vector<std::pair<const Model*, const Field*>> references;
  for (const Model& model : models_) {
    for (const Field& field : model.fields) {
      if (field.kind == FieldKind::ForeignKey && field.related == key) {
        references.emplace_back(&model, &field);
      }
    }
  }
  return references;
}

int compare_versions(std::string_view a, std::string_view b) {
  while (!a.empty() || !b.empty()) {
    auto take = [](std::string_view& text) {
      int number = 0;
      const size_t dot = text.find('.');
      const std::string_view part = text.substr(0, dot);
      std::from_chars(part.data(), part.data() + part.size(), number);
      text = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
      return number;
    };
    const int left = take(a);
    const int right = take(b);
    if (left != right) return left < right ? -1 : 1;
  }
  return 0;
}

bool field_in_version(const Field& field, std::string_view version) {
  return field.since.empty() || compare_versions(version, field.since) >= 0;
}

bool rule_in_version(const UniqueRule& rule, std::string_view version) {
  return (rule.since.empty() || compare_versions(version, rule.since) >= 0) &&
         (rule.until.empty() || compare_versions(version, rule.until) < 0);
}

}  // namespace pbx::netbox
