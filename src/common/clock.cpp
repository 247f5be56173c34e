#include "common/clock.hpp"

namespace pbx::common {

std::string format_utc(std::time_t seconds, const char* strftime_format) {
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  const size_t length = std::strftime(text, sizeof text, strftime_format, &utc);
  return std::string(text, length);
}

std::string utc_iso8601(std::time_t seconds) {
  return format_utc(seconds, "%Y-%m-%dT%H:%M:%SZ");
}

std::string utc_now_iso8601() {
  return utc_iso8601(std::time(nullptr));
}

}  // namespace pbx::common
