#include "http/multipart.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/result.hpp"
#include "common/text.hpp"

namespace pbx::http {
namespace {

constexpr size_t kMaxBoundary = 70;  // RFC 2046 section 5.1.1

using common::iequals;

// One `key=value` parameter of a header value (`; name="a"; filename=b`): the value is a token
// or a quoted string with backslash escapes. Advances `rest` past it; nullopt when malformed.
struct HeaderParameter {
  std::string key;
  std::string value;
};

std::optional<HeaderParameter> next_parameter(std::string_view& rest) {
  rest = common::trim(rest, common::kBlanks);
  const size_t equals = rest.find('=');
  if (equals == std::string_view::npos) return std::nullopt;
  HeaderParameter out;
  out.key = std::string(common::trim(rest.substr(0, equals), common::kBlanks));
  if (out.key.empty()) return std::nullopt;
  rest = common::trim(rest.substr(equals + 1), common::kBlanks);
  if (!rest.empty() && rest.front() == '"') {
    size_t i = 1;
    for (; i < rest.size() && rest[i] != '"'; ++i) {
      if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
      out.value.push_back(rest[i]);
    }
    if (i >= rest.size()) return std::nullopt;  // unterminated quoted string
    rest.remove_prefix(i + 1);
  } else {
    const size_t end = rest.find(';');
    out.value = std::string(common::trim(rest.substr(0, end), common::kBlanks));
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  }
  rest = common::trim(rest, common::kBlanks);
  if (!rest.empty()) {
    if (rest.front() != ';') return std::nullopt;
    rest.remove_prefix(1);
  }
  return out;
}

// Fills `part` from a Content-Disposition value; fails with the problem.
common::Result<void, std::string> parse_disposition(std::string_view value, MultipartPart& part) {
  const size_t semicolon = value.find(';');
  if (!iequals(common::trim(value.substr(0, semicolon), common::kBlanks), "form-data")) {
    return common::Failure{"part Content-Disposition is not form-data"};
  }
  std::string_view rest =
      semicolon == std::string_view::npos ? std::string_view{} : value.substr(semicolon + 1);
  bool named = false;
  while (!common::trim(rest, common::kBlanks).empty()) {
    auto parameter = next_parameter(rest);
    if (!parameter) return common::Failure{"malformed part Content-Disposition parameters"};
    if (iequals(parameter->key, "name")) {
      part.name = std::move(parameter->value);
      named = true;
    } else if (iequals(parameter->key, "filename")) {
      part.filename = std::move(parameter->value);
    }  // others (filename*, RFC 7578 discourages it) are ignored
  }
  if (!named || part.name.empty()) return common::Failure{"part Content-Disposition has no name"};
  return {};
}

// Parses one part's header block (lines separated by CRLF, without the blank line) into `part`;
// fails with the problem.
common::Result<void, std::string> parse_part_headers(std::string_view block, MultipartPart& part) {
  bool disposition = false;
  while (!block.empty()) {
    const size_t end = block.find("\r\n");
    const std::string_view line = block.substr(0, end);
    block = end == std::string_view::npos ? std::string_view{} : block.substr(end + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0 || line.front() == ' ' ||
        line.front() == '\t') {
      return common::Failure{"malformed part header line"};
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = common::trim(line.substr(colon + 1), common::kBlanks);
    if (iequals(name, "Content-Disposition")) {
      if (disposition) return common::Failure{"part has two Content-Disposition headers"};
      disposition = true;
      if (auto parsed = parse_disposition(value, part); !parsed) return parsed;
    } else if (iequals(name, "Content-Type")) {
      part.content_type = std::string(value);
    }
  }
  if (!disposition) return common::Failure{"part without Content-Disposition header"};
  return {};
}

}  // namespace

const MultipartPart* MultipartForm::find(std::string_view name) const {
  const auto it = std::find_if(parts.begin(), parts.end(),
                               [&](const MultipartPart& part) { return part.name == name; });
  return it == parts.end() ? nullptr : &*it;
}

std::optional<std::string> multipart_boundary(std::string_view content_type) {
  const size_t semicolon = content_type.find(';');
  if (semicolon == std::string_view::npos ||
      !iequals(common::trim(content_type.substr(0, semicolon), common::kBlanks),
               "multipart/form-data")) {
    return std::nullopt;
  }
  std::string_view rest = content_type.substr(semicolon + 1);
  while (!common::trim(rest, common::kBlanks).empty()) {
    auto parameter = next_parameter(rest);
    if (!parameter) return std::nullopt;
    if (iequals(parameter->key, "boundary")) {
      if (parameter->value.empty() || parameter->value.size() > kMaxBoundary) return std::nullopt;
      return std::move(parameter->value);
    }
  }
  return std::nullopt;
}

MultipartForm parse_multipart(std::string_view body, std::string_view boundary,
                              const MultipartLimits& limits) {
  MultipartForm form;
  const auto fail = [&form](std::string message) {
    form.parts.clear();
    form.error = std::move(message);
    return std::move(form);
  };
  if (boundary.empty() || boundary.size() > kMaxBoundary) {
    return fail("multipart boundary must have 1 to 70 characters");
  }
  if (body.size() > limits.max_body_bytes) {
    return fail(fmt::format("multipart body of {} bytes exceeds the limit of {} bytes", body.size(),
                            limits.max_body_bytes));
  }
  const std::string dash_boundary = "--" + std::string(boundary);
  const std::string delimiter = "\r\n" + dash_boundary;
  // The first boundary opens the body or follows a preamble and its CRLF.
  size_t pos = 0;
  if (!body.starts_with(dash_boundary)) {
    pos = body.find(delimiter);
    if (pos == std::string_view::npos) return fail("multipart body has no boundary line");
    pos += 2;
  }
  while (true) {
    pos += dash_boundary.size();
    if (body.substr(pos).starts_with("--")) return form;  // the close delimiter; epilogue ignored
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t'))
      ++pos;  // transport padding
    if (!body.substr(pos).starts_with("\r\n")) {
      return fail("multipart boundary line is not followed by CRLF");
    }
    pos += 2;
    if (form.parts.size() == limits.max_parts) {
      return fail(fmt::format("multipart body has more than {} parts", limits.max_parts));
    }
    MultipartPart part;
    size_t content_start = 0;
    if (body.substr(pos).starts_with("\r\n")) {
      content_start = pos + 2;  // no headers at all: refused below for lack of a disposition
    } else {
      // Search only as far as the limit allows, so a long header costs no more than that.
      const std::string_view window = body.substr(pos, limits.max_header_bytes + 4);
      const size_t end = window.find("\r\n\r\n");
      if (end == std::string_view::npos) {
        return fail(
            window.size() < limits.max_header_bytes + 4
                ? std::string("multipart part headers are not terminated")
                : fmt::format("multipart part headers exceed {} bytes", limits.max_header_bytes));
      }
      if (auto parsed = parse_part_headers(window.substr(0, end), part); !parsed) {
        return fail("multipart " + parsed.error());
      }
      content_start = pos + end + 4;
    }
    if (!part.filename && part.name.empty()) {
      return fail("multipart part without Content-Disposition header");
    }
    const size_t next = body.find(delimiter, content_start);
    if (next == std::string_view::npos) {
      return fail("multipart body ends without its closing boundary");
    }
    part.data = body.substr(content_start, next - content_start);
    if (!part.filename && part.data.size() > limits.max_field_bytes) {
      return fail(
          fmt::format("multipart field '{}' exceeds {} bytes", part.name, limits.max_field_bytes));
    }
    form.parts.push_back(std::move(part));
    pos = next + 2;
  }
}

}  // namespace pbx::http
