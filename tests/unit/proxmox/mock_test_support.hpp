#pragma once
// Shared helpers for the in-process proxmox-mock tests: one schema load per service per test
// binary, and a tiny client that calls Engine::handle() directly.

#include <boost/json.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "http/message.hpp"
#include "proxmox/api_schema.hpp"
#include "proxmox/engine.hpp"

namespace pbx::proxmox::testing {

inline std::shared_ptr<const ApiSchema> schema_for(Service service) {
  static std::shared_ptr<const ApiSchema> pve, pbs;
  auto& slot = service == Service::pbs ? pbs : pve;
  if (!slot) {
    const auto file = ApiSchema::default_file(service, ApiSchema::default_schema_dir());
    slot = std::make_shared<const ApiSchema>(ApiSchema::load(*file));
  }
  return slot;
}

inline EngineOptions test_options(Service service = Service::pve, bool auth = false) {
  EngineOptions options;
  options.service = service;
  if (service != Service::pdm) options.schema = schema_for(service);
  options.auth = auth;
  options.task_duration = std::chrono::milliseconds(30);
  return options;
}

// test_options() starting from `cluster` instead of the built-in scenario.
inline EngineOptions test_options_with(ClusterScenario cluster, Service service = Service::pve) {
  EngineOptions options = test_options(service);
  options.cluster = std::move(cluster);
  return options;
}

struct Reply {
  unsigned status = 0;
  std::string body;
  boost::json::value json;
  http::Response response;

  const boost::json::value& data() const { return json.as_object().at("data"); }
};

inline Reply call(Engine& engine, http::Verb method, std::string_view target, std::string body = {},
                  const http::Headers& headers = {},
                  std::string_view content_type = "application/x-www-form-urlencoded") {
  http::Request request = http::Request::make(method, target, std::move(body));
  for (const auto& field : headers)
    request.headers.set(field.name_string(), field.value());
  if (!request.body.empty() && request.header(http::Field::content_type).empty()) {
    request.headers.set(http::Field::content_type, content_type);
  }
  Reply reply;
  reply.response = engine.handle(request);
  reply.status = reply.response.code();
  reply.body = reply.response.body;
  boost::json::error_code error;
  reply.json = boost::json::parse(reply.body, error);
  if (error) reply.json = nullptr;
  return reply;
}

inline Reply get(Engine& engine, std::string_view target, const http::Headers& headers = {}) {
  return call(engine, http::Verb::get, target, {}, headers);
}

// Polls a UPID until its task stops; returns the final status object.
inline boost::json::object wait_task(Engine& engine, std::string_view node, std::string_view upid,
                                     const http::Headers& headers = {}) {
  for (int attempt = 0; attempt < 200; ++attempt) {
    const Reply reply = get(engine,
                            std::string("/api2/json/nodes/") + std::string(node) + "/tasks/" +
                                http::percent_encode(upid) + "/status",
                            headers);
    if (reply.status != 200) return {};
    const auto& status = reply.data().as_object();
    if (status.at("status").as_string() == "stopped") return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return {};
}

// A string value of a guest's config on node pve1 ("qemu/100", "scsi0"); empty when the key is
// absent or not a string. The config must answer.
inline std::string config_value(Engine& engine, std::string_view guest, std::string_view key) {
  const Reply config =
      get(engine, std::string("/api2/json/nodes/pve1/") + std::string(guest) + "/config");
  EXPECT_EQ(config.status, 200u) << config.body;
  const auto* value = config.data().as_object().if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : "";
}

}  // namespace pbx::proxmox::testing
