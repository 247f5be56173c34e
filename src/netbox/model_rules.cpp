#include "netbox/model_rules.hpp"

#include "netbox/rendering.hpp"
#include "netbox/values.hpp"

namespace pbx::netbox {
namespace {

namespace json = boost::json;

// Generic relations (scope, assigned_object) must name an existing object.
void check_generic_relations(CleanContext& clean) {
  for (const Field& field : clean.model.fields) {
    if (field.kind != FieldKind::GenericObject) continue;
    const json::value* type = clean.data.if_contains(field.related);
    const json::value* target = clean.data.if_contains(field.via);
    const bool set = type && type->is_string() && target && target->is_int64();
    if (!set) continue;
    const Model* related = Registry::instance().by_key(type->get_string());
    if (!related || !clean.request.store.exists(*related, target->get_int64())) {
      clean.errors[field.via].push_back("Related object not found using the provided numeric ID: " +
                                        std::to_string(target->get_int64()));
    }
  }
}

}  // namespace

std::optional<json::object> related_object(CleanContext& clean, std::string_view field) {
  const int64_t id = int_field(clean.data, field);
  const Field* relation = clean.model.field(field);
  if (!id || !relation) return std::nullopt;
  return clean.request.store.get(*Registry::instance().by_key(relation->related), id);
}

bool ip_on_interface_of(RequestContext& context, const json::object& ip,
                        std::string_view interface_model, std::string_view parent_field,
                        std::optional<int64_t> parent) {
  const json::value* type = ip.if_contains("assigned_object_type");
  if (!type || !type->is_string() || type->get_string() != interface_model) return false;
  const auto interface = context.store.get(*Registry::instance().by_key(interface_model),
                                           int_field(ip, "assigned_object_id"));
  return interface && (!parent || int_field(*interface, parent_field) == *parent);
}

bool check_primary_mac_address(CleanContext& clean) {
  const auto mac = related_object(clean, "primary_mac_address");
  if (!mac) return false;
  const json::value* type = mac->if_contains("assigned_object_type");
  const bool assigned_here = clean.id && type && type->is_string() &&
                             type->get_string() == clean.model.key &&
                             int_field(*mac, "assigned_object_id") == *clean.id;
  if (assigned_here) return false;
  clean.errors["primary_mac_address"].push_back("MAC address " +
                                                std::string(mac->at("mac_address").as_string()) +
                                                " is not assigned to this interface.");
  return true;
}

bool check_interface_relation(CleanContext& clean, const std::string& field,
                              const std::string& self_message, const std::string& label,
                              const std::string& parent_field, const std::string& parent_noun) {
  const int64_t target = int_field(clean.data, field);
  if (!target) return false;
  if (clean.id && target == *clean.id) return clean.fail(field, self_message);
  const auto other = related_object(clean, field);
  const int64_t parent = int_field(clean.data, parent_field);
  if (!other || int_field(*other, parent_field) == parent) return false;
  const std::string& parent_model = clean.model.field(parent_field)->related;
  return clean.fail(
      field, "The selected " + label + " interface (" + display(clean.model, target, *other) +
                 ") belongs to a different " + parent_noun + " (" +
                 display_of(clean.request, parent_model, int_field(*other, parent_field)) + ").");
}

bool check_untagged_vlan(CleanContext& clean, const std::string& parent_field,
                         const std::string& parent_noun) {
  const json::value* mode = clean.data.if_contains("mode");
  if (!mode || !mode->is_string() || mode->get_string().empty()) {
    clean.data["untagged_vlan"] = nullptr;
    return false;
  }
  const auto vlan = related_object(clean, "untagged_vlan");
  const auto parent = related_object(clean, parent_field);
  const int64_t vlan_site = vlan ? int_field(*vlan, "site") : 0;
  if (!vlan_site || vlan_site == (parent ? int_field(*parent, "site") : 0)) return false;
  return clean.fail(
      "untagged_vlan",
      "The untagged VLAN (" +
          display_of(clean.request, "ipam.vlan", int_field(clean.data, "untagged_vlan")) +
          ") must belong to the same site as the interface's parent " + parent_noun +
          ", or it must be global.");
}

void check_model_rules(CleanContext& clean) {
  if (clean.model.clean) clean.model.clean(clean);
  check_generic_relations(clean);
}

}  // namespace pbx::netbox
