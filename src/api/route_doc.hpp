#pragma once
// What the OpenAPI document says about one route. The service registers each route together
// with its RouteDoc, so the document covers every route by construction.

#include <boost/json/object.hpp>
#include <string>
#include <utility>
#include <vector>

#include "http/message.hpp"

namespace pbx::api {

struct QueryParam {
  const char* name;
  const char* type;  // boolean | integer | string | array
  const char* description;
};

struct RouteDoc {
  http::Verb method;
  std::string path;
  std::string summary;
  std::string tag;
  bool needs_key = true;
  std::vector<QueryParam> query;
  std::string request_schema;  // a component name; empty: no body
  std::vector<std::pair<int, std::string>> responses;
  bool event_stream = false;
  // false: a route the plugin calls that answers 501 until it is implemented; the document
  // marks it (x-implemented: false).
  bool implemented = true;
  // A component name for the 2xx answer; empty: SyncSummary for a `sync` JSON route, else none.
  std::string response_schema;
};

boost::json::object build_openapi(const std::vector<RouteDoc>& routes);

}  // namespace pbx::api
