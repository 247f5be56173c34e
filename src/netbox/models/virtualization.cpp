// NetBox virtualization app: cluster types and groups, clusters, virtual machines, their interfaces
// and disks.

#include <set>

#include "netbox/model_rules.hpp"
#include "netbox/models/declare.hpp"
#include "netbox/rendering.hpp"
#include "netbox/store.hpp"
#include "netbox/values.hpp"

namespace pbx::netbox::models {

namespace {

// --- rules (NetBox's VirtualMachine.clean, VirtualDisk's effect on the VM) --------------------

// The site a cluster is scoped to, 0 when none (cached for the request).
int64_t cluster_site(RequestContext& context, int64_t cluster_id) {
  auto [cached, fresh] = context.cluster_sites.try_emplace(cluster_id, 0);
  if (!fresh) return cached->second;
  const auto cluster =
      context.store.get(*Registry::instance().by_key("virtualization.cluster"), cluster_id);
  if (!cluster) return 0;
  const json::value* type = cluster->if_contains("scope_type");
  if (!type || !type->is_string() || type->get_string() != "dcim.site") return 0;
  cached->second = int_field(*cluster, "scope_id");
  return cached->second;
}

// The sum of a VM's virtual disk sizes; -1 when it has none.
int64_t disk_total(RequestContext& context, int64_t vm_id) {
  auto& sum =
      context.store.statement("SELECT total(" + field_sql("size") + "), count(*) FROM " +
                              Registry::instance().by_key("virtualization.virtualdisk")->table() +
                              " WHERE " + field_sql("virtual_machine") + " = ?");
  sum.bind(1, vm_id);
  sum.step();
  const int64_t total = sum.column_int(1) ? static_cast<int64_t>(sum.column_double(0)) : -1;
  sum.reset();
  return total;
}

// A VM needs a site or a cluster (4.6: or a host device); the site follows the cluster's scope
// (4.6: the standalone host's site) and must agree with it.
void check_vm_placement(CleanContext& clean, int64_t given_site, int64_t device_site) {
  const bool standalone_hosts = clean.at_least("4.6");
  const int64_t cluster = int_field(clean.data, "cluster");
  const int64_t device = int_field(clean.data, "device");
  int64_t site = given_site;
  const bool placed = site || cluster || (standalone_hosts && device);
  if (cluster && !site) {
    site = cluster_site(clean.request, cluster);
    if (site) clean.data["site"] = site;
  }
  if (standalone_hosts && device_site && !site && !cluster) {
    site = device_site;
    clean.data["site"] = site;
  }
  if (!placed && standalone_hosts) {
    clean.errors["__all__"].push_back(
        "A virtual machine must be assigned to a site, cluster, or device.");
  } else if (!placed) {
    clean.errors["cluster"].push_back(
        "A virtual machine must be assigned to a site and/or cluster.");
  }
  if (cluster && site) {
    const int64_t scoped = cluster_site(clean.request, cluster);
    if (scoped && scoped != site) {
      clean.errors["cluster"].push_back(
          "The selected cluster (" + display_of(clean.request, "virtualization.cluster", cluster) +
          ") is not assigned to this site (" + display_of(clean.request, "dcim.site", site) + ").");
    }
  }
}

// The host device must belong to the VM's cluster (4.6: or, standalone, to its site).
void check_vm_host(CleanContext& clean, const std::optional<json::object>& host,
                   int64_t given_site) {
  const bool standalone_hosts = clean.at_least("4.6");
  const int64_t cluster = int_field(clean.data, "cluster");
  const int64_t device = int_field(clean.data, "device");
  const int64_t host_cluster = host ? int_field(*host, "cluster") : 0;
  const int64_t host_site = host ? int_field(*host, "site") : 0;
  RequestContext& context = clean.request;
  if (standalone_hosts && host_site && given_site && host_site != given_site) {
    clean.errors["site"].push_back(
        "The selected device (" + display_of(context, "dcim.device", device) +
        ") is not assigned to this site (" + display_of(context, "dcim.site", given_site) + ").");
  }
  if (device && !cluster && !standalone_hosts) {
    clean.errors["device"].push_back("Must specify a cluster when assigning a host device.");
  } else if (device && !cluster && host_cluster) {
    clean.errors["cluster"].push_back("Must specify the assigned device's cluster (" +
                                      display_of(context, "virtualization.cluster", host_cluster) +
                                      ") when assigning host device " +
                                      display_of(context, "dcim.device", device) + ".");
  } else if (device && cluster && host_cluster != cluster) {
    clean.errors["device"].push_back("The selected device (" +
                                     display_of(context, "dcim.device", device) +
                                     ") is not assigned to this cluster (" +
                                     display_of(context, "virtualization.cluster", cluster) + ").");
  }
}

// With virtual disks, `disk` is their sum: filled in when empty, refused when different.
void check_vm_disk(CleanContext& clean) {
  if (!clean.id) return;
  const int64_t total = disk_total(clean.request, *clean.id);
  const json::value* disk = clean.data.if_contains("disk");
  if (total > 0 && (!disk || disk->is_null())) {
    clean.data["disk"] = total;
  } else if (total > 0 && disk->is_int64() && disk->get_int64() != total) {
    clean.errors["disk"].push_back("The specified disk size (" + std::to_string(disk->get_int64()) +
                                   ") must match the aggregate size of assigned virtual disks (" +
                                   std::to_string(total) + ").");
  }
}

// NetBox's VMInterface.clean: parent and bridge on the same VM, not itself; an untagged VLAN
// needs a mode and must be global or at the VM's site.
void clean_vm_interface(CleanContext& clean) {
  if (check_primary_mac_address(clean)) return;
  if (check_interface_relation(clean, "parent", "An interface cannot be its own parent.", "parent",
                               "virtual_machine", "virtual machine") ||
      check_interface_relation(clean, "bridge", "An interface cannot be bridged to itself.",
                               "bridge", "virtual_machine", "virtual machine")) {
    return;
  }
  check_untagged_vlan(clean, "virtual_machine", "virtual machine");
}

// A VM's primary IPs: of their family and on one of its own interfaces.
bool check_vm_primary_ips(CleanContext& clean) {
  for (const int family : {4, 6}) {
    const std::string field = "primary_ip" + std::to_string(family);
    const auto ip = related_object(clean, field);
    if (!ip) continue;
    const json::value* address_value = ip->if_contains("address");
    const std::string address =
        address_value && address_value->is_string() ? std::string(address_value->get_string()) : "";
    const int version = ip_family(address);
    if (version != family) {
      return clean.fail(field, "Must be an IPv" + std::to_string(family) + " address. (" + address +
                                   " is an IPv" + std::to_string(version) + " address.)");
    }
    // NetBox compares against the VM's interfaces, which a VM being created has none of.
    const bool on_this_vm =
        clean.id && ip_on_interface_of(clean.request, *ip, "virtualization.vminterface",
                                       "virtual_machine", clean.id);
    if (!on_this_vm) {
      return clean.fail(field,
                        "The specified IP address (" + address + ") is not assigned to this VM.");
    }
  }
  return false;
}

void clean_virtual_machine(CleanContext& clean) {
  const int64_t device = int_field(clean.data, "device");
  const auto host =
      device ? clean.request.store.get(*Registry::instance().by_key("dcim.device"), device)
             : std::nullopt;
  const int64_t given_site = int_field(clean.data, "site");  // NetBox's clean() sees this one
  check_vm_placement(clean, given_site, host ? int_field(*host, "site") : 0);
  check_vm_host(clean, host, given_site);
  check_vm_disk(clean);
  if (clean.errors.empty()) check_vm_primary_ips(clean);
}

// NetBox's update_virtualmachine_site signal: a cluster scoped to a site moves its VMs there.
void cluster_written(RequestContext& context, int64_t cluster, const json::object*,
                     const json::object* after) {
  if (!after) return;
  const json::value* type = after->if_contains("scope_type");
  const int64_t site = int_field(*after, "scope_id");
  if (!type || !type->is_string() || type->get_string() != "dcim.site" || !site) return;
  const Model& vms = *Registry::instance().by_key("virtualization.virtualmachine");
  Condition where;
  where.add(field_sql("cluster") + " = ?", {cluster});
  for (StoredObject& vm : context.store.select(vms, where, "id", -1, 0)) {
    if (int_field(vm.data, "site") == site) continue;
    vm.data["site"] = site;
    context.store.update(vms, vm.id, vm.data);
  }
}

// A VM's `disk` is the sum of its virtual disks (null when it has none left).
void virtual_disk_written(RequestContext& context, int64_t, const json::object* before,
                          const json::object* after) {
  std::set<int64_t> vms;
  if (before) vms.insert(int_field(*before, "virtual_machine"));
  if (after) vms.insert(int_field(*after, "virtual_machine"));
  const Model& vm_model = *Registry::instance().by_key("virtualization.virtualmachine");
  for (const int64_t vm : vms) {
    auto data = context.store.get(vm_model, vm);
    if (!data) continue;
    const int64_t total = disk_total(context, vm);
    (*data)["disk"] = total < 0 ? json::value(nullptr) : json::value(total);
    context.store.update(vm_model, vm, *data);
  }
}

std::vector<Choice> vm_status() {
  return {{"offline", "Offline"}, {"active", "Active"}, {"planned", "Planned"},
          {"staged", "Staged"},   {"failed", "Failed"}, {"decommissioning", "Decommissioning"}};
}

Model clustertype_model() {
  Model m = organisational("virtualization.clustertype", "virtualization/cluster-types",
                           "ClusterType", "cluster type");
  m.fields.push_back(count("cluster_count", "virtualization.cluster", "type"));
  m.fields.push_back(comments().from("4.5"));
  m.brief.push_back("cluster_count");
  return m;
}

Model clustergroup_model() {
  Model m = organisational("virtualization.clustergroup", "virtualization/cluster-groups",
                           "ClusterGroup", "cluster group");
  m.fields.push_back(count("cluster_count", "virtualization.cluster", "group"));
  m.fields.push_back(comments().from("4.5"));
  m.brief.push_back("cluster_count");
  return m;
}

Model cluster_model() {
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
      {{"group", "name"}, false, {}, "__all__", "A cluster with this name already exists.", "", ""},
      {{"scope_id", "name"},
       false,
       {},
       "__all__",
       "A cluster with this name already exists.",
       "",
       ""},
  };
  m.after_write = cluster_written;
  return m;
}

Model virtualmachine_model() {
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
      // MinValueValidator(Decimal(0.01)): a Decimal of the float 0.01, printed in full.
      number("vcpus")
          .decimal(6, 2)
          .between("0.01000000000000000020816681711721685132943093776702880859375", "")
          .null(),
      positive_integer("memory").null(),
      positive_integer("disk").null(),
      make("start_on_boot", FieldKind::Choice).from("4.5"),
      description(),
      comments(),
      make("local_context_data", FieldKind::Json).null(),
      count("interface_count", "virtualization.vminterface", "virtual_machine").counter(),
      count("virtual_disk_count", "virtualization.virtualdisk", "virtual_machine").counter(),
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
  m.fields.push_back(computed("primary_ip", render_primary_ip));
  m.fields.push_back(derived("config_context", render_config_context));
  m.ignored_on_write = {"config_context", "primary_ip"};
  unmodelled(m, {"config_template"});
  // 4.6 types virtual machines (VirtualMachineType); no type is emulated.
  m.fields.push_back(constant("virtual_machine_type", nullptr).from("4.6"));
  m.not_emulated.emplace_back("virtual_machine_type");
  m.clean = clean_virtual_machine;
  return m;
}

Model vminterface_model() {
  Model m =
      base("virtualization.vminterface", "virtualization/interfaces", "VMInterface", "interface");
  m.fields = {
      fk("virtual_machine", "virtualization.virtualmachine", OnDelete::Cascade).req(),
      name_field(64),
      boolean("enabled", true),
      fk("parent", "virtualization.vminterface").null(),
      fk("bridge", "virtualization.vminterface").null(),
      integer("mtu").between("1", "65536").null(),
      fk("primary_mac_address", "dcim.macaddress").null(),
      through("mac_address", "primary_mac_address", "mac_address"),
      description(),
      choice("mode", interface_modes()).null(),
      fk("untagged_vlan", "ipam.vlan").null(),
      count("count_ipaddresses", "ipam.ipaddress", "assigned_object_id").counter(),
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
  m.fields.push_back(computed("mac_addresses", render_vm_interface_macs));
  m.fields.push_back(constant("l2vpn_termination", nullptr));  // read-only in NetBox
  m.ignored_on_write = {"l2vpn_termination", "mac_addresses"};
  unmodelled(m, {"qinq_svlan", "vlan_translation_policy", "vrf"}, {"tagged_vlans"});
  m.clean = clean_vm_interface;
  return m;
}

Model virtualdisk_model() {
  Model m = base("virtualization.virtualdisk", "virtualization/virtual-disks", "VirtualDisk",
                 "virtual disk");
  m.fields = {
      fk("virtual_machine", "virtualization.virtualmachine", OnDelete::Cascade).req(),
      name_field(64),
      description(),
      positive_integer("size").req(),
  };
  m.brief = {"id", "url", "display", "virtual_machine", "name", "size", "description"};
  m.unique = {{{"virtual_machine", "name"},
               false,
               {},
               "__all__",
               "Virtual disk with this Virtual machine and Name already exists.",
               "",
               ""}};
  m.after_write = virtual_disk_written;
  return m;
}

}  // namespace

void declare_virtualization(std::vector<Model>& models) {
  models.push_back(clustertype_model());
  models.push_back(clustergroup_model());
  models.push_back(cluster_model());
  models.push_back(virtualmachine_model());
  models.push_back(vminterface_model());
  models.push_back(virtualdisk_model());
}

}  // namespace pbx::netbox::models
