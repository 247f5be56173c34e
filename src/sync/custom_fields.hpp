#pragma once
// The NetBox custom fields proxbox owns: upstream proxbox-api's inventory
// (proxbox_api/services/custom_fields.py) as data, one row per field, and the two operations on
// a NetBox: check (is exactly this set there?) and reconcile (make it so, idempotently).

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sync/netbox_client.hpp"

namespace pbx::sync {

struct CustomFieldDefinition {
  std::string_view name;
  std::string_view type;  // NetBox CustomField type: text, integer, boolean, url, datetime, object
  std::string_view label;
  std::string_view description;
  std::vector<std::string_view> object_types;  // "virtualization.virtualmachine", ...
  std::string_view ui_visible = "if-set";
  int weight = 100;
  std::string_view group_name = "Proxmox";
  std::string_view related_object_type = {};  // for type "object"
};

// Every field, in upstream's order.
std::span<const CustomFieldDefinition> custom_field_set();

// The NetBox CustomField write body of one definition (ui_editable hidden, filter_logic loose,
// search_weight 1000, as upstream).
boost::json::object to_netbox(const CustomFieldDefinition& definition);

// A field that names one of the netbox-proxbox plugin's own object types (as an object type or
// as the related type of an object field). NetBox refuses it where the plugin is not installed.
bool needs_proxbox_plugin(const CustomFieldDefinition& definition);

// The fields the given NetBox can hold: all of them with the plugin, the others without it.
std::vector<CustomFieldDefinition> custom_fields_for(const NetBoxStatus& status);

// Those definitions as NetBox CustomField objects to create.
std::vector<boost::json::object> custom_field_definitions(const NetBoxStatus& status);

// The object types `current` (a CustomField as NetBox holds it) must list so that it also covers
// every type of `wanted` (ours, to_netbox): its own followed by ours it lacks, or nullopt when
// none is lacking. An operator's (or the plugin's) extra types stay.
std::optional<boost::json::array> merged_object_types(const boost::json::object& wanted,
                                                      const boost::json::object& current);

// One field this NetBox can hold against what NetBox holds: the object we want, NetBox's (null
// when it lacks the field) and the PATCH, without the id, that would make NetBox's as ours
// (difference: empty when equal; object types: ours added, an operator's kept).
struct CustomFieldState {
  CustomFieldDefinition definition;
  boost::json::object wanted;                    // to_netbox(definition)
  const boost::json::object* current = nullptr;  // into the list given to compare_custom_fields
  boost::json::object patch;
};

// The fields of the set this NetBox can hold, as NetBox holds them, in NetBox's order. Throws
// NetBoxError / TransportError when NetBox cannot be read.
std::vector<boost::json::object> read_custom_fields(NetBoxClient& netbox,
                                                    const NetBoxStatus& status);

// The one walk over the set that check, reconcile and the sync's ensure_custom_fields share:
// each field of custom_fields_for(status), in the set's order, against `current`.
std::vector<CustomFieldState> compare_custom_fields(
    const NetBoxStatus& status, const std::vector<boost::json::object>& current);

// How a NetBox's custom fields compare with the set.
struct CustomFieldReport {
  size_t expected = 0;                 // how many fields this NetBox can hold
  std::vector<std::string> left_out;   // need the netbox-proxbox plugin, which NetBox lacks
  std::vector<std::string> present;    // there, with every attribute we own as defined
  std::vector<std::string> missing;    // not there
  std::vector<std::string> different;  // there, with an attribute that differs ("name: label")
  std::vector<std::string> created, updated;  // what reconcile wrote
  bool complete() const { return missing.empty() && different.empty(); }
  boost::json::object to_json() const;
};

// Reads the custom fields of the set from NetBox and compares. Throws NetBoxError /
// TransportError when NetBox cannot be read.
// `status` says which fields this NetBox can hold (custom_fields_for).
CustomFieldReport check_custom_fields(NetBoxClient& netbox, const NetBoxStatus& status);

// Creates the missing fields and PATCHes the attributes that differ (object types: adds ours,
// keeps types an operator added); a second call writes nothing. The report describes NetBox
// afterwards, with `created`/`updated` naming what was written.
CustomFieldReport reconcile_custom_fields(NetBoxClient& netbox, const NetBoxStatus& status);

}  // namespace pbx::sync
