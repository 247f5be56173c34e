#include "http/message.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <stdexcept>

namespace pbx::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string percent_decode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_as_space && c == '+' ? ' ' : c);
  }
  return out;
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    const bool unreserved = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
                            (u >= '0' && u <= '9') || u == '-' || u == '_' || u == '.' || u == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  return out;
}

Params parse_form(std::string_view text) {
  Params params;
  while (!text.empty()) {
    const size_t amp = text.find('&');
    const std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      params.emplace_back(percent_decode(pair, true), std::string{});
    } else {
      params.emplace_back(percent_decode(pair.substr(0, eq), true),
                          percent_decode(pair.substr(eq + 1), true));
    }
  }
  return params;
}

std::string encode_form(const Params& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out.push_back('&');
    out += percent_encode(name);
    out.push_back('=');
    out += percent_encode(value);
  }
  return out;
}

Request Request::make(Verb method, std::string_view target, std::string body) {
  if (target.empty() || target.front() != '/') {
    throw std::invalid_argument("request target must start with '/'");
  }
  Request request;
  request.method = method;
  request.target = std::string(target);
  const size_t question = target.find('?');
  request.path = percent_decode(target.substr(0, question), false);
  if (question != std::string_view::npos) request.query = parse_form(target.substr(question + 1));
  request.body = std::move(body);
  return request;
}

std::string_view Request::header(Field name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string_view{} : std::string_view(it->value());
}

std::string_view Request::header(std::string_view name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string_view{} : std::string_view(it->value());
}

std::optional<std::string_view> Request::query_value(std::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

std::vector<std::string_view> Request::query_values(std::string_view name) const {
  std::vector<std::string_view> values;
  for (const auto& [key, value] : query) {
    if (key == name) values.emplace_back(value);
  }
  return values;
}

std::string_view Request::path_param(std::string_view name) const {
  for (const auto& [key, value] : path_params) {
    if (key == name) return value;
  }
  return {};
}

std::vector<std::string> Request::path_segments() const {
  const std::string_view raw = target.empty() ? std::string_view(path) : std::string_view(target);
  const std::string_view raw_path = raw.substr(0, raw.find('?'));
  std::vector<std::string> segments;
  size_t start = 0;
  while (start < raw_path.size()) {
    const size_t end = std::min(raw_path.find('/', start), raw_path.size());
    if (end > start) segments.push_back(percent_decode(raw_path.substr(start, end - start), false));
    start = end + 1;
  }
  return segments;
}

Response Response::json(Status status, const boost::json::value& value) {
  Response response;
  response.status = status;
  response.headers.set(Field::content_type, "application/json");
  response.body = boost::json::serialize(value);
  return response;
}

Response Response::text(Status status, std::string body, std::string_view content_type) {
  Response response;
  response.status = status;
  response.headers.set(Field::content_type, content_type);
  response.body = std::move(body);
  return response;
}

Response Response::empty(Status status) {
  Response response;
  response.status = status;
  return response;
}

Response Response::events(EventProducer producer) {
  Response response;
  response.headers.set(Field::content_type, "text/event-stream");
  response.headers.set(Field::cache_control, "no-cache");
  response.event_stream = std::move(producer);
  return response;
}

std::string_view Response::header(Field name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string_view{} : std::string_view(it->value());
}

std::string_view Response::delivery_failure() const {
  switch (delivery) {
    case Delivery::normal:
      break;
    case Delivery::reset_connection:
      return "connection reset by peer";
    case Delivery::truncate_body:
      return "partial message (body shorter than Content-Length)";
  }
  return {};
}

std::string format_event(std::string_view event, std::string_view data) {
  std::string frame;
  frame.reserve(event.size() + data.size() + 16);
  if (!event.empty()) {
    frame += "event: ";
    frame += event;
    frame += '\n';
  }
  while (true) {
    const size_t newline = data.find('\n');
    frame += "data: ";
    frame += data.substr(0, newline);
    frame += '\n';
    if (newline == std::string_view::npos) break;
    data.remove_prefix(newline + 1);
  }
  frame += '\n';
  return frame;
}

}  // namespace pbx::http
