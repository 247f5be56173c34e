// libFuzzer target over the multipart/form-data parser (uploads): the boundary and the body come
// from the input, small limits from its first byte so every limit is reached too.
//
// Input: one byte of limits, the boundary up to the first '\n', then the body.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/multipart.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  pbx::http::MultipartLimits limits;
  limits.max_parts = 1 + (data[0] & 0x07);
  limits.max_header_bytes = 16 + 64 * ((data[0] >> 3) & 0x03);
  limits.max_field_bytes = 8 + 256 * ((data[0] >> 5) & 0x07);
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t newline = input.find('\n');
  if (newline == std::string_view::npos) return 0;
  const std::string_view boundary = input.substr(0, newline);
  const std::string_view body = input.substr(newline + 1);

  const auto form = pbx::http::parse_multipart(body, boundary, limits);
  (void)pbx::http::multipart_boundary(boundary);
  if (!form.ok() && !form.parts.empty()) __builtin_trap();  // nothing half-parsed
  if (form.parts.size() > limits.max_parts) __builtin_trap();
  for (const auto& part : form.parts) {
    // Every part views into the body and has a name; fields keep their limit.
    if (part.data.data() < body.data() ||
        part.data.data() + part.data.size() > body.data() + body.size()) {
      __builtin_trap();
    }
    if (part.name.empty()) __builtin_trap();
    if (!part.filename && part.data.size() > limits.max_field_bytes) __builtin_trap();
  }
  return 0;
}
