#include <stdexcept>
#include <string>

#include "common/text.hpp"
#include "http/server.hpp"

namespace pbx::http {

namespace {

std::string bracket_host(std::string_view host) {
  if (host.find(':') != std::string_view::npos) return "[" + std::string(host) + "]";
  return std::string(host);
}

uint16_t parse_port(std::string_view text, std::string_view whole) {
  const auto value = common::parse_number<uint16_t>(text);
  if (!value) {
    throw std::invalid_argument("invalid port '" + std::string(text) + "' in listen address '" +
                                std::string(whole) + "' (expected 0-65535)");
  }
  return *value;
}

}  // namespace

ListenAddress ListenAddress::parse(std::string_view text) {
  const std::string_view whole = text;
  ListenAddress address;
  if (text.starts_with("https://")) {
    address.tls = true;
    text.remove_prefix(8);
  } else if (text.starts_with("http://")) {
    text.remove_prefix(7);
  }
  if (!text.empty() && text.back() == '/') text.remove_suffix(1);
  std::string_view port_text;
  if (text.starts_with('[')) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      throw std::invalid_argument("invalid listen address '" + std::string(whole) +
                                  "' (expected [IPv6]:PORT, e.g. [::1]:8006)");
    }
    address.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      throw std::invalid_argument("invalid listen address '" + std::string(whole) +
                                  "' (expected HOST:PORT, e.g. 127.0.0.1:8006)");
    }
    address.host = std::string(text.substr(0, colon));
    if (address.host.find(':') != std::string::npos) {
      throw std::invalid_argument("invalid listen address '" + std::string(whole) +
                                  "' (IPv6 addresses need brackets: [::1]:8006)");
    }
    port_text = text.substr(colon + 1);
  }
  address.port = parse_port(port_text, whole);
  return address;
}

std::string ListenAddress::to_string() const {
  return bracket_host(host) + ":" + std::to_string(port);
}

std::string BoundEndpoint::url() const {
  return std::string(tls ? "https://" : "http://") + bracket_host(host) + ":" +
         std::to_string(port);
}

}  // namespace pbx::http
