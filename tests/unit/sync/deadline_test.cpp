// Item 2 of issue 12: nothing a sync waits for is unbounded. A NetBox that accepts connections
// and never answers is cut off by the run's deadline; a stop aborts the request in flight; a
// target that keeps failing opens its circuit instead of costing a timeout per request. Timing
// is asserted only against the configured limits, with wide margins.

#include <gtest/gtest.h>

#include <chrono>
#include <stop_token>
#include <thread>

#include "fakes.hpp"
#include "http/client.hpp"
#include "sync/engine.hpp"

namespace pbx::sync {
namespace {
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using testing::SilentListener;

// Answers every request with a 60 s per-request timeout: only the caller's limits end it sooner.
http::ClientOptions patient_client() {
  http::ClientOptions options;
  options.connect_timeout = 60s;
  options.request_timeout = 60s;
  return options;
}

class DeadlineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::FakeGuest web;
    web.name = "web";
    proxmox.guests = {web};
  }

  SyncSummary sync_against_silent_netbox(SyncOptions options) {
    HttpTransport netbox_transport(patient_client());
    NetBoxClient netbox(netbox_transport, silent.url(), "0123456789abcdef0123456789abcdef01234567");
    ProxmoxSource source{"lab",
                         {"http://127.0.0.1:2", proxmox.token, "", ""},
                         std::make_shared<InProcessTransport>(proxmox.handler()),
                         "",
                         {}};
    return SyncEngine(netbox, {source}, std::move(options)).run();
  }

  testing::FakeProxmox proxmox;
  SilentListener silent;
};

TEST_F(DeadlineTest, ASilentNetBoxIsCutOffByTheRunDeadline) {
  SyncOptions options;
  options.delete_orphans = true;
  options.limits.run_timeout = 2s;
  const auto started = Clock::now();
  const SyncSummary summary = sync_against_silent_netbox(options);
  // Without the deadline: 60 s per attempt, several attempts.
  EXPECT_LT(Clock::now() - started, 40s);
  EXPECT_TRUE(summary.timed_out);
  EXPECT_FALSE(summary.cancelled);
  EXPECT_FALSE(summary.ok());
  EXPECT_EQ(summary.totals().deleted, 0u);
  ASSERT_FALSE(summary.errors.empty());
  EXPECT_NE(summary.errors.back().find("deadline"), std::string::npos) << summary.errors.back();
}

TEST_F(DeadlineTest, AStopAbortsTheNetBoxRequestInFlight) {
  std::stop_source shutdown;
  SyncOptions options;
  options.limits.shutdown = shutdown.get_token();
  std::jthread stopper([&] {
    std::this_thread::sleep_for(500ms);  // let the run reach its first NetBox request
    shutdown.request_stop();
  });
  const auto started = Clock::now();
  const SyncSummary summary = sync_against_silent_netbox(options);
  EXPECT_LT(Clock::now() - started, 40s) << "the 60 s request was not aborted";
  EXPECT_TRUE(summary.cancelled);
  EXPECT_FALSE(summary.ok());
}

TEST(ClientDeadline, ADeadlineCapsTheRequestTimeoutAndAStopAbortsIt) {
  SilentListener silent;
  http::Client client(patient_client());
  const auto started = Clock::now();
  EXPECT_THROW(
      client.request(http::Verb::get, silent.url() + "/x", {}, {}, {Clock::now() + 500ms, {}}),
      http::TransportError);
  EXPECT_LT(Clock::now() - started, 30s);

  std::stop_source stop;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(200ms);
    stop.request_stop();
  });
  EXPECT_THROW(client.request(http::Verb::get, silent.url() + "/x", {}, {}, {{}, stop.get_token()}),
               http::RequestCancelled);
  EXPECT_THROW(client.request(http::Verb::get, silent.url() + "/x", {}, {}, {{}, stop.get_token()}),
               http::RequestCancelled)
      << "a stopped caller sends nothing more";
}

// A transport that fails every exchange, counting them.
class DownTransport final : public Transport {
 public:
  using Transport::Transport;
  int exchanges = 0;

 protected:
  http::ClientResponse exchange(http::Verb, std::string_view url, std::string, const http::Headers&,
                                const http::RequestControl&) override {
    ++exchanges;
    throw http::TransportError(std::string(url) + ": connection refused");
  }
};

TEST(Circuit, OpensAfterConsecutiveFailuresAndStopsRetries) {
  DownTransport down(CircuitOptions{3, std::chrono::hours(1)});
  const RetryPolicy policy{3, 1ms};
  EXPECT_THROW(send_with_retry(down, http::Verb::get, "http://10.0.0.1/a", {}, {}, {}, policy),
               http::TransportError);
  EXPECT_EQ(down.exchanges, 3);
  EXPECT_THROW(send_with_retry(down, http::Verb::get, "http://10.0.0.1/b", {}, {}, {}, policy),
               CircuitOpen);
  EXPECT_EQ(down.exchanges, 3) << "an open circuit sends nothing";
}

TEST(Circuit, ASuccessClosesItAgainAfterTheCooldown) {
  int calls = 0;
  InProcessTransport flaky(
      [&](http::Request&) {
        if (++calls <= 2) throw http::TransportError("refused");
        return http::Response::text(http::Status::ok, "up");
      },
      CircuitOptions{2, 0ms});
  EXPECT_THROW(flaky.send(http::Verb::get, "http://x/1", {}, {}), http::TransportError);
  EXPECT_THROW(flaky.send(http::Verb::get, "http://x/1", {}, {}), http::TransportError);
  // Cooldown 0: the next request is the trial; it succeeds and closes the circuit.
  EXPECT_EQ(flaky.send(http::Verb::get, "http://x/1", {}, {}).body, "up");
  EXPECT_EQ(flaky.send(http::Verb::get, "http://x/1", {}, {}).body, "up");
}

}  // namespace
}  // namespace pbx::sync
