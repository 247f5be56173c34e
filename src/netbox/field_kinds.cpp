#include "netbox/field_kinds.hpp"

#include <array>
#include <stdexcept>

#include "netbox/coercion.hpp"
#include "netbox/filters.hpp"
#include "netbox/rendering.hpp"

namespace pbx::netbox {
namespace {

constexpr size_t kKinds = static_cast<size_t>(FieldKind::IpFamily) + 1;

KindBehaviour stored(CoerceFn coerce, RenderFn render, FilterFn filter) {
  return {true, true, coerce, render, filter};
}
KindBehaviour derived(RenderFn render, FilterFn filter = nullptr) {
  return {false, false, nullptr, render, filter};
}

// One row per FieldKind, in the enum's order.
std::array<KindBehaviour, kKinds> make_table() {
  std::array<KindBehaviour, kKinds> table;
  auto set = [&](FieldKind kind, KindBehaviour row) { table[static_cast<size_t>(kind)] = row; };
  set(FieldKind::String, stored(coerce_text, render_text, filter_text));
  set(FieldKind::Slug, stored(coerce_text, render_text, filter_text));
  set(FieldKind::Integer, stored(coerce_integer, render_value, filter_integer));
  set(FieldKind::Number, stored(coerce_number, render_value, filter_number));
  set(FieldKind::Boolean, stored(coerce_boolean, render_value, filter_boolean));
  set(FieldKind::Choice, stored(coerce_choice, render_choice, filter_text));
  set(FieldKind::ForeignKey, stored(coerce_foreign_key, render_foreign_key, filter_foreign_key));
  set(FieldKind::Json, stored(coerce_json, render_value, nullptr));
  set(FieldKind::StringList, stored(coerce_string_list, render_value, filter_string_list));
  set(FieldKind::DateTime, stored(coerce_datetime, render_value, filter_text));
  set(FieldKind::ContentType, stored(coerce_content_type, render_value, filter_content_type));
  set(FieldKind::GenericId, stored(coerce_integer, render_value, filter_integer));
  set(FieldKind::GenericObject, derived(render_generic_object));
  set(FieldKind::Count, derived(render_count));
  set(FieldKind::Total, derived(render_total));
  set(FieldKind::Constant, derived(render_constant));
  set(FieldKind::IpInterface, stored(coerce_ip, render_value, filter_ip_interface));
  set(FieldKind::IpNetwork, stored(coerce_ip, render_value, filter_text));
  set(FieldKind::MacAddress, stored(coerce_mac, render_value, filter_mac));
  set(FieldKind::Through, derived(render_through));
  set(FieldKind::IpFamily, derived(render_ip_family, filter_ip_family));
  for (const KindBehaviour& row : table) {
    // A kind added to the enum without its row here would render as a null call.
    if (!row.render) throw std::logic_error("netbox: a FieldKind has no behaviour row");
  }
  return table;
}

}  // namespace

const KindBehaviour& behaviour(FieldKind kind) {
  static const std::array<KindBehaviour, kKinds> table = make_table();
  return table.at(static_cast<size_t>(kind));
}

bool is_written(const Field& field) {
  return !field.read_only && behaviour(field.kind).written;
}

}  // namespace pbx::netbox
