#pragma once
// Text helpers every handler file uses to read Proxmox's parameter forms: lists ("a,b;c"),
// property strings ("virtio=BC:..,bridge=vmbr0"), sizes ("32G"), booleans ("1", "on").

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/text.hpp"

namespace pbx::proxmox {

// A parameter value as Proxmox prints it: strings as sent, booleans "1"/"0", arrays joined by ','.
std::string value_text(const boost::json::value& value);
// The first run of digits: "2048", "current=2048", "local-lvm:32" → 2048, 2048, 32.
std::optional<int64_t> leading_integer(std::string_view text);
// Non-empty pieces between any of `separators`, untrimmed (the handlers' list reader).
using common::split_list;
std::string join(const std::vector<std::string>& parts, std::string_view separator);
// "virtio=BC:..,bridge=vmbr0,firewall=1" → key/value pairs in order; a bare word is a key with "".
using PropertyList = std::vector<std::pair<std::string, std::string>>;
PropertyList property_string(std::string_view text);
// The value of `key` in a property list, if present.
std::optional<std::string> property(const PropertyList& properties, std::string_view key);
// "AA:BB:CC:DD:EE:FF" (either case).
bool is_mac(std::string_view text);
// Proxmox's boolean spellings: 1, true, yes, on.
bool is_true(std::string_view text);
// 40 hex digits that change whenever `content` does, as Proxmox's SHA1 over a config file:
// the `digest` of config and firewall listings.
std::string content_digest(const boost::json::value& content);

}  // namespace pbx::proxmox
