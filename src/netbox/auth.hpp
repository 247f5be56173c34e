#pragma once
// NetBox's token authentication per version: v1 tokens ("Token <40 hex>") always, from 4.5 also
// v2 tokens ("nbt_<key>.<secret>", as "Bearer" or "Token"), with NetBox's 403 texts.

#include <string>
#include <vector>

#include "common/netbox_token.hpp"
#include "common/result.hpp"
#include "http/message.hpp"

namespace pbx::netbox {

class Authenticator {
 public:
  // `tokens`: the accepted tokens, each read by common::NetBoxToken ("nbt_…" is v2).
  Authenticator(const std::vector<std::string>& tokens, std::string version);

  // Done when the request carries an accepted token, else NetBox's 403 answer.
  common::Result<void, http::Response> authenticate(const http::Request& request) const;
  // For the views open to anyone (/api/, /api/status/, /api/schema/): no credentials is fine,
  // but a token that is presented is still checked — NetBox authenticates before it looks at
  // the view's permissions, so a wrong token is 403 "Invalid token" there too.
  common::Result<void, http::Response> authenticate_if_presented(
      const http::Request& request) const;

 private:
  bool at_least(std::string_view version) const;
  bool presents_token(std::string_view keyword) const;  // a scheme NetBox reads as a token
  std::string version_;
  std::vector<common::NetBoxToken> tokens_;
};

}  // namespace pbx::netbox
