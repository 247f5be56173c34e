#pragma once
// A NetBox API token, read once into its parts. Both sides of the wire use it: the sync client
// and proxbox-api's endpoint store (to send it) and the NetBox emulator (to check it).
//
// NetBox has two kinds (../shared/spec/netbox-rest-behaviour.md): v1, 40 hex characters sent as
// "Token <token>"; v2 (4.5+), "nbt_<12-character key>.<secret>" sent as "Bearer …" (NetBox also
// takes "Token …"). NetBox chooses the version by the "nbt_" prefix, not by the keyword, and
// refuses a v2 token without its dot.

#include <string>
#include <string_view>

#include "common/enum_names.hpp"

namespace pbx::common {

struct NetBoxToken {
  enum class Version { v1, v2 };
  BOOST_DESCRIBE_NESTED_ENUM(Version, v1, v2)

  static constexpr std::string_view kV2Prefix = "nbt_";

  Version version = Version::v1;
  std::string key;      // v2: between "nbt_" and the first '.' (NetBox's 12 characters); v1: ""
  std::string secret;   // v2: after the first '.'; v1: the whole token
  bool dotted = false;  // v2: the '.' between key and secret is there

  // Any text is a token of one version: "nbt_…" v2, anything else v1 (as NetBox reads it).
  static NetBoxToken parse(std::string_view text);
  // A v2 token from its key (with or without "nbt_") and secret.
  static NetBoxToken v2(std::string_view key, std::string_view secret);

  // The token as it is sent: the v1 token, or "nbt_<key>.<secret>".
  std::string text() const;
  // The Authorization header's value: "Token <v1>" or "Bearer nbt_<key>.<secret>".
  std::string authorization() const;
  // A v2 token without its dot is refused by NetBox whatever its key (403 "Invalid v2 token").
  bool well_formed() const { return version == Version::v1 || dotted; }
  // As NetBox generates them: v1 40 hex characters; v2 a 12-character key and a secret.
  bool netbox_generated_form() const;

  bool operator==(const NetBoxToken&) const = default;
};

}  // namespace pbx::common
