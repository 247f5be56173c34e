#pragma once
// What each field kind means, decided in one place: whether a request body writes it, whether
// `ordering=` sorts by it, how a written value is coerced to its stored form, how it is rendered
// and how a filter parameter naming it matches. Writes, lists and rendering ask this table
// instead of switching over kinds themselves.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "netbox/model.hpp"
#include "netbox/store.hpp"

namespace pbx::netbox {

struct RequestContext;

// A written value's stored form, or NetBox's message for why it is not taken.
using Coerced = common::Result<boost::json::value, std::string>;
// Written value → stored form.
using CoerceFn = Coerced (*)(RequestContext& context, const Field& field,
                             const boost::json::value& input);
// The field of a stored object as NetBox renders it.
using RenderFn = boost::json::value (*)(RequestContext& context, const Model& model,
                                        const Field& field, int64_t id,
                                        const boost::json::object& data);
// Done (the filter is added to `where`), or NetBox's message for a value that cannot match.
using Filtered = common::Result<void, std::string>;
// Adds `field <op> values` (op "" = exact, else a lookup such as "ic", "gte", "n") to `where`.
using FilterFn = Filtered (*)(RequestContext& context, const Field& field, const std::string& op,
                              const std::vector<std::string>& values, Condition& where);

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
