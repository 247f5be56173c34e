#pragma once
// NetBox's /api/schema/: the OpenAPI 3.0 document of the emulated version, generated from the
// model registry (paths with each list's filter parameters, the full, brief, writable and
// paginated schemas of every served model), so it describes exactly what this emulator serves
// and accepts. Served as YAML by default (application/vnd.oai.openapi), as JSON with
// ?format=json (application/vnd.oai.openapi+json) or an Accept of JSON, as drf-spectacular does.

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "http/message.hpp"
#include "netbox/emulator.hpp"
#include "netbox/model.hpp"

namespace pbx::netbox {

// The document for `models` (the served ones) as NetBox `options.full_version` would publish it.
boost::json::object schema_document(const std::vector<const Model*>& models,
                                    const EmulatorOptions& options);

// The answer to GET /api/schema/ with `document` (format from ?format= or Accept; an unknown
// format is DRF's 404).
http::Response schema_response(const http::Request& request, const boost::json::object& document);

}  // namespace pbx::netbox
