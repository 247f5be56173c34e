#include "common/netbox_token.hpp"

#include <algorithm>
#include <cctype>

namespace pbx::common {

NetBoxToken NetBoxToken::parse(std::string_view text) {
  NetBoxToken token;
  if (!text.starts_with(kV2Prefix)) {
    token.secret = std::string(text);
    return token;
  }
  text.remove_prefix(kV2Prefix.size());
  token.version = Version::v2;
  const size_t dot = text.find('.');
  token.key = std::string(text.substr(0, dot));
  token.dotted = dot != std::string_view::npos;
  if (token.dotted) token.secret = std::string(text.substr(dot + 1));
  return token;
}

NetBoxToken NetBoxToken::v2(std::string_view key, std::string_view secret) {
  if (key.starts_with(kV2Prefix)) key.remove_prefix(kV2Prefix.size());
  return NetBoxToken{Version::v2, std::string(key), std::string(secret), true};
}

std::string NetBoxToken::text() const {
  if (version == Version::v1) return secret;
  return std::string(kV2Prefix) + key + (dotted ? "." + secret : std::string());
}

std::string NetBoxToken::authorization() const {
  return (version == Version::v2 ? "Bearer " : "Token ") + text();
}

bool NetBoxToken::netbox_generated_form() const {
  if (version == Version::v2) return dotted && key.size() == 12 && !secret.empty();
  return secret.size() == 40 && std::all_of(secret.begin(), secret.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) != 0;
         });
}

}  // namespace pbx::common
