// NetBox ipam services: a protocol and its ports on a device or a virtual machine. Until 4.3 the
// parent is one of two foreign keys (`device`, `virtual_machine`); from 4.3 it is a generic
// relation (`parent_object_type` + `parent_object_id`, read back as `parent`). Rules from
// NetBox's ipam/models/services.py.

#include "netbox/model_rules.hpp"
#include "netbox/models/declare.hpp"
#include "netbox/values.hpp"

namespace pbx::netbox::models {

namespace {

// What a service port may be (ipam.constants SERVICE_PORT_MIN/MAX).
constexpr int64_t kPortMin = 1;
constexpr int64_t kPortMax = 65535;

// `ports` is an ArrayField of integers: DRF's ListField messages, the first problem only.
bool check_ports(CleanContext& clean) {
  const json::value* ports = clean.data.if_contains("ports");
  if (!ports || ports->is_null()) return false;  // "required" is checked with the fields
  if (!ports->is_array()) {
    clean.errors["ports"].push_back("Expected a list of items but got type \"" +
                                    python_type(*ports) + "\".");
    return true;
  }
  if (ports->get_array().empty()) {
    clean.errors["ports"].push_back("This field is required.");
    return true;
  }
  json::array normalised;
  for (const json::value& port : ports->get_array()) {
    std::optional<int64_t> number;
    if (port.is_int64()) number = port.get_int64();
    if (port.is_string()) number = parse_integer(port.get_string());
    if (!number) {
      clean.errors["ports"].push_back("A valid integer is required.");
      return true;
    }
    if (*number < kPortMin) {
      clean.errors["ports"].push_back("Ensure this value is greater than or equal to 1.");
      return true;
    }
    if (*number > kPortMax) {
      clean.errors["ports"].push_back("Ensure this value is less than or equal to 65535.");
      return true;
    }
    normalised.push_back(*number);
  }
  clean.data["ports"] = std::move(normalised);
  return false;
}

// Service.clean (until 4.3): exactly one of device and virtual machine.
void clean_service(CleanContext& clean) {
  if (check_ports(clean) || clean.at_least("4.3")) return;
  const bool device = int_field(clean.data, "device") != 0;
  const bool vm = int_field(clean.data, "virtual_machine") != 0;
  if (device && vm) {
    clean.errors["__all__"].push_back(
        "A service cannot be associated with both a device and a virtual machine.");
  } else if (!device && !vm) {
    clean.errors["__all__"].push_back(
        "A service must be associated with either a device or a virtual machine.");
  }
}

Model service_model() {
  Model m = base("ipam.service", "ipam/services", "Service", "service");
  m.fields = {
      fk("device", "dcim.device", OnDelete::Cascade).null().before("4.3"),
      fk("virtual_machine", "virtualization.virtualmachine", OnDelete::Cascade)
          .null()
          .before("4.3"),
      content_type("parent_object_type", {"dcim.device", "virtualization.virtualmachine"})
          .req()
          .from("4.3"),
      make("parent_object_id", FieldKind::GenericId).req().from("4.3"),
      generic_object("parent", "parent_object_type", "parent_object_id")
          .on_del(OnDelete::Cascade)  // the parent's GenericRelation deletes its services
          .from("4.3"),
      name_field(100),
      choice("protocol", {{"tcp", "TCP"}, {"udp", "UDP"}, {"sctp", "SCTP"}}).req(),
      make("ports", FieldKind::Json).req(),
      description(),
      comments(),
  };
  m.brief = {"id", "url", "display", "name", "protocol", "ports", "description"};
  m.search = {"name", "description"};
  m.clean = clean_service;
  m.not_emulated = {"ipaddresses"};
  return m;
}

}  // namespace

void declare_ipam_services(std::vector<Model>& models) {
  models.push_back(service_model());
}

}  // namespace pbx::netbox::models
