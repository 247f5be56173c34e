#pragma once
// Objects as NetBox renders them: every field of the version in NetBox's order (or the brief
// form, `fields=`, minus 4.6's `omit=`), relations as nested brief objects, choices as
// {value,label}, counts and totals over related rows, url/display_url/display, tags and custom
// fields. Nested objects and a page's counts are read once per request (RequestContext caches).

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "netbox/model.hpp"
#include "netbox/request_context.hpp"

namespace pbx::netbox {

// Every field of each of `models` in rendering order for `version`.
FieldOrder field_order_for(const std::vector<const Model*>& models, std::string_view version);

std::string object_url(const RequestContext& context, const Model& model, int64_t id);
// The model's display template over the stored data ("{name}", "{name} ({vid})").
std::string display(const Model& model, int64_t id, const boost::json::object& data);
// The display text of a stored object, as NetBox's messages name objects.
std::string display_of(RequestContext& context, std::string_view key, int64_t id);

// The brief form of a stored object (null when it does not exist), cached for the request.
boost::json::value nested(RequestContext& context, const Model& model, int64_t id);
// With every field, or only `only` (brief/fields=), minus `omit` (either may be null).
boost::json::object render(RequestContext& context, const Model& model, int64_t id,
                           const boost::json::object& data, const std::vector<std::string>* only,
                           const std::set<std::string>* omit);
// A freshly written object read back and rendered in full (the nested cache is dropped first:
// counts and relations may have changed with the write); null when it is gone.
boost::json::value render_stored(RequestContext& context, const Model& model, int64_t id);
// Fills the request's count and total caches for a page of objects: one GROUP BY per field
// instead of one query per object and field. With `only` (brief/fields=), just the count and
// total fields it names: a page that renders none of them queries nothing.
void prefetch_counts(RequestContext& context, const Model& model,
                     const std::vector<StoredObject>& rows, const std::vector<std::string>* only);

// The per-kind renderers of the field-kind table (netbox/field_kinds.hpp).
boost::json::value render_value(RequestContext& context, const Model& model, const Field& field,
                                int64_t id, const boost::json::object& data);
boost::json::value render_text(RequestContext& context, const Model& model, const Field& field,
                               int64_t id, const boost::json::object& data);
boost::json::value render_choice(RequestContext& context, const Model& model, const Field& field,
                                 int64_t id, const boost::json::object& data);
boost::json::value render_foreign_key(RequestContext& context, const Model& model,
                                      const Field& field, int64_t id,
                                      const boost::json::object& data);
boost::json::value render_generic_object(RequestContext& context, const Model& model,
                                         const Field& field, int64_t id,
                                         const boost::json::object& data);
boost::json::value render_count(RequestContext& context, const Model& model, const Field& field,
                                int64_t id, const boost::json::object& data);
boost::json::value render_total(RequestContext& context, const Model& model, const Field& field,
                                int64_t id, const boost::json::object& data);
boost::json::value render_constant(RequestContext& context, const Model& model, const Field& field,
                                   int64_t id, const boost::json::object& data);
boost::json::value render_through(RequestContext& context, const Model& model, const Field& field,
                                  int64_t id, const boost::json::object& data);
boost::json::value render_ip_family(RequestContext& context, const Model& model, const Field& field,
                                    int64_t id, const boost::json::object& data);

}  // namespace pbx::netbox
