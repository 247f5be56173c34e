#pragma once
// Reads: a model's list (NetBox's paging — count/next/previous/results with limit and offset,
// 4.6 cursor paging with start — filters, ordering, brief/fields/omit) and one object (with its
// 4.6 ETag).

#include <cstdint>
#include <optional>
#include <string>

#include "http/message.hpp"
#include "netbox/model.hpp"
#include "netbox/request_context.hpp"

namespace pbx::netbox {

http::Response list_objects(RequestContext& context, const Model& model,
                            const http::Request& request);
http::Response get_object(RequestContext& context, const Model& model,
                          const http::Request& request);

// The `{id}` of an object route.
std::optional<int64_t> path_id(const http::Request& request);
// 4.6: an object's ETag changes with every write (it hashes last_updated).
std::string etag(const boost::json::object& data);
// The response with the object's ETag from 4.6 on.
http::Response with_etag(RequestContext& context, http::Response response, const Model& model,
                         int64_t id);

}  // namespace pbx::netbox
