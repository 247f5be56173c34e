#pragma once
// The real proxmox-mock Engine and netbox-emulator linked into the test process, with a sync
// engine between them: what the in-process stage tests share (running a sync, calling the
// Proxmox API, making its reads fail, counting NetBox's writes).

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "netbox/emulator.hpp"
#include "proxmox/engine.hpp"
#include "proxmox/scenario.hpp"
#include "sync/engine.hpp"

namespace pbx::sync::testing {

inline const std::string kStackProxmoxToken =
    "root@pam!proxbox=00000000-0000-0000-0000-000000000000";

// The stage tests' generated cluster: two nodes and four guests named after `prefix`, without the
// generated extras (jobs, snapshots), which the tests add themselves where they need them.
inline proxmox::GenerateOptions two_node_cluster(std::string prefix) {
  proxmox::GenerateOptions options;
  options.nodes = 2;
  options.guests = 4;
  options.extras = false;
  options.prefix = std::move(prefix);
  return options;
}

class InProcessStack {
 public:
  // `name`: the endpoint's name, its URL https://pve.<name>.test:8006.
  InProcessStack(proxmox::ClusterScenario cluster, netbox::EmulatorOptions netbox_options,
                 std::string name)
      : scenario(std::move(cluster)),
        mock([this] {
          proxmox::EngineOptions options;
          options.cluster = scenario;
          options.task_duration = std::chrono::milliseconds(0);  // tasks finish at once
          return options;
        }()),
        emulator(std::move(netbox_options)),
        proxmox_transport(std::make_shared<InProcessTransport>(mock.as_handler())),
        netbox_transport(emulator.handler()),
        netbox(netbox_transport, "http://127.0.0.1:1", netbox::kDefaultToken),
        name_(std::move(name)) {}

  // The mock as the sync's one Proxmox endpoint.
  ProxmoxSource source() const {
    return ProxmoxSource{name_,
                         {"https://pve." + name_ + ".test:8006", kStackProxmoxToken, "", ""},
                         proxmox_transport,
                         "",
                         {}};
  }

  SyncSummary sync(const SyncOptions& options) {
    return SyncEngine(netbox, {source()}, options).run();
  }
  SyncSummary sync(SyncScope scope = SyncScope::full, bool delete_orphans = false) {
    SyncOptions options;
    options.scope = scope;
    options.delete_orphans = delete_orphans;
    return sync(options);
  }

  // A Proxmox API call (form body), failing the test unless it succeeds.
  boost::json::value proxmox(http::Verb verb, const std::string& path,
                             const http::Params& form = {}) {
    http::Headers headers;
    headers.set(http::Field::authorization, "PVEAPIToken=" + kStackProxmoxToken);
    headers.set(http::Field::content_type, "application/x-www-form-urlencoded");
    const auto response = proxmox_transport->send(verb, "http://x/api2/json" + path,
                                                  http::encode_form(form), headers);
    EXPECT_TRUE(response.ok()) << path << ": " << response.body;
    return response.json();
  }

  // Adds a fault rule to the mock through its admin API, as a test harness would over HTTP.
  void inject_fault(const boost::json::object& rule) {
    const auto response = proxmox_transport->send(http::Verb::post, "http://x/mock/faults",
                                                  boost::json::serialize(rule), {});
    ASSERT_TRUE(response.ok()) << response.body;
  }

  // Every GET matching `path` (a pattern) answers 403 from now on.
  void fail_reads(const std::string& path) {
    inject_fault({{"method", "GET"},
                  {"path", "/api2/json" + path},
                  {"error", {{"status", 403}, {"rate", 1.0}}}});
  }

  // Every write NetBox has taken so far.
  int64_t writes() {
    http::Headers headers;
    headers.set(http::Field::authorization, std::string("Token ") + netbox::kDefaultToken);
    return netbox_transport.send(http::Verb::get, "http://x/api/__emulator__/stats/", {}, headers)
        .json()
        .at("writes")
        .as_int64();
  }

  std::vector<boost::json::object> list(const std::string& path, const http::Params& filters = {}) {
    return netbox.list(path, filters);
  }

  proxmox::ClusterScenario scenario;
  proxmox::Engine mock;
  netbox::Emulator emulator;
  std::shared_ptr<Transport> proxmox_transport;
  InProcessTransport netbox_transport;
  NetBoxClient netbox;

 private:
  std::string name_;
};

}  // namespace pbx::sync::testing
