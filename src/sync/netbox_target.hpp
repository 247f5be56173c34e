#pragma once
// Checks of a NetBox URL and token that a person gives on a command line (sync_bench
// --netbox-url/--netbox-token), made before anything is sent so that a typo is a usage error
// naming the flag instead of a connection error or a 404 in the middle of a run.

#include <string>
#include <string_view>

namespace pbx::sync {

// What keeps `url` from being a base URL NetBoxClient can use, empty when nothing: it must be
// absolute http(s) with a host, without user, query or fragment, and at most the path /api
// (NetBoxClient appends /api/...).
std::string netbox_base_url_problem(std::string_view url);

// What keeps `token` from being one NetBox could accept, empty when nothing: not empty, no space
// or control character (it goes into a header), and a v2 token with the '.' between key and
// secret (NetBox refuses it without, common/netbox_token.hpp).
std::string netbox_token_problem(std::string_view token);

}  // namespace pbx::sync
