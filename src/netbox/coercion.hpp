#pragma once
// Validation and coercion of written values with DRF's / NetBox's rules and messages: each
// field kind's coercion (see netbox/field_kinds.hpp), relations written as ids or attribute
// dicts, tags, unknown body fields, and uniqueness rules.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "netbox/errors.hpp"
#include "netbox/field_kinds.hpp"
#include "netbox/model.hpp"
#include "netbox/request_context.hpp"

namespace pbx::netbox {

// A relation written as an id, a numeric string or a dict of attributes (nested dicts and one
// `<fk>__<field>` hop too) → the related object's id, or NetBox's message.
common::Result<int64_t, std::string> resolve_related(RequestContext& context, const Model& related,
                                                     const boost::json::value& value);

// `tags` (and 4.6 add_tags/remove_tags): a list of tag ids or {name,slug} dicts → unique ids,
// or NetBox's message.
common::Result<boost::json::array, std::string> coerce_tags(RequestContext& context,
                                                            const boost::json::value& input);

// Body fields the model does not have: "Unknown field." with --strict-fields (ignored otherwise,
// as DRF ignores them); a writable NetBox field the emulator does not model: always refused,
// saying so. Read-only fields NetBox serialises pass.
void check_unknown_fields(const RequestContext& context, const Model& model,
                          const boost::json::object& body, Errors& errors);

// The lookup of the rows that `out` (object `id`, if stored) would clash with under `rule`; none
// when the rule does not apply (a field of it null or missing, a when_null scope set).
std::optional<Condition> unique_condition(const UniqueRule& rule, const boost::json::object& out,
                                          std::optional<int64_t> id);

// The model's uniqueness rules of this version against every other stored object.
void check_unique(RequestContext& context, const Model& model, const boost::json::object& out,
                  std::optional<int64_t> id, Errors& errors);

// The per-kind coercions of the field-kind table: the written value's stored form, or NetBox's
// message.
Coerced coerce_text(RequestContext& context, const Field& field, const boost::json::value& input);
Coerced coerce_integer(RequestContext& context, const Field& field,
                       const boost::json::value& input);
Coerced coerce_number(RequestContext& context, const Field& field, const boost::json::value& input);
Coerced coerce_boolean(RequestContext& context, const Field& field,
                       const boost::json::value& input);
Coerced coerce_choice(RequestContext& context, const Field& field, const boost::json::value& input);
Coerced coerce_foreign_key(RequestContext& context, const Field& field,
                           const boost::json::value& input);
Coerced coerce_json(RequestContext& context, const Field& field, const boost::json::value& input);
Coerced coerce_string_list(RequestContext& context, const Field& field,
                           const boost::json::value& input);
Coerced coerce_datetime(RequestContext& context, const Field& field,
                        const boost::json::value& input);
Coerced coerce_content_type(RequestContext& context, const Field& field,
                            const boost::json::value& input);
Coerced coerce_mac(RequestContext& context, const Field& field, const boost::json::value& input);
Coerced coerce_ip(RequestContext& context, const Field& field, const boost::json::value& input);

}  // namespace pbx::netbox
