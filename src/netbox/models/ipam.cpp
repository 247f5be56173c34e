// NetBox ipam app: IP addresses, prefixes, VLANs.

#include "netbox/models/declare.hpp"

namespace pbx::netbox::models {

void declare_ipam(std::vector<Model>& models) {
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
}

}  // namespace pbx::netbox::models
