#pragma once
// In-process driver for the emulator: requests go straight to Emulator::handle.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "netbox/emulator.hpp"

namespace pbx::netbox::testing {

namespace json = boost::json;

class EmulatorClient {
 public:
  explicit EmulatorClient(EmulatorOptions options = {}) : emulator_(std::move(options)) {}

  http::Response call(http::Verb method, std::string_view target, std::string body = {},
                      std::string_view authorization = default_authorization()) {
    http::Request request = http::Request::make(method, target, std::move(body));
    request.headers.set(http::Field::host, "netbox.test");
    // As every NetBox client does (pynetbox, requests' json=): NetBox parses only JSON bodies.
    if (!request.body.empty()) request.headers.set(http::Field::content_type, "application/json");
    if (!authorization.empty()) request.headers.set(http::Field::authorization, authorization);
    for (const auto& [name, value] : extra_headers_)
      request.headers.set(name, value);
    return emulator_.handle(request);
  }
  // With the given Content-Type ("" sends none), for the media-type rules.
  http::Response call_as(http::Verb method, std::string_view target, std::string body,
                         std::string_view content_type) {
    http::Request request = http::Request::make(method, target, std::move(body));
    request.headers.set(http::Field::host, "netbox.test");
    request.headers.set(http::Field::authorization, default_authorization());
    if (!content_type.empty()) request.headers.set(http::Field::content_type, content_type);
    return emulator_.handle(request);
  }
  http::Response send(http::Verb method, std::string_view target, const json::value& body) {
    return call(method, target, json::serialize(body));
  }
  // GET and parse; fails the test on a non-2xx status.
  json::value get(std::string_view target) {
    const http::Response response = call(http::Verb::get, target);
    EXPECT_LT(response.code(), 300u) << target << ": " << response.body;
    return json::parse(response.body);
  }
  // POSTs one object and returns its id; fails the test unless 201.
  int64_t create(std::string_view path, const json::value& body) {
    const http::Response response = send(http::Verb::post, path, body);
    EXPECT_EQ(response.code(), 201u) << path << ": " << response.body;
    if (response.code() != 201) return 0;
    return json::parse(response.body).at("id").as_int64();
  }
  void set_header(std::string name, std::string value) {
    extra_headers_.emplace_back(std::move(name), std::move(value));
  }
  Emulator& emulator() { return emulator_; }

  static std::string default_authorization() { return std::string("Token ") + kDefaultToken; }

 private:
  Emulator emulator_;
  std::vector<std::pair<std::string, std::string>> extra_headers_;
};

// [[value, label], ...] as a JSON array (a braced list of string pairs would become an object).
inline json::array pairs(std::initializer_list<std::pair<const char*, const char*>> items) {
  json::array out;
  for (const auto& [value, label] : items)
    out.push_back(json::array{value, label});
  return out;
}

inline constexpr const char* kVms = "/api/virtualization/virtual-machines/";

inline std::string text(const json::value& value) {
  return std::string(value.as_string());
}

inline json::value body_of(const http::Response& response) {
  return json::parse(response.body);
}

// A small topology most tests start from: site, cluster type, cluster, role, manufacturer,
// device type.
struct Topology {
  int64_t site = 0;
  int64_t cluster_type = 0;
  int64_t cluster = 0;
  int64_t role = 0;
  int64_t manufacturer = 0;
  int64_t device_type = 0;
};

inline Topology make_topology(EmulatorClient& client) {
  Topology t;
  t.site = client.create("/api/dcim/sites/", {{"name", "DC1"}, {"slug", "dc1"}});
  t.cluster_type = client.create("/api/virtualization/cluster-types/",
                                 {{"name", "Proxmox"}, {"slug", "proxmox"}});
  t.cluster = client.create("/api/virtualization/clusters/", {{"name", "pve"},
                                                              {"type", t.cluster_type},
                                                              {"scope_type", "dcim.site"},
                                                              {"scope_id", t.site}});
  t.role = client.create("/api/dcim/device-roles/", {{"name", "Host"}, {"slug", "host"}});
  t.manufacturer = client.create("/api/dcim/manufacturers/", {{"name", "Acme"}, {"slug", "acme"}});
  t.device_type =
      client.create("/api/dcim/device-types/",
                    {{"manufacturer", t.manufacturer}, {"model", "X1"}, {"slug", "x1"}});
  return t;
}

}  // namespace pbx::netbox::testing
