#include "netbox/auth.hpp"

#include <algorithm>

#include "common/text.hpp"
#include "netbox/errors.hpp"
#include "netbox/model.hpp"
#include "netbox/values.hpp"

namespace pbx::netbox {

Authenticator::Authenticator(const std::vector<std::string>& tokens, std::string version)
    : version_(std::move(version)) {
  for (const std::string& token : tokens)
    tokens_.push_back(common::NetBoxToken::parse(token));
}

bool Authenticator::at_least(std::string_view version) const {
  return compare_versions(version_, version) >= 0;
}

bool Authenticator::presents_token(std::string_view keyword) const {
  return keyword == "Token" || (keyword == "Bearer" && at_least("4.5"));
}

common::Result<void, http::Response> Authenticator::authenticate_if_presented(
    const http::Request& request) const {
  const std::string_view header = request.header(http::Field::authorization);
  // Another scheme (Basic, or Bearer before 4.5) is not NetBox's to check: anonymous.
  if (!presents_token(header.substr(0, header.find(' ')))) return {};
  return authenticate(request);
}

common::Result<void, http::Response> Authenticator::authenticate(
    const http::Request& request) const {
  const std::string_view header = request.header(http::Field::authorization);
  const size_t space = header.find(' ');
  const std::string_view keyword = header.substr(0, space);
  const std::string value = space == std::string_view::npos
                                ? std::string{}
                                : std::string(common::trim(header.substr(space + 1)));
  const bool keyword_ok = presents_token(keyword);
  if (header.empty() || !keyword_ok || value.empty()) {
    return common::Failure{
        detail(http::Status::forbidden, "Authentication credentials were not provided.")};
  }
  using Version = common::NetBoxToken::Version;
  const auto token = common::NetBoxToken::parse(value);
  const bool accepted = std::find(tokens_.begin(), tokens_.end(), token) != tokens_.end();
  if (!at_least("4.5")) {
    if (token.version == Version::v1 && accepted) return {};
    return common::Failure{detail(http::Status::forbidden, "Invalid token")};
  }
  if (token.version == Version::v2) {
    if (token.well_formed() && accepted) return {};
    return common::Failure{detail(http::Status::forbidden, "Invalid v2 token")};
  }
  if (accepted) return {};
  return common::Failure{detail(http::Status::forbidden, "Invalid v1 token")};
}

}  // namespace pbx::netbox
