#include "proxmox/admin_access.hpp"

#include <sodium.h>

#include <boost/json.hpp>

#include "common/text.hpp"

namespace pbx::proxmox {
namespace {

// Compares in time independent of where the strings differ, so the token cannot be guessed a
// character at a time from response times.
bool same_secret(std::string_view sent, std::string_view expected) {
  if (sent.size() != expected.size()) return false;
  return sodium_memcmp(sent.data(), expected.data(), expected.size()) == 0;
}

std::string_view bearer(std::string_view authorization) {
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() <= kScheme.size() ||
      !common::iequals(authorization.substr(0, kScheme.size()), kScheme)) {
    return {};
  }
  return authorization.substr(kScheme.size());
}

}  // namespace

AdminAccess::AdminAccess(std::string token) : token_(std::move(token)) {}

bool AdminAccess::is_admin_path(std::string_view path) const {
  return path == "/mock" || path.starts_with("/mock/");
}

common::Result<void, http::Response> AdminAccess::admit(const http::Request& request) const {
  if (token_.empty() || !is_admin_path(request.path)) return {};
  const std::string_view header_token = request.header("X-Mock-Admin-Token");
  const std::string_view bearer_token = bearer(request.header(http::Field::authorization));
  if (same_secret(header_token, token_) || same_secret(bearer_token, token_)) return {};
  constexpr std::string_view kMessage =
      "admin API requires the --admin-token (Authorization: Bearer <token> or "
      "X-Mock-Admin-Token)";
  http::Response response;
  response.status = http::Status::unauthorized;
  response.headers.set(http::Field::content_type, "application/json;charset=UTF-8");
  response.headers.set(http::Field::www_authenticate, "Bearer realm=\"proxmox-mock admin\"");
  response.body =
      boost::json::serialize(boost::json::object{{"data", nullptr}, {"message", kMessage}});
  response.reason = std::string(kMessage);
  return common::Failure{std::move(response)};
}

}  // namespace pbx::proxmox
