// One connection of the server: reads requests, hands them to the handler (inline or on the
// handler pool), writes responses, streams server-sent events, and closes as the server stops.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>
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
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <future>
#include <stdexcept>
#include <thread>

#include "http/server_core.hpp"

namespace pbx::http::detail {

namespace beast = boost::beast;

namespace {

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

}  // namespace

void start_session(ServerCore& core, tcp::socket socket, const BoundEndpoint& endpoint) {
  if (endpoint.tls) {
    std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
        core, std::move(socket), endpoint.port, *core.tls_context)
        ->start();
  } else {
    std::make_shared<Session<beast::tcp_stream>>(core, std::move(socket), endpoint.port)->start();
  }
}

}  // namespace pbx::http::detail
