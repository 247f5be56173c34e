#pragma once
// UTC timestamps in the text forms our APIs speak (NetBox, Proxmox volume ids, our own rows).

#include <ctime>
#include <string>

namespace pbx::common {

// `strftime_format` applied to `seconds` in UTC.
std::string format_utc(std::time_t seconds, const char* strftime_format);
// "2026-01-01T00:00:00Z"
std::string utc_iso8601(std::time_t seconds);
std::string utc_now_iso8601();

}  // namespace pbx::common
