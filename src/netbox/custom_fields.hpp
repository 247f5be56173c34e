#pragma once
// Custom fields: which apply to a model, how their values are validated on write (NetBox's
// CustomFieldsMixin.clean and CustomField.validate, with their messages) and rendered, and the
// values of a choice set.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "netbox/errors.hpp"
#include "netbox/model.hpp"
#include "netbox/request_context.hpp"

namespace pbx::netbox {

// Every extras.customfield row (by name), read once per request.
const std::vector<StoredObject>& custom_field_rows(RequestContext& context);
// The definitions that apply to `model`, in name order.
std::vector<const boost::json::object*> custom_fields_for(RequestContext& context,
                                                          const Model& model);

// An object/multiobject value as nested objects; anything else as stored.
boost::json::value render_custom_field_value(RequestContext& context,
                                             const boost::json::object& definition,
                                             const boost::json::value& value);

// Merges `input` (the body's custom_fields, may be null) into out["custom_fields"], applying
// defaults on create, and validates every value; messages go to __all__ as NetBox puts them.
void validate_custom_fields(RequestContext& context, const Model& model,
                            const boost::json::value* input, bool creating,
                            boost::json::object& out, Errors& errors);

// The values of a choice set's extra_choices ([[value, label], ...]).
std::set<std::string> choice_values(const boost::json::object& set);

// The `data_type` NetBox reports for a custom field type.
std::string custom_field_data_type(std::string_view type);

}  // namespace pbx::netbox
