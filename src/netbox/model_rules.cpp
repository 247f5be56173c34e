#include "netbox/model_rules.hpp"

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

void check_model_rules(CleanContext& clean) {
  if (clean.model.clean) clean.model.clean(clean);
  check_generic_relations(clean);
}

}  // namespace pbx::netbox
