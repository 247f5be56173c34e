#pragma once
// What a running Server and its connections share (internal to src/http): the options, the
// handler, the I/O contexts and threads, the acceptors, and the registry of live sessions that
// stop() shuts down.

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "http/server.hpp"

namespace pbx::http::detail {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

// What the server does to every connection when it stops; implemented per stream type.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Thread-safe. Graceful: idle connections close now, busy ones after their response.
  // Forced: the socket closes at once, cancelling whatever is pending.
  virtual void shutdown(bool force) = 0;
};

// Shared by the server and its sessions. Sessions hold a reference: stop() waits for all of
// them (or ~ServerCore destroys the io_contexts, and their pending handlers, before the rest).
struct ServerCore {
  ServerOptions options;
  Handler handler;
  std::shared_ptr<spdlog::logger> logger;
  bool access_log = true;
  std::string certificate_pem;
  std::optional<net::ssl::context> tls_context;
  std::vector<BoundEndpoint> endpoints;

  std::atomic<bool> stopping{false};
  std::atomic<bool> closed{false};  // past the grace period: event sinks stop waiting

  std::mutex sessions_mutex;
  std::condition_variable sessions_changed;
  std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions;
  size_t connection_count = 0;  // guarded by sessions_mutex

  std::mutex producers_mutex;
  std::condition_variable producers_changed;
  size_t producers = 0;

  std::unique_ptr<net::thread_pool> handler_pool;
  // One io_context per I/O thread, each run by that thread alone: a connection lives on one
  // context for its whole life, so its handlers never need a strand and the threads never
  // contend for one scheduler queue (one shared context kept 2 threads below one core's worth).
  // The acceptors live on a context of their own, run by one more thread, and deal accepted
  // sockets round-robin: a handler blocking an I/O thread never delays accepting, nor the
  // listeners' close when the server stops.
  std::unique_ptr<net::io_context> accept_context = std::make_unique<net::io_context>(1);
  std::vector<std::unique_ptr<net::io_context>> contexts;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> work;
  size_t next_context = 0;  // only touched by accept handlers, which all run on accept_context
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::vector<std::thread> io_threads;

  explicit ServerCore(ServerOptions opts, Handler h, unsigned threads)
      : options(std::move(opts)), handler(std::move(h)) {
    for (unsigned i = 0; i < threads; ++i)
      contexts.push_back(std::make_unique<net::io_context>(1));  // 1: one thread runs it
  }
  ~ServerCore() {
    // Closed and aborted accepts queued on the accept context still name the connection
    // contexts: the acceptors and that context go first, then the rest, each destroying only
    // its own connections' pending handlers.
    acceptors.clear();
    accept_context.reset();
    for (auto& context : contexts)
      context.reset();
  }

  net::io_context& acceptor_context() { return *accept_context; }
  // The context the next accepted connection lives on.
  net::io_context::executor_type next_connection_executor() {
    net::io_context& context = *contexts[next_context];
    next_context = (next_context + 1) % contexts.size();
    return context.get_executor();
  }

  void register_session(const std::shared_ptr<SessionBase>& session) {
    std::lock_guard lock(sessions_mutex);
    sessions.emplace(session.get(), session);
  }
  void unregister_session(SessionBase* session) {
    std::lock_guard lock(sessions_mutex);
    sessions.erase(session);
    --connection_count;
    sessions_changed.notify_all();
  }
  std::vector<std::shared_ptr<SessionBase>> live_sessions() {
    std::vector<std::shared_ptr<SessionBase>> live;
    std::lock_guard lock(sessions_mutex);
    for (const auto& [key, weak] : sessions) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
    return live;
  }
  bool wait_for_no_connections(Clock::time_point deadline) {
    std::unique_lock lock(sessions_mutex);
    return sessions_changed.wait_until(lock, deadline, [&] { return connection_count == 0; });
  }

  Response invoke(Request& request) {
    try {
      return handler(request);
    } catch (const std::exception& error) {
      logger->error("handler failed on {} {}: {}", bhttp::to_string(request.method), request.path,
                    error.what());
    } catch (...) {
      logger->error("handler failed on {} {}: unknown exception", bhttp::to_string(request.method),
                    request.path);
    }
    return Response::json(Status::internal_server_error,
                          boost::json::object{{"error", "internal server error"}});
  }
};

// Starts serving an accepted connection on `endpoint` (TLS or plain, as the endpoint is).
void start_session(ServerCore& core, tcp::socket socket, const BoundEndpoint& endpoint);

}  // namespace pbx::http::detail
