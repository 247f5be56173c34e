// NetBox ipam app: IP addresses, prefixes, VLAN groups, VLANs.

#include <cstdio>
#include <set>
#include <string>
#include <utility>

#include "netbox/model_rules.hpp"
#include "netbox/models/declare.hpp"
#include "netbox/rendering.hpp"
#include "netbox/store.hpp"
#include "netbox/values.hpp"

namespace pbx::netbox::models {
namespace {

// --- rules (NetBox's IPAddress.clean) ----------------------------------------------------------

// Roles shared by design (anycast, VIP, first-hop redundancy): such addresses may repeat.
bool shared_role(const std::string& role) {
  static const std::set<std::string> kNonUnique = {"anycast", "vip",  "vrrp",
                                                   "hsrp",    "glbp", "carp"};
  return kNonUnique.count(role) > 0;
}

// An address (any mask) is unique in the global table, unless it and every duplicate have a
// shared role.
bool check_duplicate_address(CleanContext& clean, const std::string& address) {
  Condition where;
  // Stored addresses are normalised (inet_ntop's lower case), so a byte prefix finds the host.
  where.add_starts_with(field_sql("address"), address.substr(0, address.find('/')) + "/");
  if (clean.id) where.add("id <> ?", {*clean.id});
  const auto duplicates = clean.request.store.select(clean.model, where, "id", -1, 0);
  if (duplicates.empty()) return false;
  bool all_shared = shared_role(text_field(clean.data, "role"));
  for (const StoredObject& duplicate : duplicates)
    all_shared = all_shared && shared_role(text_field(duplicate.data, "role"));
  if (all_shared) return false;
  return clean.fail("address", "Duplicate IP address found in global table: " +
                                   text_field(duplicates.front().data, "address"));
}

// The device or VM an IP address's interface belongs to, as (model key, id); empty when the
// address is not on an interface.
std::pair<std::string, int64_t> parent_of(RequestContext& context, const json::object& ip) {
  const std::string type = text_field(ip, "assigned_object_type");
  const Model* interfaces = Registry::instance().by_key(type);
  if (!interfaces) return {};
  const auto interface = context.store.get(*interfaces, int_field(ip, "assigned_object_id"));
  if (!interface) return {};
  if (type == "dcim.interface") return {"dcim.device", int_field(*interface, "device")};
  return {"virtualization.virtualmachine", int_field(*interface, "virtual_machine")};
}

// A device's or VM's primary IP cannot move to another parent (or off every interface).
bool check_primary_reassignment(CleanContext& clean, const std::string& address) {
  if (!clean.id) return false;
  const auto before = clean.request.store.get(clean.model, *clean.id);
  if (!before) return false;
  const auto [parent_model, parent_id] = parent_of(clean.request, *before);
  if (parent_model.empty()) return false;
  const auto parent =
      clean.request.store.get(*Registry::instance().by_key(parent_model), parent_id);
  const std::string field = "primary_ip" + std::to_string(ip_family(address));
  if (!parent || int_field(*parent, field) != *clean.id) return false;
  if (parent_of(clean.request, clean.data) == std::pair{parent_model, parent_id}) return false;
  return clean.fail("__all__", "Cannot reassign primary IP address for the parent device/VM");
}

void clean_ip_address(CleanContext& clean) {
  const std::string address = text_field(clean.data, "address");
  if (address.ends_with("/0")) {
    clean.fail("address", "Cannot create IP address with /0 mask.");
    return;
  }
  if (!address.empty() &&
      (check_duplicate_address(clean, address) || check_primary_reassignment(clean, address))) {
    return;
  }
  if (text_field(clean.data, "status") == "slaac" && ip_family(address) != 6) {
    clean.fail("status", "Only IPv6 addresses can be assigned SLAAC status");
  }
}

// --- rules (NetBox's Prefix, VLANGroup and VLAN clean()) ----------------------------------------

// A prefix is not /0 and unique in the global table (NetBox's ENFORCE_GLOBAL_UNIQUE default).
void clean_prefix(CleanContext& clean) {
  const std::string prefix = text_field(clean.data, "prefix");
  if (prefix.ends_with("/0")) {
    clean.fail("prefix", "Cannot create prefix with /0 mask.");
    return;
  }
  Condition where;
  where.add(field_sql("prefix") + " = ?", {prefix});
  if (clean.id) where.add("id <> ?", {*clean.id});
  const auto duplicates = clean.request.store.select(clean.model, where, "id", 1, 0);
  if (!duplicates.empty()) {
    clean.fail("prefix", "Duplicate prefix found in global table: " + prefix);
  }
}

// A scope is a type and an id, or neither.
void clean_vlan_group(CleanContext& clean) {
  const bool has_type = !text_field(clean.data, "scope_type").empty();
  const bool has_id = int_field(clean.data, "scope_id") != 0;
  if (has_type && !has_id) {
    clean.fail("__all__", "Cannot set scope_type without scope_id.");
  } else if (has_id && !has_type) {
    clean.fail("__all__", "Cannot set scope_id without scope_type.");
  }
}

// The share of the group's VLAN IDs in use, in percent with two places (its ID range is NetBox's
// default, 1-4094: the 4.2 document has no vid_ranges to change it).
json::value vlan_group_utilization(RequestContext& context, int64_t id, const json::object&) {
  Condition where;
  where.add(field_sql("group") + " = ?", {id});
  const int64_t used = context.store.count(*Registry::instance().by_key("ipam.vlan"), where);
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", static_cast<double>(used) * 100.0 / 4094.0);
  return json::string(text);
}

// A VLAN in a group scoped to a site cannot be assigned to another site.
void clean_vlan(CleanContext& clean) {
  const auto group = related_object(clean, "group");
  const int64_t site = int_field(clean.data, "site");
  if (!group || !site || text_field(*group, "scope_type") != "dcim.site") return;
  const int64_t scope = int_field(*group, "scope_id");
  if (scope == site) return;
  clean.fail("__all__", "VLAN is assigned to group " + text_field(*group, "name") +
                            " (scope: " + display_of(clean.request, "dcim.site", scope) +
                            "); cannot also assign to site " +
                            display_of(clean.request, "dcim.site", site) + ".");
}

Model ipaddress_model() {
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
  unmodelled(m, {"vrf", "nat_inside"});
  m.clean = clean_ip_address;
  return m;
}

Model prefix_model() {
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
  unmodelled(m, {"vrf", "role"});
  m.clean = clean_prefix;
  return m;
}

Model vlangroup_model() {
  Model m = organisational("ipam.vlangroup", "ipam/vlan-groups", "VLANGroup", "VLAN group");
  m.fields.push_back(content_type(
      "scope_type", {"dcim.region", "dcim.sitegroup", "dcim.site", "dcim.location", "dcim.rack",
                     "virtualization.clustergroup", "virtualization.cluster"}));
  m.fields.push_back(make("scope_id", FieldKind::GenericId).null());
  m.fields.push_back(generic_object("scope", "scope_type", "scope_id"));
  m.fields.push_back(count("vlan_count", "ipam.vlan", "group"));
  m.fields.push_back(computed("utilization", vlan_group_utilization));
  m.brief.push_back("vlan_count");
  m.unique = {{{"scope_type", "scope_id", "name"},
               false,
               {},
               "__all__",
               "VLAN group with this Scope type, Scope id and Name already exists.",
               "",
               ""},
              {{"scope_type", "scope_id", "slug"},
               false,
               {},
               "__all__",
               "VLAN group with this Scope type, Scope id and Slug already exists.",
               "",
               ""}};
  m.clean = clean_vlan_group;
  return m;
}

Model vlan_model() {
  Model m = base("ipam.vlan", "ipam/vlans", "VLAN", "VLAN");
  m.fields = {
      fk("site", "dcim.site", OnDelete::Protect).null(),
      fk("group", "ipam.vlangroup", OnDelete::Protect).null(),
      integer("vid").between("1", "4094").req(),
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
  m.not_emulated = {"qinq_role", "qinq_svlan", "role"};
  m.unique = {{{"group", "vid"},
               false,
               {},
               "__all__",
               "VLAN with this Group and VLAN ID already exists.",
               "",
               ""},
              {{"group", "name"},
               false,
               {},
               "__all__",
               "VLAN with this Group and Name already exists.",
               "",
               ""}};
  m.clean = clean_vlan;
  return m;
}

}  // namespace

void declare_ipam(std::vector<Model>& models) {
  models.push_back(ipaddress_model());
  models.push_back(prefix_model());
  models.push_back(vlangroup_model());
  models.push_back(vlan_model());
}

}  // namespace pbx::netbox::models
