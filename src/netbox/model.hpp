#pragma once
// The NetBox models the emulator serves, declared once as data. Generic code (store, codec,
// emulator) reads these declarations to validate, persist, filter and render every model, so a
// new model or field is a declaration here, never a new handler.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pbx::netbox {

enum class FieldKind {
  String,         // CharField: max_length, blank rules
  Slug,           // ^[-a-zA-Z0-9_]+$
  Integer,        // IntegerField (bools rejected)
  Number,         // FloatField / DecimalField
  Boolean,        // BooleanField, DRF's lenient spellings accepted
  Choice,         // written as the raw value, read as {"value","label"}
  ForeignKey,     // stored as an id, written as id or attribute dict, read as the brief object
  Json,           // any JSON value
  StringList,     // e.g. Tag/CustomField object_types
  DateTime,       // ISO 8601 text
  ContentType,    // "app.model" naming the target of a generic relation (scope_type, ...)
  GenericId,      // the id half of a generic relation
  GenericObject,  // read-only: the object named by a (ContentType, GenericId) pair
  Count,          // read-only: rows of `related` whose `via` field points here
  Total,          // read-only: sum of `summed` over those rows; null when none has a value
  Constant,       // read-only value the schema requires but the emulator does not model, or
                  // one derived from the object's own data (Field::derive)
  IpInterface,    // "192.0.2.1/24" host address with mask
  IpNetwork,      // "192.0.2.0/24" network, normalised to its network address
  MacAddress,     // EUI-48, written in any of netaddr's forms, stored as "AA:BB:CC:DD:EE:FF"
  Through,        // read-only: the `via` field of the object the `related` foreign key names
  IpFamily,       // read-only {"value":4|6,"label"} derived from the `via` address field
  // IpFamily stays last: netbox/field_kinds.cpp sizes its table by it.
};

enum class OnDelete { Protect, Cascade, SetNull };

struct CleanContext;    // netbox/model_rules.hpp
struct RequestContext;  // netbox/request_context.hpp

// A model's own validation beyond its fields (NetBox keeps it in each model's clean()): reads
// and may complete the object being written, adds NetBox's messages to the context's errors.
using CleanRule = void (*)(CleanContext& clean);
// Keeps data derived from this model in step after a write or delete of object `id`
// (before/after: the stored object, null when it did not exist / no longer exists).
using AfterWriteRule = void (*)(RequestContext& context, int64_t id,
                                const boost::json::object* before,
                                const boost::json::object* after);

struct Choice {
  std::string value;
  std::string label;
};

struct Field {
  std::string name;
  FieldKind kind = FieldKind::String;
  bool required = false;
  bool nullable = false;
  bool read_only = false;
  bool allow_blank = true;
  size_t max_length = 0;  // 0: unlimited
  std::optional<boost::json::value> default_value;
  std::vector<Choice> choices;
  std::string related;  // ForeignKey/Count: model key; GenericObject: its ContentType field
  std::string via;      // Count/Total: fk field on `related`; GenericObject: its GenericId field
  std::string summed;   // Total: the field of `related` that is summed
  std::vector<std::string> allowed_types;  // ContentType: accepted "app.model" values
  OnDelete on_delete = OnDelete::SetNull;
  std::string since;  // first NetBox version with the field ("" = always)
  std::string until;  // first NetBox version without it ("" = still there)
  // Count/Total: a queryset annotation (RelatedObjectCountField, Sum()), so NetBox renders it
  // only for the object its own endpoint read (lists, details, updates; creates from 4.5), never
  // in a nested object: there it is left out, or is default_value when the serializer has one.
  // False for counter caches and model properties, rendered wherever the field is.
  bool annotated = false;
  std::string counter_from;  // first version where it is a counter cache instead ("" = never)
  std::string default_from;  // first version whose serializer has default_value ("" = all)
  // Constant: the value computed from the object's stored data instead of default_value.
  boost::json::value (*derive)(const boost::json::object& data) = nullptr;
  // Constant: the value computed from the stored object and other rows (a VLAN group's
  // utilization), instead of default_value.
  boost::json::value (*compute)(RequestContext& context, int64_t id,
                                const boost::json::object& data) = nullptr;
  // Number: Django's DecimalField(max_digits, decimal_places), checked as DRF does (0: none).
  int max_digits = 0;
  int decimal_places = 0;
  // Integer/Number: the model's value limits (Min/MaxValueValidator, or the column's range),
  // written as NetBox prints them in its messages ("" = no limit).
  std::string min_value;
  std::string max_value;

  // Fluent modifiers so the registry reads as a table.
  Field& req() {
    required = true;
    allow_blank = false;
    return *this;
  }
  Field& null() {
    nullable = true;
    return *this;
  }
  Field& no_blank() {
    allow_blank = false;
    return *this;
  }
  Field& def(boost::json::value value) {
    default_value = std::move(value);
    return *this;
  }
  Field& on_del(OnDelete action) {
    on_delete = action;
    return *this;
  }
  Field& from(std::string version) {
    since = std::move(version);
    return *this;
  }
  Field& before(std::string version) {
    until = std::move(version);
    return *this;
  }
  // Count: a counter cache or model property, not an annotation (see `annotated`).
  Field& counter() {
    annotated = false;
    return *this;
  }
  // Count: a counter cache from `version` on, an annotation before.
  Field& counter_from_version(std::string version) {
    counter_from = std::move(version);
    return *this;
  }
  // Count: rendered as `value` where not annotated, from `version` on (DRF's default=).
  Field& unannotated(boost::json::value value, std::string version) {
    default_value = std::move(value);
    default_from = std::move(version);
    return *this;
  }
  // Constant: a count NetBox annotates that the emulator does not model (see `annotated`).
  Field& annotation() {
    annotated = true;
    return *this;
  }
  Field& decimal(int digits, int places) {
    max_digits = digits;
    decimal_places = places;
    return *this;
  }
  Field& between(std::string minimum, std::string maximum) {
    min_value = std::move(minimum);
    max_value = std::move(maximum);
    return *this;
  }
};

// A uniqueness rule. Rows whose constrained fields are null never collide (SQL semantics);
// `when_null` scopes a rule to rows where those fields are null (Django's conditional
// constraints), `since`/`until` to the NetBox versions that have it.
struct UniqueRule {
  std::vector<std::string> fields;
  bool case_insensitive_first = false;  // Lower(name) constraints
  std::vector<std::string> when_null;
  std::string error_key;  // a field name, or "__all__"
  std::string message;
  std::string since;  // first NetBox version with the rule ("" = always)
  std::string until;  // first NetBox version without it ("" = still there)
};

struct Model {
  std::string key;         // content type, "virtualization.virtualmachine"
  std::string path;        // below /api/, "virtualization/virtual-machines"
  std::string class_name;  // "VirtualMachine", for "No VirtualMachine matches the given query."
  std::string verbose;     // "virtual machine"
  std::vector<Field> fields;
  std::vector<std::string> brief;  // field names of the nested/brief form
  // Brief fields a later version dropped: name → first version without it.
  std::vector<std::pair<std::string, std::string>> brief_until;
  std::vector<UniqueRule> unique;
  std::string display;              // "{name}" template over stored fields
  std::string display_fallback;     // used when the template's fields are empty
  std::vector<std::string> search;  // fields `q` searches
  std::string ordering = "id";      // default ordering field
  bool tags = true;
  bool custom_fields = true;
  std::string since;
  // Read-only properties NetBox serialises but the emulator does not render (config_context,
  // mac_addresses, ...). Clients echo fetched objects back, and NetBox ignores these on write.
  std::vector<std::string> ignored_on_write;
  // Writable NetBox fields the emulator does not model (rack, vrf, ...): refused with a message
  // saying so, instead of being dropped silently or called unknown.
  std::vector<std::string> not_emulated;
  CleanRule clean = nullptr;             // the model's clean(), run before uniqueness checks
  AfterWriteRule after_write = nullptr;  // derived data of other objects kept in step

  std::string table() const;
  std::string app() const;  // "virtualization"
  const Field* field(std::string_view name) const;
};

class Registry {
 public:
  static const Registry& instance();
  const Model* by_key(std::string_view key) const;
  const Model* by_path(std::string_view path) const;
  const std::vector<Model>& models() const { return models_; }
  // Foreign keys (model, field) in any model that point at `key`.
  std::vector<std::pair<const Model*, const Field*>> references_to(std::string_view key) const;

 private:
  Registry();
  std::vector<Model> models_;
};

// "4.2" < "4.10": compares dotted numeric versions.
int compare_versions(std::string_view a, std::string_view b);
bool field_in_version(const Field& field, std::string_view version);
bool rule_in_version(const UniqueRule& rule, std::string_view version);

}  // namespace pbx::netbox
