#pragma once
// Writes: single and bulk POST/PUT/PATCH/DELETE, each request one transaction (a bulk with one
// bad item writes nothing; errors per item, `{}` for good ones). An object is coerced field by
// field (netbox/field_kinds.hpp), its tags and custom fields, then its model's rules and
// uniqueness are checked before it is stored; deletes follow NetBox's on_delete rules.

#include "http/message.hpp"
#include "netbox/model.hpp"
#include "netbox/request_context.hpp"

namespace pbx::netbox {

http::Response create_objects(RequestContext& context, const Model& model,
                              const http::Request& request);
http::Response update_object(RequestContext& context, const Model& model,
                             const http::Request& request, bool partial);
http::Response update_objects(RequestContext& context, const Model& model,
                              const http::Request& request, bool partial);
http::Response delete_object(RequestContext& context, const Model& model,
                             const http::Request& request);
http::Response delete_objects(RequestContext& context, const Model& model,
                              const http::Request& request);

}  // namespace pbx::netbox
