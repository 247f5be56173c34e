#include "proxmox_side.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "e2e/cell.hpp"
#include "proxmox/engine.hpp"
#include "session.hpp"

namespace pbx::e2e::suite {

namespace json = boost::json;
using proxmox::ClusterScenario;

namespace {

http::Headers proxmox_headers(bool form) {
  http::Headers headers;
  headers.set(http::Field::authorization, fmt::format("PVEAPIToken={}!{}={}", kMockTokenUser,
                                                      kMockTokenName, kMockTokenSecret));
  if (form) headers.set(http::Field::content_type, "application/x-www-form-urlencoded");
  return headers;
}

}  // namespace

ProxmoxSide ProxmoxSide::over_http(http::Client& client, std::string mock_url) {
  return ProxmoxSide(
      [&client, mock_url](http::Verb method, const std::string& target, const std::string& body) {
        return client.request(method, mock_url + target, body, proxmox_headers(!body.empty()));
      });
}

ProxmoxSide ProxmoxSide::in_process(proxmox::Engine& engine) {
  return ProxmoxSide(
      [&engine](http::Verb method, const std::string& target, const std::string& body) {
        auto request = http::Request::make(method, target, body);
        request.headers = proxmox_headers(!body.empty());
        const auto response = engine.handle(request);
        http::ClientResponse answer;
        answer.status = response.code();
        answer.headers = response.headers;
        answer.body = response.body;
        return answer;
      });
}

ClusterScenario ProxmoxSide::state() {
  const auto answer = call_(http::Verb::get, "/mock/state", "");
  if (answer.status != 200) {
    ADD_FAILURE() << "GET /mock/state -> " << answer.status << " " << answer.body;
    return {};
  }
  return proxmox::Scenario::from_json(answer.json().at("data")).clusters.at(0);
}

json::value ProxmoxSide::get(std::string_view path) {
  const auto answer = call_(http::Verb::get, "/api2/json" + std::string(path), "");
  if (answer.status != 200) {
    ADD_FAILURE() << "GET " << path << " -> " << answer.status << " " << answer.body;
    return nullptr;
  }
  return answer.json().at("data");
}

void ProxmoxSide::put(std::string_view path, const http::Params& form) {
  const auto answer =
      call_(http::Verb::put, "/api2/json" + std::string(path), http::encode_form(form));
  EXPECT_EQ(answer.status, 200u) << "PUT " << path << ": " << answer.body;
}

void ProxmoxSide::remove(std::string_view path) {
  const auto answer = call_(http::Verb::delete_, "/api2/json" + std::string(path), "");
  EXPECT_EQ(answer.status, 200u) << "DELETE " << path << ": " << answer.body;
}

}  // namespace pbx::e2e::suite
