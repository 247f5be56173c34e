#pragma once
// NetBox's list filters and ordering over the store: `field=value` with lookups (`__n`, `__ic`,
// `__gte`, ... `__empty`), repeated parameters ORed, `q`, tags ANDed, relations by id or slug,
// custom fields (`cf_<name>`), scope and interface-assignment shortcuts. Unknown parameters are
// ignored, as NetBox does; values that cannot match are 400 with NetBox's messages.

#include <string>
#include <vector>

#include "common/result.hpp"
#include "http/message.hpp"
#include "netbox/field_kinds.hpp"
#include "netbox/model.hpp"
#include "netbox/request_context.hpp"
#include "netbox/store.hpp"

namespace pbx::netbox {

// The request's filter parameters as a WHERE clause; NetBox's 400 answer for bad values.
common::Result<Condition, http::Response> build_filter(RequestContext& context, const Model& model,
                                                       const http::Request& request);

// ORDER BY for `ordering=` (comma-separated, "-" descending; unsortable names skipped) or the
// model's default; always ends with id so pages are stable.
std::string order_clause(const Model& model, const http::Request& request);

// The per-kind filters of the field-kind table (netbox/field_kinds.hpp).
// NetBox's ContentTypeFilter: `<app_label>.<model>` (any case); `__n` matches as the plain
// filter does (the filter ignores its lookup), other lookups do not exist; before 4.6 the last
// value counts, from 4.6 any of them.
Filtered filter_content_type(RequestContext& context, const Field& field, const std::string& op,
                             const std::vector<std::string>& values, Condition& where);
Filtered filter_text(RequestContext& context, const Field& field, const std::string& op,
                     const std::vector<std::string>& values, Condition& where);
Filtered filter_integer(RequestContext& context, const Field& field, const std::string& op,
                        const std::vector<std::string>& values, Condition& where);
Filtered filter_number(RequestContext& context, const Field& field, const std::string& op,
                       const std::vector<std::string>& values, Condition& where);
Filtered filter_boolean(RequestContext& context, const Field& field, const std::string& op,
                        const std::vector<std::string>& values, Condition& where);
// `<fk>=slug` (or name when the related model has no slug; "null" for none).
Filtered filter_foreign_key(RequestContext& context, const Field& field, const std::string& op,
                            const std::vector<std::string>& values, Condition& where);
// Each value must be in the list (object_types=dcim.device).
Filtered filter_string_list(RequestContext& context, const Field& field, const std::string& op,
                            const std::vector<std::string>& values, Condition& where);
Filtered filter_ip_family(RequestContext& context, const Field& field, const std::string& op,
                          const std::vector<std::string>& values, Condition& where);
// A MAC address in any form netaddr reads matches its stored form.
Filtered filter_mac(RequestContext& context, const Field& field, const std::string& op,
                    const std::vector<std::string>& values, Condition& where);
// `address=192.0.2.1` matches any mask, as NetBox's net_host lookup does.
Filtered filter_ip_interface(RequestContext& context, const Field& field, const std::string& op,
                             const std::vector<std::string>& values, Condition& where);

}  // namespace pbx::netbox
