// NetBox tenancy app: tenants.

#include "netbox/models/declare.hpp"

namespace pbx::netbox::models {

namespace {

Model tenant_model() {
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
  return m;
}

}  // namespace

void declare_tenancy(std::vector<Model>& models) {
  models.push_back(tenant_model());
}

}  // namespace pbx::netbox::models
