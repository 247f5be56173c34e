#include "sync/netbox_target.hpp"

#include <boost/url/parse.hpp>

#include "common/netbox_token.hpp"
#include "common/result.hpp"
#include "common/text.hpp"

namespace pbx::sync {

namespace {
using Refused = common::Failure<std::string>;
}  // namespace

common::Result<void, std::string> check_netbox_base_url(std::string_view url) {
  const auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return Refused{"not an absolute URL (want http://HOST:PORT or https://HOST:PORT)"};
  if (parsed->scheme() != "http" && parsed->scheme() != "https")
    return Refused{"scheme '" + std::string(parsed->scheme()) + "' is not http or https"};
  if (parsed->host().empty()) return Refused{"no host"};
  if (parsed->has_userinfo())
    return Refused{"user information in the URL (the token authenticates)"};
  if (parsed->has_query() || parsed->has_fragment()) return Refused{"a query or fragment"};
  // port_number() wraps a port above 65535 around, so the text decides.
  if (parsed->has_port()) {
    const auto port = common::parse_number<unsigned>(parsed->port());
    if (!port || *port == 0 || *port > 65535)
      return Refused{"a port that is empty, 0 or above 65535"};
  }
  const std::string_view path = parsed->encoded_path();
  if (!path.empty() && path != "/" && path != "/api" && path != "/api/")
    return Refused{"path '" + std::string(path) +
                   "': give NetBox's base URL (optionally ending in /api)"};
  return {};
}

common::Result<void, std::string> check_netbox_token(std::string_view token) {
  if (token.empty()) return Refused{"empty"};
  for (const char c : token) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
      return Refused{"contains a space or control character"};
  }
  if (!common::NetBoxToken::parse(token).well_formed())
    return Refused{"a v2 token needs 'nbt_<key>.<secret>' (no '.' found)"};
  return {};
}

}  // namespace pbx::sync
