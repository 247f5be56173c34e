#pragma once
// The answer to OPTIONS on a model's endpoints, as NetBox gives it (DRF's SimpleMetadata with
// NetBox's BulkOperationMetadata and ContentTypeMetadata): the view's name, what it renders
// and parses, and under `actions` every serializer field's metadata for the methods that write
// through that endpoint (POST and PUT on a list, PUT on an existing object), including each
// writable choice field's `choices` as [{"value","display_name"}]. pynetbox's
// Endpoint.choices() and configuration-management modules read the choices from here.

#include <boost/json/object.hpp>
#include <string>

#include "http/message.hpp"
#include "netbox/model.hpp"
#include "netbox/request_context.hpp"

namespace pbx::netbox {

// DRF's metadata of one serializer field of `model` ("id", "url", "tags", a model field...).
boost::json::object field_metadata(const RequestContext& context, const Model& model,
                                   const std::string& name);

// OPTIONS on the list endpoint (`id` empty) or on one object (PUT only when it exists: NetBox
// checks the object before describing PUT; a missing object still answers 200).
http::Response options_metadata(RequestContext& context, const Model& model, bool detail,
                                bool object_exists);

}  // namespace pbx::netbox
