// NetBox virtualization app: cluster types and groups, clusters, virtual machines, their interfaces
// and disks.

#include "netbox/models/declare.hpp"

namespace pbx::netbox::models {

namespace {

std::vector<Choice> vm_status() {
  return {{"offline", "Offline"}, {"active", "Active"}, {"planned", "Planned"},
          {"staged", "Staged"},   {"failed", "Failed"}, {"decommissioning", "Decommissioning"}};
}

}  // namespace

void declare_virtualization(std::vector<Model>& models) {
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
}

}  // namespace pbx::netbox::models
