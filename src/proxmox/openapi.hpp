#pragma once
// An OpenAPI 3.1 document describing every operation of a loaded Proxmox schema, plus the
// engine's own non-schema endpoints (/health, /, /version, /mock/...).

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <vector>

#include "http/message.hpp"
#include "proxmox/api_schema.hpp"
#include "proxmox/scenario.hpp"

namespace pbx::proxmox {

struct ExtraPath {
  http::Verb method = http::Verb::get;
  std::string path;  // absolute: "/health", "/mock/faults"
  std::string summary;
  boost::json::value response_schema;  // JSON Schema of the 200 body; null → any JSON
};

// Schema operations appear under "/api2/json<path>" with path/query parameters, a requestBody
// (application/x-www-form-urlencoded and application/json) for POST/PUT, a 200 response
// {"data": <returns>} and the 400 {"data": null, "errors": {...}} shape.
boost::json::object build_openapi(const ApiSchema& schema, Service service,
                                  const std::vector<ExtraPath>& extra);
// The document for a service without a schema (pdm): only the extra paths.
boost::json::object build_openapi(Service service, const std::vector<ExtraPath>& extra);

}  // namespace pbx::proxmox
