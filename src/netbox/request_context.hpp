#pragma once
// What serving one request needs, handed explicitly to every step of it: the store and the
// NetBox version the emulator behaves as, the base URL links are built from, and caches that
// live for one request only (rendered nested objects, custom field definitions, counts of a list
// page) so a page reads each related object once.

#include <boost/json/value.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/message.hpp"
#include "netbox/emulator.hpp"
#include "netbox/model.hpp"
#include "netbox/store.hpp"

namespace pbx::netbox {

// Every field name of each served model in rendering order, for the emulated version.
using FieldOrder = std::map<const Model*, std::vector<std::string>>;

struct RequestContext {
  Store& store;
  const EmulatorOptions& options;
  const FieldOrder& field_order;
  std::string base;  // "https://netbox.example"

  std::map<std::pair<const Model*, int64_t>, boost::json::value> nested;
  std::optional<std::vector<StoredObject>> custom_fields;  // extras.customfield rows, by name
  std::map<int64_t, int64_t> cluster_sites;  // cluster id → scoped site id (0: none)
  std::map<std::pair<const Field*, int64_t>, int64_t> counts;             // per list page
  std::map<std::pair<const Field*, int64_t>, boost::json::value> totals;  // likewise
  // Whether the object rendered at the top (not nested) carries NetBox's queryset annotations
  // (Field::annotated): false for a create response before 4.5.
  bool annotated = true;
  int nesting = 0;  // > 0 while a nested object renders
  // A PATCH answer rendered by its partial serializer (before 4.5.2 re-read the object): DRF
  // skips a field's default there, so an unannotated count with a default is left out.
  bool partial = false;

  // Whether the emulated NetBox is `version` or later.
  bool at_least(std::string_view version) const;
};

// "scheme://host" of the request as the client sees it: X-Forwarded-Proto/-Host (first entry)
// when a proxy sets them, else the connection's scheme and the Host header.
std::string base_url(const http::Request& request);

}  // namespace pbx::netbox
