#include "http/server.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "common/files.hpp"
#include "common/text.hpp"
#include "http/tls.hpp"

namespace pbx::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

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

namespace {

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

std::string peer_address(const tcp::socket& socket) {
  boost::system::error_code error;
  const auto endpoint = socket.remote_endpoint(error);
  if (error) return {};
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6());
  }
  return address.to_string();
}

// The first line of a handler's reason text without control characters: anything else would
// let a message (an error text from user input) split the status line or forge headers.
std::string status_line_reason(std::string_view text) {
  text = text.substr(0, text.find_first_of("\r\n"));
  std::string reason;
  reason.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f) reason.push_back(c);
  }
  return reason;
}

bool is_parse_error(const boost::system::error_code& error) {
  return error.category() == bhttp::make_error_code(bhttp::error::bad_target).category();
}

template <class Stream>
class Session;

// Hands server-sent events from a producer thread to the connection's I/O thread and waits for each
// write, so a slow reader slows the producer down instead of growing a queue.
template <class Stream>
class StreamSink final : public EventSink {
 public:
  explicit StreamSink(std::shared_ptr<Session<Stream>> session) : session_(std::move(session)) {}

  // A stopping server still delivers events until its grace period is over, so a producer that
  // ends on the stop (a cancelled sync) can send its last frame (the summary).
  bool send(std::string_view event, std::string_view data) override {
    if (gone() || session_->core().closed) return false;
    auto written = std::make_shared<std::promise<bool>>();
    auto result = written->get_future();
    session_->post_event(format_event(event, data), std::move(written));
    while (result.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
      if (session_->core().closed) return false;
    }
    return result.get();
  }

  bool gone() const { return session_->client_gone(); }

 private:
  std::shared_ptr<Session<Stream>> session_;
};

template <class Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  template <class... StreamArgs>
  Session(ServerCore& core, tcp::socket socket, uint16_t local_port, StreamArgs&&... args)
      : core_(core),
        remote_address_(peer_address(socket)),
        local_port_(local_port),
        stream_(std::move(socket), std::forward<StreamArgs>(args)...) {}

  ~Session() override { core_.unregister_session(this); }

  ServerCore& core() { return core_; }
  bool client_gone() const { return client_gone_.load(); }

  void start() {
    core_.register_session(this->shared_from_this());
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->handshake();
      } else {
        self->wait_for_request();
      }
    });
  }

  void shutdown(bool force) override {
    net::post(stream_.get_executor(), [self = this->shared_from_this(), force] {
      if (force || !self->busy_) {
        self->close_now();
      } else {
        self->close_after_response_ = true;
      }
    });
  }

  void post_event(std::string frame, std::shared_ptr<std::promise<bool>> written) {
    net::post(stream_.get_executor(), [self = this->shared_from_this(), frame = std::move(frame),
                                       written = std::move(written)]() mutable {
      self->write_event(std::move(frame), std::move(written));
    });
  }

 private:
  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }

  void handshake() {
    if constexpr (kTls) {
      tcp().expires_after(core_.options.limits.read_timeout);
      stream_.async_handshake(net::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code error) {
                                if (error) return self->close_now();
                                self->wait_for_request();
                              });
    }
  }

  // Waits for the first byte of the next request under the idle timeout, so a quiet keep-alive
  // connection and a slowly-sent request are timed separately.
  void wait_for_request() {
    busy_ = false;
    if (core_.stopping || close_after_response_) return close_now();
    if (buffer_.size() > 0) return read_header();
    const auto timeout = first_request_ ? std::min(core_.options.limits.read_timeout,
                                                   core_.options.limits.idle_timeout)
                                        : core_.options.limits.idle_timeout;
    tcp().expires_after(timeout);
    stream_.async_read_some(buffer_.prepare(4096), [self = this->shared_from_this()](
                                                       beast::error_code error, size_t bytes) {
      if (error) return self->close_now();
      self->buffer_.commit(bytes);
      self->read_header();
    });
  }

  void read_header() {
    busy_ = true;
    started_ = Clock::now();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(core_.options.limits.max_header_bytes));
    parser_->body_limit(core_.options.limits.max_body_bytes);
    tcp().expires_after(core_.options.limits.read_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = this->shared_from_this()](beast::error_code error, size_t) {
                               self->on_header(error);
                             });
  }

  void on_header(beast::error_code error) {
    if (error) return on_read_error(error);
    auto& message = parser_->get();
    if (message.version() != 10 && message.version() != 11) {
      return send_error(Status::bad_request, "unsupported HTTP version");
    }
    if (parser_->is_done()) return handle_request();
    // Beast rejects a Content-Length beyond body_limit while parsing the header; a chunked
    // body is cut off by the same limit while it is read.
    if (beast::iequals(message[Field::expect], "100-continue")) {
      auto interim = std::make_shared<bhttp::response<bhttp::empty_body>>();
      interim->result(bhttp::status::continue_);
      interim->version(message.version());
      bhttp::async_write(
          stream_, *interim,
          [self = this->shared_from_this(), interim](beast::error_code write_error, size_t) {
            if (write_error) return self->close_now();
            self->read_body();
          });
      return;
    }
    read_body();
  }

  void read_body() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code error, size_t) {
                        if (error) return self->on_read_error(error);
                        self->handle_request();
                      });
  }

  void on_read_error(beast::error_code error) {
    if (error == bhttp::error::header_limit) {
      return send_error(Status::request_header_fields_too_large, "request header too large");
    }
    if (error == bhttp::error::body_limit) {
      return send_error(Status::payload_too_large, "request body too large");
    }
    if (is_parse_error(error) && error != bhttp::error::end_of_stream &&
        error != bhttp::error::partial_message) {
      return send_error(Status::bad_request, "malformed request: " + error.message());
    }
    close_now();  // end of stream, timeout, reset
  }

  void handle_request() {
    auto& message = parser_->get();
    request_keep_alive_ = message.keep_alive();
    version_ = message.version();
    method_ = message.method();
    log_method_ = std::string(message.method_string());
    Request request;
    try {
      request = Request::make(message.method(), message.target(), std::move(message.body()));
    } catch (const std::invalid_argument&) {
      return send_error(Status::bad_request, "invalid request target");
    }
    request.headers = std::move(static_cast<Headers&>(message.base()));
    request.remote_address = remote_address_;
    request.local_port = local_port_;
    request.secure = kTls;
    log_path_ = request.path;
    parser_.reset();

    if (core_.handler_pool) {
      net::post(*core_.handler_pool, [self = this->shared_from_this(),
                                      request = std::move(request)]() mutable {
        Response response = self->core_.invoke(request);
        net::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
          self->send_response(std::move(response));
        });
      });
      return;
    }
    send_response(core_.invoke(request));
  }

  bool keep_alive() const {
    return request_keep_alive_ && !close_after_response_ && !core_.stopping;
  }

  void send_response(Response response) {
    if (response.event_stream) return start_event_stream(std::move(response));
    if (response.delivery == Delivery::reset_connection) return reset_connection(response.code());
    const auto status = response.status;
    const bool no_body = bhttp::to_status_class(status) == bhttp::status_class::informational ||
                         status == Status::no_content || status == Status::not_modified;
    if (no_body) response.body.clear();
    auto message = std::make_shared<bhttp::response<bhttp::string_body>>(
        status, version_, std::move(response.body), std::move(response.headers));
    if (message->find(Field::server) == message->end())
      message->set(Field::server, core_.options.name);
    if (const std::string reason = status_line_reason(response.reason); !reason.empty()) {
      message->reason(reason);
    }
    const bool truncate = response.delivery == Delivery::truncate_body;
    message->keep_alive(keep_alive() && !truncate);
    message->prepare_payload();
    if (method_ == Verb::head) message->body().clear();  // Content-Length stays the GET length
    if (truncate) return write_truncated(std::move(message), response.truncate_at);
    write_message(std::move(message));
  }

  // SO_LINGER {on, 0} makes close() send an RST instead of a FIN, and over TLS no close_notify
  // goes out either: the peer sees a reset and not one byte of a response.
  void reset_connection(unsigned status) {
    log_access(status, 0);
    beast::error_code ignored;
    tcp().socket().set_option(net::socket_base::linger(true, 0), ignored);
    tcp().socket().close(ignored);
  }

  // The head keeps the Content-Length of the whole body; only the first `keep` body bytes follow
  // before the connection closes (without close_notify over TLS), so the peer must see a short
  // body, not a complete answer.
  void write_truncated(std::shared_ptr<bhttp::response<bhttp::string_body>> message, size_t keep) {
    keep = std::min(keep, message->body().size());
    auto serializer = std::make_shared<bhttp::response_serializer<bhttp::string_body>>(*message);
    tcp().expires_after(core_.options.limits.read_timeout);
    bhttp::async_write_header(
        stream_, *serializer,
        [self = this->shared_from_this(), message, serializer, keep](beast::error_code error,
                                                                     size_t head_bytes) {
          if (error) return self->close_now();
          net::async_write(self->stream_, net::buffer(message->body().data(), keep),
                           [self, message, head_bytes](beast::error_code, size_t body_bytes) {
                             self->log_access(message->result_int(), head_bytes + body_bytes);
                             self->close_now();
                           });
        });
  }

  void send_error(Status status, std::string text) {
    if (log_method_.empty()) log_method_ = "-";
    request_keep_alive_ = false;
    auto message = std::make_shared<bhttp::response<bhttp::string_body>>(status, 11);
    message->set(Field::content_type, "application/json");
    message->set(Field::server, core_.options.name);
    message->body() = boost::json::serialize(boost::json::object{{"error", text}});
    message->keep_alive(false);
    message->prepare_payload();
    write_message(std::move(message));
  }

  void write_message(std::shared_ptr<bhttp::response<bhttp::string_body>> message) {
    tcp().expires_after(core_.options.limits.read_timeout);
    const bool keep = message->keep_alive();
    bhttp::async_write(
        stream_, *message,
        [self = this->shared_from_this(), message, keep](beast::error_code error, size_t bytes) {
          self->log_access(message->result_int(), bytes);
          if (error) return self->close_now();
          if (!keep) return self->close_gracefully();
          self->first_request_ = false;
          self->wait_for_request();
        });
  }

  void log_access(unsigned status, size_t bytes) {
    if (!core_.access_log || !core_.logger->should_log(spdlog::level::info)) return;
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started_).count();
    core_.logger->info("{} {} {} {} {}B {}us", remote_address_, log_method_, log_path_, status,
                       bytes, micros);
    log_method_.clear();
    log_path_.clear();
  }

  // --- server-sent events -------------------------------------------------------------------

  void start_event_stream(Response response) {
    auto head = std::make_shared<bhttp::response<bhttp::empty_body>>(
        response.status, version_, bhttp::empty_body::value_type{}, std::move(response.headers));
    if (head->find(Field::server) == head->end()) head->set(Field::server, core_.options.name);
    // The stream ends the connection: a client never has to drain it to reuse the socket.
    head->keep_alive(false);
    head->chunked(true);
    auto serializer = std::make_shared<bhttp::response_serializer<bhttp::empty_body>>(*head);
    tcp().expires_after(core_.options.limits.read_timeout);
    bhttp::async_write_header(stream_, *serializer,
                              [self = this->shared_from_this(), head, serializer, path = log_path_,
                               producer = std::move(response.event_stream)](beast::error_code error,
                                                                            size_t bytes) mutable {
                                self->log_access(head->result_int(), bytes);
                                if (error) return self->close_now();
                                self->tcp().expires_never();
                                self->watch_for_disconnect();
                                self->run_producer(std::move(producer), std::move(path));
                              });
  }

  // A pending read notices the client hanging up while the producer has nothing to send.
  void watch_for_disconnect() {
    stream_.async_read_some(net::buffer(disconnect_probe_),
                            [self = this->shared_from_this()](beast::error_code error, size_t) {
                              if (error) {
                                self->client_gone_ = true;
                                return;
                              }
                              self->watch_for_disconnect();
                            });
  }

  void run_producer(EventProducer producer, std::string path) {
    {
      std::lock_guard lock(core_.producers_mutex);
      ++core_.producers;
    }
    // One thread per stream: producers block for the stream's lifetime and must never starve
    // the I/O threads or the handler pool.
    auto body = [self = this->shared_from_this(), producer = std::move(producer),
                 path = std::move(path)]() mutable {
      ServerCore& core = self->core_;
      try {
        StreamSink<Stream> sink(self);
        producer(sink);
      } catch (const std::exception& error) {
        core.logger->error("event stream producer failed on {}: {}", path, error.what());
      }
      net::post(self->stream_.get_executor(), [self] { self->finish_event_stream(); });
      self.reset();
      std::lock_guard lock(core.producers_mutex);
      --core.producers;
      core.producers_changed.notify_all();
    };
    try {
      std::thread(std::move(body)).detach();
    } catch (const std::system_error& error) {
      core_.logger->error("cannot start an event stream thread: {}", error.what());
      std::lock_guard lock(core_.producers_mutex);
      --core_.producers;
      core_.producers_changed.notify_all();
      close_now();
    }
  }

  void write_event(std::string frame, std::shared_ptr<std::promise<bool>> written) {
    if (client_gone_ || !tcp().socket().is_open()) return written->set_value(false);
    auto data = std::make_shared<std::string>(std::move(frame));
    tcp().expires_after(core_.options.limits.read_timeout);
    net::async_write(
        stream_, bhttp::make_chunk(net::buffer(*data)),
        [self = this->shared_from_this(), data, written](beast::error_code error, size_t) {
          if (error) self->client_gone_ = true;
          written->set_value(!error);
        });
  }

  void finish_event_stream() {
    if (client_gone_ || !tcp().socket().is_open()) return close_now();
    tcp().expires_after(core_.options.limits.read_timeout);
    net::async_write(
        stream_, bhttp::make_chunk_last(),
        // Not close_gracefully(): the disconnect watch is still reading.
        [self = this->shared_from_this()](beast::error_code, size_t) { self->close_now(); });
  }

  // --- closing -------------------------------------------------------------------------------

  void close_now() {
    beast::error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().socket().close(ignored);
  }

  // Half-closes, then drains what the client still sends for a moment: closing with unread
  // input makes the kernel send a reset that can destroy the response (e.g. a 413).
  void close_gracefully() {
    beast::error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
    tcp().expires_after(std::chrono::seconds(1));
    drain();
  }

  void drain() {
    tcp().async_read_some(net::buffer(disconnect_probe_),
                          [self = this->shared_from_this()](beast::error_code error, size_t) {
                            if (error) return self->close_now();
                            self->drain();
                          });
  }

  ServerCore& core_;
  std::string remote_address_;
  uint16_t local_port_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bool busy_ = false;
  bool first_request_ = true;
  bool close_after_response_ = false;
  bool request_keep_alive_ = false;
  unsigned version_ = 11;
  Verb method_ = Verb::get;
  std::string log_method_;
  std::string log_path_;
  Clock::time_point started_ = Clock::now();
  std::atomic<bool> client_gone_{false};
  std::array<char, 512> disconnect_probe_{};
};

std::shared_ptr<spdlog::logger> logger_named(const std::string& name) {
  if (auto existing = spdlog::get(name)) return existing;
  const auto& sinks = spdlog::default_logger()->sinks();
  auto logger = std::make_shared<spdlog::logger>(name, sinks.begin(), sinks.end());
  spdlog::initialize_logger(logger);
  return logger;
}

}  // namespace

struct Server::Impl {
  std::unique_ptr<ServerCore> core;
  bool start_called = false;
  bool running = false;  // threads up: stop() has something to wind down
  bool stopped = false;

  void accept(size_t index) {
    tcp::acceptor& acceptor = *core->acceptors[index];
    acceptor.async_accept(core->next_connection_executor(),
                          [this, index](beast::error_code error, tcp::socket socket) {
                            if (error == net::error::operation_aborted || core->stopping) return;
                            if (!error)
                              on_accept(index, std::move(socket));
                            else
                              core->logger->warn("accept failed: {}", error.message());
                            accept(index);
                          });
  }

  void on_accept(size_t index, tcp::socket socket) {
    {
      std::lock_guard lock(core->sessions_mutex);
      if (core->connection_count >= core->options.limits.max_connections) {
        beast::error_code ignored;
        socket.close(ignored);  // refused: beyond max_connections
        return;
      }
      ++core->connection_count;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    const BoundEndpoint& endpoint = core->endpoints[index];
    if (endpoint.tls) {
      std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
          *core, std::move(socket), endpoint.port, *core->tls_context)
          ->start();
    } else {
      std::make_shared<Session<beast::tcp_stream>>(*core, std::move(socket), endpoint.port)
          ->start();
    }
  }
};

Server::Server(ServerOptions options, Handler handler) : impl_(std::make_unique<Impl>()) {
  unsigned threads = options.io_threads != 0 ? options.io_threads
                                             : std::max(1U, std::thread::hardware_concurrency());
  impl_->core = std::make_unique<ServerCore>(std::move(options), std::move(handler), threads);
  impl_->core->options.io_threads = threads;
}

Server::~Server() {
  stop();
}

void Server::start() {
  ServerCore& core = *impl_->core;
  if (impl_->start_called) throw std::logic_error("Server::start called twice");
  impl_->start_called = true;
  core.logger = logger_named(core.options.name);
  core.access_log = core.options.access_log;
  if (core.options.listen.empty()) throw std::invalid_argument("server has no listen address");

  const bool any_tls = std::any_of(core.options.listen.begin(), core.options.listen.end(),
                                   [](const ListenAddress& a) { return a.tls; });
  if (any_tls) {
    std::string key_pem;
    const auto& tls = core.options.tls;
    if (tls.certificate_file.empty() != tls.private_key_file.empty()) {
      throw std::invalid_argument("TLS needs both a certificate and a private key file");
    }
    if (tls.certificate_file.empty()) {
      auto bundle = generate_self_signed({"localhost", "127.0.0.1", "::1"});
      core.certificate_pem = std::move(bundle.certificate_pem);
      key_pem = std::move(bundle.private_key_pem);
    } else {
      core.certificate_pem = common::read_file(tls.certificate_file);
      key_pem = common::read_file(tls.private_key_file);
    }
    core.tls_context.emplace(net::ssl::context::tls_server);
    auto& context = *core.tls_context;
    context.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                        net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                        net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use);
    context.use_certificate_chain(net::buffer(core.certificate_pem));
    context.use_private_key(net::buffer(key_pem), net::ssl::context::pem);
  }

  for (const auto& listen : core.options.listen) {
    net::ip::address address;
    if (listen.host.empty()) {
      address = net::ip::address_v4::any();
    } else {
      beast::error_code error;
      address = net::ip::make_address(listen.host, error);
      if (error) {
        tcp::resolver resolver(core.acceptor_context());
        const auto results = resolver.resolve(listen.host, std::to_string(listen.port));
        address = results.begin()->endpoint().address();
      }
    }
    const tcp::endpoint endpoint(address, listen.port);
    auto acceptor = std::make_unique<tcp::acceptor>(core.acceptor_context());
    try {
      acceptor->open(endpoint.protocol());
      acceptor->set_option(net::socket_base::reuse_address(true));
      if (address.is_v6() && address.to_v6().is_unspecified()) {
        acceptor->set_option(net::ip::v6_only(false));  // "::" takes IPv4 too
      }
      acceptor->bind(endpoint);
      acceptor->listen(net::socket_base::max_listen_connections);
    } catch (const boost::system::system_error& error) {
      throw std::system_error(error.code(), "cannot listen on " + listen.to_string());
    }
    core.endpoints.push_back({address.to_string(), acceptor->local_endpoint().port(), listen.tls});
    core.acceptors.push_back(std::move(acceptor));
  }

  if (core.options.handler_threads > 0) {
    core.handler_pool = std::make_unique<net::thread_pool>(core.options.handler_threads);
  }
  std::vector<net::io_context*> run_contexts{core.accept_context.get()};
  for (const auto& context : core.contexts)
    run_contexts.push_back(context.get());
  for (net::io_context* context : run_contexts)
    core.work.push_back(net::make_work_guard(*context));
  for (size_t i = 0; i < core.acceptors.size(); ++i)
    impl_->accept(i);
  for (net::io_context* context : run_contexts) {
    core.io_threads.emplace_back([&core, &ioc = *context] {
      for (;;) {
        try {
          ioc.run();
          return;
        } catch (const std::exception& error) {
          core.logger->error("I/O thread: {}", error.what());
        }
      }
    });
  }
  impl_->running = true;
}

void Server::stop(std::chrono::milliseconds grace) {
  if (!impl_->running || impl_->stopped) return;
  impl_->stopped = true;
  ServerCore& core = *impl_->core;
  core.stopping = true;

  std::vector<std::future<void>> closed;
  for (auto& acceptor : core.acceptors) {
    auto done = std::make_shared<std::promise<void>>();
    closed.push_back(done->get_future());
    net::post(acceptor->get_executor(), [&acceptor, done] {
      beast::error_code ignored;
      acceptor->close(ignored);
      done->set_value();
    });
  }
  for (auto& future : closed)
    future.wait();

  for (const auto& session : core.live_sessions())
    session->shutdown(false);
  if (!core.wait_for_no_connections(Clock::now() + grace)) {
    core.logger->warn("closing connections still busy after the {} ms grace period", grace.count());
    core.closed = true;
    for (const auto& session : core.live_sessions())
      session->shutdown(true);
    core.wait_for_no_connections(Clock::now() + std::chrono::seconds(2));
  }
  core.closed = true;
  {
    std::unique_lock lock(core.producers_mutex);
    core.producers_changed.wait(lock, [&] { return core.producers == 0; });
  }
  if (core.handler_pool) core.handler_pool->join();
  core.work.clear();
  core.accept_context->stop();
  for (auto& context : core.contexts)
    context->stop();
  for (auto& thread : core.io_threads)
    thread.join();
  core.io_threads.clear();
}

void Server::run_until_signal() {
  net::io_context signal_context;
  net::signal_set signals(signal_context, SIGINT, SIGTERM);
  signals.async_wait([this](beast::error_code error, int number) {
    if (!error) impl_->core->logger->info("signal {} received, stopping", number);
  });
  signal_context.run();
  stop();
}

const std::vector<BoundEndpoint>& Server::endpoints() const {
  return impl_->core->endpoints;
}

std::string Server::certificate_pem() const {
  return impl_->core->certificate_pem;
}

void announce_ready(const Server& server, const std::filesystem::path& ready_file) {
  boost::json::array endpoints;
  for (const auto& endpoint : server.endpoints()) {
    std::cout << "listening on " << endpoint.url() << '\n';
    endpoints.push_back(boost::json::object{{"url", endpoint.url()},
                                            {"host", endpoint.host},
                                            {"port", endpoint.port},
                                            {"tls", endpoint.tls}});
  }
  std::cout.flush();
  if (ready_file.empty()) return;
  const std::string content =
      boost::json::serialize(boost::json::object{{"endpoints", std::move(endpoints)}});
  common::write_file_atomically(ready_file, content + '\n');
}

}  // namespace pbx::http
