#pragma once
// A Proxmox endpoint served by proxmox-mock, as the E2E suites read and change it.

#include <boost/json/value.hpp>
#include <functional>
#include <string>
#include <string_view>

#include "http/client.hpp"
#include "proxmox/scenario.hpp"

namespace pbx::proxmox {
class Engine;
}

namespace pbx::e2e::suite {

// A Proxmox endpoint served by proxmox-mock: its admin API and its Proxmox API with the mock's
// token, over HTTP (mock_http) or through an in-process engine (mock_backend).
class ProxmoxSide {
 public:
  using Call = std::function<http::ClientResponse(http::Verb method, const std::string& target,
                                                  const std::string& form_body)>;
  static ProxmoxSide over_http(http::Client& client, std::string mock_url);
  static ProxmoxSide in_process(proxmox::Engine& engine);

  // GET /mock/state: the cluster as the mock holds it now (after any write).
  proxmox::ClusterScenario state();
  // The `data` of GET /api2/json<path>; a test failure (null) unless 200.
  boost::json::value get(std::string_view path);
  // PUT /api2/json<path> with a form body; a test failure unless 200.
  void put(std::string_view path, const http::Params& form);
  // DELETE /api2/json<path>; a test failure unless 200.
  void remove(std::string_view path);

 private:
  explicit ProxmoxSide(Call call) : call_(std::move(call)) {}
  Call call_;
};

}  // namespace pbx::e2e::suite
