// NetBox ipam app: IP addresses, prefixes, VLANs.

#include <set>

#include "netbox/model_rules.hpp"
#include "netbox/models/declare.hpp"
#include "netbox/store.hpp"

namespace pbx::netbox::models {
namespace {

// NetBox's IPAddress.clean: an address (any mask) is unique in the global table unless its
// role is one that is shared by design (anycast, VIP, first-hop redundancy).
void clean_ip_address(CleanContext& clean) {
  const json::value* role = clean.data.if_contains("role");
  static const std::set<std::string> kNonUnique = {"anycast", "vip",  "vrrp",
                                                   "hsrp",    "glbp", "carp"};
  const bool unique_role =
      !role || !role->is_string() || !kNonUnique.count(std::string(role->get_string()));
  const json::value* address = clean.data.if_contains("address");
  if (!unique_role || !address || !address->is_string()) return;
  const std::string text(address->get_string());
  Condition where;
  where.add(field_sql("address") + " LIKE ?", {text.substr(0, text.find('/')) + "/%"});
  if (clean.id) where.add("id <> ?", {*clean.id});
  const auto duplicates = clean.request.store.select(clean.model, where, "id", 1, 0);
  if (!duplicates.empty()) {
    clean.errors["address"].push_back(
        "Duplicate IP address found in global table: " +
        std::string(duplicates.front().data.at("address").as_string()));
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
