// NetBox ipam app: IP addresses, prefixes, VLANs.

#include <set>
#include <string>
#include <utility>

#include "netbox/model_rules.hpp"
#include "netbox/models/declare.hpp"
#include "netbox/store.hpp"
#include "netbox/values.hpp"

namespace pbx::netbox::models {
namespace {

// --- rules (NetBox's IPAddress.clean) ----------------------------------------------------------

std::string text_of(const json::object& data, std::string_view name) {
  const json::value* value = data.if_contains(name);
  return value && value->is_string() ? std::string(value->get_string()) : std::string();
}

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
  where.add(field_sql("address") + " LIKE ?", {address.substr(0, address.find('/')) + "/%"});
  if (clean.id) where.add("id <> ?", {*clean.id});
  const auto duplicates = clean.request.store.select(clean.model, where, "id", -1, 0);
  if (duplicates.empty()) return false;
  bool all_shared = shared_role(text_of(clean.data, "role"));
  for (const StoredObject& duplicate : duplicates)
    all_shared = all_shared && shared_role(text_of(duplicate.data, "role"));
  if (all_shared) return false;
  return clean.fail("address", "Duplicate IP address found in global table: " +
                                   text_of(duplicates.front().data, "address"));
}

// The device or VM an IP address's interface belongs to, as (model key, id); empty when the
// address is not on an interface.
std::pair<std::string, int64_t> parent_of(RequestContext& context, const json::object& ip) {
  const std::string type = text_of(ip, "assigned_object_type");
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
  const std::string address = text_of(clean.data, "address");
  if (address.ends_with("/0")) {
    clean.fail("address", "Cannot create IP address with /0 mask.");
    return;
  }
  if (!address.empty() &&
      (check_duplicate_address(clean, address) || check_primary_reassignment(clean, address))) {
    return;
  }
  if (text_of(clean.data, "status") == "slaac" && ip_family(address) != 6) {
    clean.fail("status", "Only IPv6 addresses can be assigned SLAAC status");
  }
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
  m.not_emulated = {"nat_inside", "vrf"};
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
  m.not_emulated = {"role", "vrf"};
  return m;
}

Model vlan_model() {
  Model m = base("ipam.vlan", "ipam/vlans", "VLAN", "VLAN");
  m.fields = {
      fk("site", "dcim.site", OnDelete::Protect).null(),
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
  m.not_emulated = {"group", "qinq_role", "qinq_svlan", "role"};
  return m;
}

}  // namespace

void declare_ipam(std::vector<Model>& models) {
  models.push_back(ipaddress_model());
  models.push_back(prefix_model());
  models.push_back(vlan_model());
}

}  // namespace pbx::netbox::models
