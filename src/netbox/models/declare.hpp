#pragma once
// What every app's model declarations share: the field and model builders that make the
// registry read as a table, and one declaration function per NetBox app (src/netbox/models/*.cpp).
// Registry() calls them in a fixed order; the order is the order of /api/ roots and tables.

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "netbox/model.hpp"

namespace pbx::netbox::models {

namespace json = boost::json;

inline Field make(std::string name, FieldKind kind) {
  Field field;
  field.name = std::move(name);
  field.kind = kind;
  return field;
}
inline Field str(std::string name, size_t max_length = 0) {
  Field field = make(std::move(name), FieldKind::String);
  field.max_length = max_length;
  return field;
}
inline Field name_field(size_t max_length) {
  return str("name", max_length).req();
}
inline Field slug() {
  Field field = make("slug", FieldKind::Slug);
  field.max_length = 100;
  return field.req();
}
inline Field description() {
  return str("description", 200);
}
inline Field comments() {
  return str("comments");
}
inline Field integer(std::string name) {
  return make(std::move(name), FieldKind::Integer);
}
// Django's PositiveIntegerField and PositiveSmallIntegerField on PostgreSQL: the column's range
// is the limit DRF checks.
inline Field positive_integer(std::string name) {
  return integer(std::move(name)).between("0", "2147483647");
}
inline Field positive_small_integer(std::string name) {
  return integer(std::move(name)).between("0", "32767");
}
inline Field number(std::string name) {
  return make(std::move(name), FieldKind::Number);
}
inline Field boolean(std::string name, bool value) {
  return make(std::move(name), FieldKind::Boolean).def(value);
}
inline Field choice(std::string name, std::vector<Choice> choices) {
  Field field = make(std::move(name), FieldKind::Choice);
  field.choices = std::move(choices);
  return field;
}
inline Field fk(std::string name, std::string related, OnDelete on_delete = OnDelete::SetNull) {
  Field field = make(std::move(name), FieldKind::ForeignKey);
  field.related = std::move(related);
  field.on_delete = on_delete;
  return field;
}
inline Field count(std::string name, std::string related, std::string via) {
  Field field = make(std::move(name), FieldKind::Count);
  field.related = std::move(related);
  field.via = std::move(via);
  field.read_only = true;
  field.annotated = true;
  return field;
}
inline Field total(std::string name, std::string related, std::string via, std::string summed) {
  Field field = count(std::move(name), std::move(related), std::move(via));
  field.kind = FieldKind::Total;
  field.summed = std::move(summed);
  return field;
}
inline Field constant(std::string name, json::value value) {
  Field field = make(std::move(name), FieldKind::Constant);
  field.default_value = std::move(value);
  field.read_only = true;
  return field;
}
// Read-only: `attribute` of the object the foreign key `relation` names (interface mac_address).
inline Field through(std::string name, std::string relation, std::string attribute) {
  Field field = make(std::move(name), FieldKind::Through);
  field.related = std::move(relation);
  field.via = std::move(attribute);
  field.read_only = true;
  return field;
}
// A read-only value computed from the stored object and other rows.
inline Field computed(std::string name, json::value (*compute)(RequestContext& context, int64_t id,
                                                               const json::object& data)) {
  Field field = make(std::move(name), FieldKind::Constant);
  field.compute = compute;
  field.read_only = true;
  return field;
}
// A read-only value computed from the object's own stored data.
inline Field derived(std::string name, json::value (*derive)(const json::object& data)) {
  Field field = make(std::move(name), FieldKind::Constant);
  field.derive = derive;
  field.read_only = true;
  return field;
}
inline Field content_type(std::string name, std::vector<std::string> allowed) {
  Field field = make(std::move(name), FieldKind::ContentType).null();
  field.allowed_types = std::move(allowed);
  return field;
}
inline Field generic_object(std::string name, std::string type_field, std::string id_field) {
  Field field = make(std::move(name), FieldKind::GenericObject);
  field.related = std::move(type_field);
  field.via = std::move(id_field);
  field.read_only = true;
  return field;
}
inline Field family(std::string address_field) {
  Field field = make("family", FieldKind::IpFamily);
  field.via = std::move(address_field);
  field.read_only = true;
  return field;
}
inline Field datetime(std::string name) {
  return make(std::move(name), FieldKind::DateTime).null();
}

// NetBox fields the emulator does not model, rendered as NetBox renders them unset: null, or []
// for those in `lists`. Model::not_emulated lists them too, so a write of anything but that
// empty value is refused with a message saying so.
inline void unmodelled(Model& model, std::initializer_list<const char*> nulls,
                       std::initializer_list<const char*> lists = {}) {
  for (const char* name : nulls) {
    model.fields.push_back(constant(name, nullptr));
    model.not_emulated.emplace_back(name);
  }
  for (const char* name : lists) {
    model.fields.push_back(constant(name, json::array{}));
    model.not_emulated.emplace_back(name);
  }
}

// What devices and virtual machines render beside their stored fields: `primary_ip` (the
// IPv6 one, else the IPv4 one: NetBox's PREFER_IPV4 is off by default) and `config_context`
// (no config contexts are emulated, so only the object's own local_context_data).
json::value render_primary_ip(RequestContext& context, int64_t id, const json::object& data);
json::value render_config_context(const json::object& data);
// An interface's MAC addresses (brief), ordered as NetBox orders them.
json::value render_dcim_interface_macs(RequestContext& context, int64_t id,
                                       const json::object& data);
json::value render_vm_interface_macs(RequestContext& context, int64_t id, const json::object& data);

inline UniqueRule unique_field(const std::string& verbose, const std::string& field) {
  return {{field}, false, {}, field, verbose + " with this " + field + " already exists.", "", ""};
}

// Name/slug/description organisational models (Site-like) share this skeleton.
inline Model organisational(std::string key, std::string path, std::string class_name,
                            std::string verbose) {
  Model model;
  model.key = std::move(key);
  model.path = std::move(path);
  model.class_name = std::move(class_name);
  model.verbose = std::move(verbose);
  model.fields = {name_field(100), slug(), description()};
  model.brief = {"id", "url", "display", "name", "slug", "description"};
  model.unique = {unique_field(model.verbose, "name"), unique_field(model.verbose, "slug")};
  model.display = "{name}";
  model.search = {"name", "slug", "description"};
  model.ordering = "name";
  return model;
}

inline Model base(std::string key, std::string path, std::string class_name, std::string verbose) {
  Model model;
  model.key = std::move(key);
  model.path = std::move(path);
  model.class_name = std::move(class_name);
  model.verbose = std::move(verbose);
  model.display = "{name}";
  model.search = {"name", "description"};
  model.ordering = "name";
  return model;
}

// An interface's 802.1Q mode (dcim and virtualization interfaces).
inline std::vector<Choice> interface_modes() {
  return {{"access", "Access"},
          {"tagged", "Tagged"},
          {"tagged-all", "Tagged (All)"},
          {"q-in-q", "Q-in-Q (802.1ad)"}};
}

// Generic relations that name an interface (IP and MAC address assignment).
inline const std::vector<std::string> kInterfaceTypes = {"dcim.interface",
                                                         "virtualization.vminterface"};

void declare_tenancy(std::vector<Model>& models);
void declare_extras(std::vector<Model>& models);
// Journal entries may name any model with NetBox's journaling feature: run once every model is
// declared.
void allow_journaling(std::vector<Model>& all);
void declare_dcim(std::vector<Model>& models);
void declare_dcim_locations(std::vector<Model>& models);  // regions, site groups, locations, racks
void declare_virtualization(std::vector<Model>& models);
void declare_ipam(std::vector<Model>& models);
void declare_ipam_services(std::vector<Model>& models);
void declare_plugin_proxbox(std::vector<Model>& models);
void declare_users(std::vector<Model>& models);

}  // namespace pbx::netbox::models
