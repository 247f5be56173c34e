#pragma once
// Checks of a NetBox URL and token that a person gives on a command line (sync_bench
// --netbox-url/--netbox-token), made before anything is sent so that a typo is a usage error
// naming the flag instead of a connection error or a 404 in the middle of a run.

#include <string>
#include <string_view>

#include "common/result.hpp"

namespace pbx::sync {

// Done when `url` is a base URL NetBoxClient can use, else what keeps it from being one: it must be
// absolute http(s) with a host, without user, query or fragment, and at most the path /api
// (NetBoxClient appends /api/...).
common::Result<void, std::string> check_netbox_base_url(std::string_view url);

// Done when `token` is one NetBox could accept, else what keeps it from being one: not empty, no
// space or control character (it goes into a header), and a v2 token with the '.' between key and
// secret (NetBox refuses it without, common/netbox_token.hpp).
common::Result<void, std::string> check_netbox_token(std::string_view token);

}  // namespace pbx::sync
