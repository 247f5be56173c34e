// The server's threading: one io_context per I/O thread, accepted connections dealt round-robin,
// graceful stop with requests in flight on every thread. Loopback, ephemeral ports only; waits
// are liveness bounds (an event must happen), never speed assertions.

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "http/client.hpp"
#include "http/server.hpp"

namespace pbx::http {
namespace {

using namespace std::chrono_literals;
namespace net = boost::asio;
using tcp = net::ip::tcp;

ServerOptions options_with_threads(unsigned io_threads, std::string_view listen = "127.0.0.1:0") {
  ServerOptions options;
  options.name = "threads-test";
  options.listen = {ListenAddress::parse(listen)};
  options.io_threads = io_threads;
  options.access_log = false;
  return options;
}

ClientOptions quick_client() {
  ClientOptions options;
  options.connect_timeout = 2s;
  options.request_timeout = 30s;
  options.retry_backoff = 1ms;
  options.max_retries = 0;
  return options;
}

std::string this_thread_name() {
  return std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
}

// Handlers arrive here and wait until `expected` of them are inside at once (or the bound
// passes, which a server that serialises them across threads would hit).
class Rendezvous {
 public:
  explicit Rendezvous(int expected) : expected_(expected) {}
  bool arrive_and_wait(std::chrono::milliseconds bound = 20s) {
    std::unique_lock lock(mutex_);
    ++arrived_;
    changed_.notify_all();
    return changed_.wait_for(lock, bound, [&] { return arrived_ >= expected_; });
  }
  bool wait_for_all(std::chrono::milliseconds bound = 20s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, bound, [&] { return arrived_ >= expected_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int arrived_ = 0;
  const int expected_;
};

// True once nothing accepts on the port any more (the server closed its listeners).
bool refuses_connections(uint16_t port) {
  net::io_context context;
  tcp::socket socket(context);
  boost::system::error_code error;
  socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), error);
  return static_cast<bool>(error);
}

TEST(ServerThreads, ConnectionsAreDealtRoundRobinToEveryIoThread) {
  Server server(options_with_threads(2),
                [](Request&) { return Response::text(Status::ok, this_thread_name()); });
  server.start();
  std::map<std::string, int> connections_per_thread;
  for (int i = 0; i < 6; ++i) {
    Client client(quick_client());  // a new client: a new connection
    const auto response = client.get(server.endpoints()[0].url() + "/who");
    ASSERT_EQ(response.status, 200);
    ++connections_per_thread[response.body];
    EXPECT_EQ(client.connections_opened(), 1U);
  }
  ASSERT_EQ(connections_per_thread.size(), 2U);
  for (const auto& [thread, count] : connections_per_thread)
    EXPECT_EQ(count, 3) << "thread " << thread;
}

TEST(ServerThreads, HandlersOnTwoConnectionsRunAtTheSameTimeOnDifferentThreads) {
  Rendezvous both(2);
  Server server(options_with_threads(2), [&](Request&) {
    const bool together = both.arrive_and_wait();
    return Response::text(Status::ok, (together ? "together " : "alone ") + this_thread_name());
  });
  server.start();
  const std::string url = server.endpoints()[0].url() + "/meet";
  auto call = [&] { return Client(quick_client()).get(url); };
  auto first = std::async(std::launch::async, call);
  auto second = std::async(std::launch::async, call);
  const auto a = first.get();
  const auto b = second.get();
  ASSERT_EQ(a.status, 200);
  ASSERT_EQ(b.status, 200);
  EXPECT_TRUE(a.body.starts_with("together ")) << a.body;
  EXPECT_TRUE(b.body.starts_with("together ")) << b.body;
  EXPECT_NE(a.body, b.body);  // two I/O threads, not one
}

TEST(ServerThreads, OneIoThreadServesInterleavedKeepAliveConnections) {
  Server server(options_with_threads(1),
                [](Request& request) { return Response::text(Status::ok, request.path); });
  server.start();
  const std::string base = server.endpoints()[0].url();
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 3; ++i)
    clients.push_back(std::make_unique<Client>(quick_client()));
  for (int round = 0; round < 4; ++round) {
    for (size_t i = 0; i < clients.size(); ++i) {
      const std::string path = "/c" + std::to_string(i) + "/r" + std::to_string(round);
      const auto response = clients[i]->get(base + path);
      ASSERT_EQ(response.status, 200);
      EXPECT_EQ(response.body, path);
    }
  }
  for (const auto& client : clients)
    EXPECT_EQ(client->connections_opened(), 1U);
}

TEST(ServerThreads, ManyClientsOnEveryThreadGetEveryAnswer) {
  std::atomic<int> handled{0};
  Server server(options_with_threads(2), [&](Request& request) {
    ++handled;
    return Response::text(Status::ok, request.path);
  });
  server.start();
  const std::string base = server.endpoints()[0].url();
  constexpr int kClients = 8;
  constexpr int kRequests = 50;
  std::atomic<int> correct{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < kClients; ++c) {
    callers.emplace_back([&, c] {
      Client client(quick_client());
      for (int r = 0; r < kRequests; ++r) {
        const std::string path = "/" + std::to_string(c) + "/" + std::to_string(r);
        const auto response = client.get(base + path);
        if (response.status == 200 && response.body == path) ++correct;
      }
    });
  }
  for (auto& caller : callers)
    caller.join();
  EXPECT_EQ(correct, kClients * kRequests);
  EXPECT_EQ(handled, kClients * kRequests);
}

TEST(ServerThreads, TlsConnectionsOnEveryThread) {
  std::mutex mutex;
  std::set<std::string> threads;
  Server server(options_with_threads(2, "https://127.0.0.1:0"), [&](Request& request) {
    std::lock_guard lock(mutex);
    threads.insert(this_thread_name());
    return Response::text(Status::ok, request.secure ? "secure" : "plain");
  });
  server.start();
  ClientOptions options = quick_client();
  options.ca_pem = server.certificate_pem();
  const std::string url = server.endpoints()[0].url() + "/tls";
  std::vector<std::future<int>> callers;
  for (int c = 0; c < 4; ++c) {
    callers.push_back(std::async(std::launch::async, [&] {
      Client client(options);
      int secure = 0;
      for (int r = 0; r < 5; ++r)
        secure += client.get(url).body == "secure" ? 1 : 0;
      return secure;
    }));
  }
  for (auto& caller : callers)
    EXPECT_EQ(caller.get(), 5);
  EXPECT_EQ(threads.size(), 2U);
}

TEST(ServerThreads, StopLetsInFlightRequestsOnEveryThreadFinish) {
  Rendezvous both(2);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  Server server(options_with_threads(2), [&](Request&) {
    const bool together = both.arrive_and_wait();
    // Held until the stop has begun, so the answer is written while the server stops.
    if (released.wait_for(20s) != std::future_status::ready)
      return Response::text(Status::ok, "never released");
    return Response::text(Status::ok, together ? "finished together" : "finished alone");
  });
  server.start();
  const uint16_t port = server.endpoints()[0].port;
  const std::string url = server.endpoints()[0].url() + "/slow";
  auto call = [&] { return Client(quick_client()).get(url); };
  auto first = std::async(std::launch::async, call);
  auto second = std::async(std::launch::async, call);
  ASSERT_TRUE(both.wait_for_all());

  std::thread stopper([&] { server.stop(std::chrono::seconds(20)); });
  // The listeners close first: once connecting fails the stop is under way.
  bool refusing = false;
  for (int attempt = 0; attempt < 2000 && !refusing; ++attempt) {
    refusing = refuses_connections(port);
    if (!refusing) std::this_thread::sleep_for(5ms);
  }
  release.set_value();
  stopper.join();
  EXPECT_TRUE(refusing);
  for (auto* answer : {&first, &second}) {
    const auto response = answer->get();
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "finished together");
    EXPECT_EQ(response.header("Connection"), "close");
  }
  EXPECT_TRUE(refuses_connections(port));
}

TEST(ServerThreads, StopEndsAnEventStreamOnTheSecondThread) {
  std::atomic<bool> producer_ended{false};
  std::promise<void> first_event;
  Server server(options_with_threads(2), [&](Request& request) {
    if (request.path != "/events") return Response::text(Status::ok, "plain");
    return Response::events([&](EventSink& sink) {
      if (sink.send("tick", "first")) first_event.set_value();
      while (sink.send("tick", "x"))
        std::this_thread::sleep_for(10ms);
      producer_ended = true;
    });
  });
  server.start();
  const std::string base = server.endpoints()[0].url();
  Client plain(quick_client());  // takes the first thread, so the stream lands on the second
  ASSERT_EQ(plain.get(base + "/plain").status, 200);
  std::thread reader([&] {
    Client client(quick_client());
    try {
      client.stream_events(base + "/events", {}, [](auto, auto) { return true; });
    } catch (const TransportError&) {
    }
  });
  ASSERT_EQ(first_event.get_future().wait_for(20s), std::future_status::ready);
  server.stop(std::chrono::milliseconds(300));
  EXPECT_TRUE(producer_ended);
  reader.join();
}

}  // namespace
}  // namespace pbx::http
