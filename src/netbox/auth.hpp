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

 private:
  bool at_least(std::string_view version) const;
  std::string version_;
  std::vector<common::NetBoxToken> tokens_;
};

}  // namespace pbx::netbox
