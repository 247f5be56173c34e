#include "netbox/request_context.hpp"

#include "common/text.hpp"
#include "netbox/values.hpp"

namespace pbx::netbox {

bool RequestContext::at_least(std::string_view version) const {
  return compare_versions(options.version, version) >= 0;
}

std::string base_url(const http::Request& request) {
  std::string proto(request.header("X-Forwarded-Proto"));
  if (proto.empty()) proto = request.secure ? "https" : "http";
  proto = std::string(common::trim(proto.substr(0, proto.find(','))));
  std::string host(request.header("X-Forwarded-Host"));
  if (host.empty()) host = std::string(request.header(http::Field::host));
  host = std::string(common::trim(host.substr(0, host.find(','))));
  if (host.empty()) host = "localhost";
  return proto + "://" + host;
}

}  // namespace pbx::netbox
