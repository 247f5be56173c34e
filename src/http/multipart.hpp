#pragma once
// multipart/form-data bodies (RFC 7578 over RFC 2046's multipart syntax), as file uploads send
// them: the boundary from the Content-Type, then each part's headers and content. The parser
// works on the whole body in memory and never copies content: parts are views into the body.
// Every bound is a limit with its own message, so a hostile body costs at most one pass over its
// bytes and a bounded number of small allocations.
//
// No Debian library fits (GMime is a GLib e-mail MIME stack); this one is small and fuzzed
// (tests/fuzz/multipart_fuzz.cpp).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pbx::http {

struct MultipartLimits {
  size_t max_body_bytes = size_t{64} << 20;  // the whole body
  size_t max_parts = 32;
  size_t max_header_bytes = 8 * 1024;  // one part's header block
  size_t max_field_bytes = 64 * 1024;  // a part without a filename (a form field), as pveproxy
};

struct MultipartPart {
  std::string name;                     // Content-Disposition name
  std::optional<std::string> filename;  // Content-Disposition filename, when a file
  std::string content_type;             // the part's Content-Type, "" when absent
  std::string_view data;                // the content, a view into the parsed body
};

struct MultipartForm {
  std::vector<MultipartPart> parts;
  std::string error;  // empty when the body parsed; else what is wrong, for the client

  bool ok() const { return error.empty(); }
  // The first part named `name`, or null.
  const MultipartPart* find(std::string_view name) const;
};

// The boundary parameter of a multipart/form-data Content-Type (token or quoted, 1..70
// characters as RFC 2046 allows), or nullopt when the type is something else or has none.
std::optional<std::string> multipart_boundary(std::string_view content_type);

// Parses `body` with `boundary`. The result's parts view into `body`, which must outlive them.
[[nodiscard]] MultipartForm parse_multipart(std::string_view body, std::string_view boundary,
                                            const MultipartLimits& limits = {});

}  // namespace pbx::http
