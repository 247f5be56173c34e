#pragma once
// What each field kind means, decided in one place: whether a request body writes it, whether
// `ordering=` sorts by it, how a written value is coerced to its stored form, how it is rendered
// and how a filter parameter naming it matches. Writes, lists and rendering ask this table
// instead of switching over kinds themselves.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "netbox/model.hpp"
#include "netbox/store.hpp"

namespace pbx::netbox {

struct RequestContext;

// Written value → stored form; NetBox's message when invalid.
using CoerceFn = std::optional<std::string> (*)(RequestContext& context, const Field& field,
                                                const boost::json::value& input,
                                                boost::json::value& stored);
// The field of a stored object as NetBox renders it.
using RenderFn = boost::json::value (*)(RequestContext& context, const Model& model,
                                        const Field& field, int64_t id,
                                        const boost::json::object& data);
// Adds `field <op> values` (op "" = exact, else a lookup such as "ic", "gte", "n") to `where`;
// NetBox's message for a value that cannot match.
using FilterFn = std::optional<std::string> (*)(RequestContext& context, const Field& field,
                                                const std::string& op,
                                                const std::vector<std::string>& values,
                                                Condition& where);

struct KindBehaviour {
  bool written = false;       // a request body sets it (false: derived, rendered only)
  bool sortable = false;      // `ordering=` accepts it
  CoerceFn coerce = nullptr;  // null exactly when not written
  RenderFn render = nullptr;
  FilterFn filter = nullptr;  // null: NetBox has no filter for it; parameters naming it are ignored
};

const KindBehaviour& behaviour(FieldKind kind);

// Whether a request body writes `field` (its kind is written and the field is not read-only).
bool is_written(const Field& field);

}  // namespace pbx::netbox
