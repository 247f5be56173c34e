#include "http/client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <map>
#include <mutex>
#include <stop_token>
#include <thread>
#include <variant>

namespace pbx::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

std::string_view ClientResponse::header(std::string_view name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string_view{} : std::string_view(it->value());
}

boost::json::value ClientResponse::json() const {
  boost::system::error_code error;
  auto value = boost::json::parse(body, error);
  if (error) {
    throw std::runtime_error("HTTP " + std::to_string(status) +
                             " response body is not JSON: " + error.message());
  }
  return value;
}

namespace {

struct Origin {
  bool tls = false;
  std::string host;  // without brackets
  uint16_t port = 0;
  std::string target;  // origin-form path and query
  std::string host_header;
  std::string key() const { return (tls ? "https://" : "http://") + host_header; }
};

Origin parse_origin(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) throw TransportError("invalid URL '" + std::string(url) + "'");
  Origin origin;
  const auto scheme = parsed->scheme();
  if (scheme == "https") {
    origin.tls = true;
  } else if (scheme != "http") {
    throw TransportError("unsupported URL scheme in '" + std::string(url) + "'");
  }
  if (parsed->host_type() == boost::urls::host_type::ipv6) {
    origin.host = parsed->host_ipv6_address().to_string();
  } else {
    origin.host = parsed->host();
  }
  if (origin.host.empty()) throw TransportError("URL without host: '" + std::string(url) + "'");
  origin.port = parsed->has_port() ? parsed->port_number() : (origin.tls ? 443 : 80);
  origin.target = std::string(parsed->encoded_path());
  if (origin.target.empty()) origin.target = "/";
  if (parsed->has_query()) {
    origin.target += '?';
    origin.target += parsed->encoded_query();
  }
  origin.host_header = std::string(parsed->encoded_host_and_port());
  if (!parsed->has_port()) origin.host_header = std::string(parsed->encoded_host());
  return origin;
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code error;
  net::ip::make_address(host, error);
  return !error;
}

bool idempotent(Verb method) {
  return method == Verb::get || method == Verb::head || method == Verb::put ||
         method == Verb::delete_ || method == Verb::options || method == Verb::trace;
}

// Where a failure happened decides whether a non-idempotent request may be repeated.
enum class Stage { connect, exchange };

struct Failure {
  Stage stage;
  bool stale;  // a reused connection failed before any response byte: the server had closed it
  std::string message;
  bool cancelled = false;  // the caller's stop token closed the connection
};

// One TCP (and maybe TLS) connection with its own io_context: blocking calls run async
// operations under a deadline, which gives real timeouts.
class Connection {
 public:
  Connection(const Origin& origin, net::ssl::context* tls_context, bool verify)
      : origin_key_(origin.key()) {
    if (origin.tls) {
      tls_stream_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ioc_, *tls_context);
      SSL* ssl = tls_stream_->native_handle();
      if (!is_ip_literal(origin.host)) SSL_set_tlsext_host_name(ssl, origin.host.c_str());
      if (verify) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        if (is_ip_literal(origin.host)) {
          X509_VERIFY_PARAM_set1_ip_asc(param, origin.host.c_str());
        } else {
          X509_VERIFY_PARAM_set1_host(param, origin.host.c_str(), 0);
        }
      }
    } else {
      plain_stream_ = std::make_unique<beast::tcp_stream>(ioc_);
    }
  }

  const std::string& origin_key() const { return origin_key_; }
  bool reused() const { return reused_; }
  void mark_reused() { reused_ = true; }

  beast::tcp_stream& tcp() {
    return tls_stream_ ? beast::get_lowest_layer(*tls_stream_) : *plain_stream_;
  }

  template <class Function>
  decltype(auto) with_stream(Function&& function) {
    if (tls_stream_) return function(*tls_stream_);
    return function(*plain_stream_);
  }

  // Runs the queued operations; the stream's deadline bounds them. A cancel() from another
  // thread ends them early.
  void run() {
    ioc_.restart();
    ioc_.run();
    if (cancelled_) throw Failure{Stage::exchange, false, "cancelled", true};
  }

  // Thread-safe: aborts the operation in flight (or the next one) on this connection, which is
  // then never pooled again.
  void cancel() {
    cancelled_ = true;
    net::post(ioc_, [this] {
      beast::error_code ignored;
      tcp().socket().cancel(ignored);
    });
  }
  bool cancelled() const { return cancelled_; }

  void connect(const Origin& origin, std::chrono::milliseconds timeout) {
    tcp::resolver resolver(ioc_);
    beast::error_code error;
    const auto endpoints = resolver.resolve(origin.host, std::to_string(origin.port), error);
    if (error)
      throw Failure{Stage::connect, false,
                    "cannot resolve " + origin.host + ": " + error.message()};
    tcp().expires_after(timeout);
    tcp().async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { error = e; });
    run();
    if (error) {
      throw Failure{Stage::connect, false,
                    "cannot connect to " + origin.host_header + ": " + error.message()};
    }
    tcp().socket().set_option(tcp::no_delay(true), error);
    if (tls_stream_) {
      tls_stream_->async_handshake(net::ssl::stream_base::client,
                                   [&](beast::error_code e) { error = e; });
      run();
      if (error) {
        throw Failure{Stage::connect, false,
                      "TLS handshake with " + origin.host_header + " failed: " + error.message()};
      }
    }
  }

  // True when the peer has closed an idle pooled connection (or sent unexpected bytes).
  bool peer_closed() {
    char byte;
    const ssize_t n = ::recv(tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) return true;
    if (n > 0) return true;  // nothing may arrive on an idle connection
    return errno != EAGAIN && errno != EWOULDBLOCK;
  }

  beast::flat_buffer buffer;

 private:
  std::string origin_key_;
  net::io_context ioc_{1};
  std::unique_ptr<beast::tcp_stream> plain_stream_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls_stream_;
  bool reused_ = false;
  std::atomic<bool> cancelled_{false};
};

// While alive, a stop request on `stop` cancels `connection`'s operation in flight.
class CancelOnStop {
 public:
  CancelOnStop(Connection& connection, const std::stop_token& stop)
      : callback_(stop, [&connection] { connection.cancel(); }) {}

 private:
  std::stop_callback<std::function<void()>> callback_;
};

// What is left of the caller's deadline, capped at `limit`; zero or less once it has passed.
std::chrono::milliseconds within_deadline(const RequestControl& control,
                                          std::chrono::milliseconds limit) {
  if (!control.deadline) return limit;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      *control.deadline - std::chrono::steady_clock::now());
  return std::min(limit, left);
}

bool is_connection_loss(const beast::error_code& error) {
  return error == bhttp::error::end_of_stream || error == net::error::eof ||
         error == net::error::connection_reset || error == net::error::broken_pipe ||
         error == net::error::connection_aborted || error == bhttp::error::partial_message ||
         error == net::ssl::error::stream_truncated;
}

}  // namespace

struct Client::Impl {
  ClientOptions options;
  std::once_flag tls_ready;
  net::ssl::context tls_context{net::ssl::context::tls_client};
  std::mutex pool_mutex;
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle;
  std::atomic<size_t> opened{0};
  std::atomic<size_t> sent{0};

  explicit Impl(ClientOptions opts) : options(std::move(opts)) {}

  // Set up on first use: reading the system trust store costs tens of milliseconds, which
  // plain-HTTP clients should not pay.
  net::ssl::context& tls() {
    std::call_once(tls_ready, [this] {
      tls_context.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                              net::ssl::context::no_sslv3);
      if (!options.verify_tls) return tls_context.set_verify_mode(net::ssl::verify_none);
      tls_context.set_verify_mode(net::ssl::verify_peer);
      tls_context.set_default_verify_paths();
      if (!options.ca_file.empty()) tls_context.load_verify_file(options.ca_file.string());
      if (!options.ca_pem.empty()) {
        tls_context.add_certificate_authority(net::buffer(options.ca_pem));
      }
    });
    return tls_context;
  }

  std::unique_ptr<Connection> open(const Origin& origin, const RequestControl& control = {}) {
    auto connection =
        std::make_unique<Connection>(origin, origin.tls ? &tls() : nullptr, options.verify_tls);
    const auto timeout = within_deadline(control, options.connect_timeout);
    if (timeout.count() <= 0) throw Failure{Stage::connect, false, "the deadline has passed"};
    {
      CancelOnStop cancel_on_stop(*connection, control.stop);
      connection->connect(origin, timeout);
    }
    ++opened;
    return connection;
  }

  std::unique_ptr<Connection> borrow(const Origin& origin, const RequestControl& control) {
    {
      std::lock_guard lock(pool_mutex);
      auto& connections = idle[origin.key()];
      while (!connections.empty()) {
        auto connection = std::move(connections.back());
        connections.pop_back();
        if (!connection->peer_closed()) return connection;
      }
    }
    return open(origin, control);
  }

  void give_back(std::unique_ptr<Connection> connection) {
    connection->mark_reused();
    std::lock_guard lock(pool_mutex);
    auto& connections = idle[connection->origin_key()];
    if (connections.size() < options.max_idle_per_origin) {
      connections.push_back(std::move(connection));
    }
  }

  bhttp::request<bhttp::string_body> build(Verb method, const Origin& origin, std::string body,
                                           const Headers& headers) const {
    bhttp::request<bhttp::string_body> message(method, origin.target, 11);
    message.set(Field::host, origin.host_header);
    message.set(Field::user_agent, options.user_agent);
    for (const auto& field : headers)
      message.set(field.name_string(), field.value());
    message.body() = std::move(body);
    message.keep_alive(true);
    message.prepare_payload();
    return message;
  }

  // One exchange on a borrowed connection. Returns the response and whether it may be pooled.
  ClientResponse exchange(Connection& connection, bhttp::request<bhttp::string_body>& message,
                          bool& keep_alive, const RequestControl& control) {
    const auto timeout = within_deadline(control, options.request_timeout);
    if (timeout.count() <= 0) throw Failure{Stage::exchange, false, "the deadline has passed"};
    CancelOnStop cancel_on_stop(connection, control.stop);
    beast::error_code error;
    connection.tcp().expires_after(timeout);
    ++sent;
    connection.with_stream([&](auto& stream) {
      bhttp::async_write(stream, message, [&](beast::error_code e, size_t) { error = e; });
    });
    connection.run();
    if (error) {
      throw Failure{Stage::exchange, connection.reused() && is_connection_loss(error),
                    "sending the request failed: " + error.message()};
    }
    bhttp::response_parser<bhttp::string_body> parser;
    parser.header_limit(1024 * 1024);
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    if (message.method() == Verb::head) parser.skip(true);
    connection.with_stream([&](auto& stream) {
      bhttp::async_read(stream, connection.buffer, parser,
                        [&](beast::error_code e, size_t) { error = e; });
    });
    connection.run();
    if (error) {
      const bool stale = connection.reused() && !parser.got_some() && is_connection_loss(error);
      throw Failure{Stage::exchange, stale,
                    error == beast::error::timeout
                        ? "no answer within " + std::to_string(timeout.count()) + " ms"
                        : "reading the response failed: " + error.message()};
    }
    auto response = parser.release();
    keep_alive = response.keep_alive();
    ClientResponse result;
    result.status = response.result_int();
    result.body = std::move(response.body());
    result.headers = std::move(static_cast<Headers&>(response.base()));
    return result;
  }

  ClientResponse request(Verb method, std::string_view url, std::string body,
                         const Headers& headers, const RequestControl& control) {
    const Origin origin = parse_origin(url);
    auto message = build(method, origin, std::move(body), headers);
    const bool may_repeat = idempotent(method);
    const std::string what = std::string(bhttp::to_string(method)) + " " + std::string(url) + ": ";
    auto backoff = options.retry_backoff;
    for (unsigned attempt = 0;; ++attempt) {
      if (control.stop.stop_requested()) throw RequestCancelled(what + "cancelled");
      // No retry starts when the caller's deadline would cut its backoff short.
      const bool last_attempt = attempt >= options.max_retries ||
                                within_deadline(control, backoff).count() < backoff.count();
      try {
        std::unique_ptr<Connection> connection;
        ClientResponse response;
        bool keep_alive = false;
        // A pooled connection the server closed meanwhile fails before any answer; that
        // is repeated at once on a fresh connection, even for POST, and costs no retry.
        for (int stale_tries = 0;; ++stale_tries) {
          connection = borrow(origin, control);
          try {
            response = exchange(*connection, message, keep_alive, control);
            break;
          } catch (const Failure& failure) {
            if (!failure.stale || stale_tries >= 2) throw;
          }
        }
        if (keep_alive && !connection->cancelled()) give_back(std::move(connection));
        if (response.status < 500 || !may_repeat || last_attempt) return response;
      } catch (const Failure& failure) {
        if (failure.cancelled) throw RequestCancelled(what + failure.message);
        const bool repeatable = may_repeat || failure.stage == Stage::connect;
        if (!repeatable || last_attempt) throw TransportError(what + failure.message);
      }
      std::this_thread::sleep_for(backoff);
      backoff *= 2;
    }
  }
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Client::~Client() = default;

ClientResponse Client::request(Verb method, std::string_view url, std::string body,
                               const Headers& headers, const RequestControl& control) {
  return impl_->request(method, url, std::move(body), headers, control);
}

ClientResponse Client::send_json(Verb method, std::string_view url, const boost::json::value& body,
                                 const Headers& headers) {
  Headers with_type = headers;
  if (with_type.find(Field::content_type) == with_type.end()) {
    with_type.set(Field::content_type, "application/json");
  }
  if (with_type.find(Field::accept) == with_type.end()) {
    with_type.set(Field::accept, "application/json");
  }
  return impl_->request(method, url, boost::json::serialize(body), with_type, {});
}

namespace {

// Incremental text/event-stream decoder (WHATWG grammar, minus `id` and `retry`).
class EventDecoder {
 public:
  using Callback = std::function<bool(std::string_view, std::string_view)>;
  explicit EventDecoder(const Callback& callback) : callback_(callback) {}

  // Returns false once the callback asked to stop.
  bool feed(std::string_view chunk) {
    pending_ += chunk;
    size_t start = 0;
    for (;;) {
      const size_t newline = pending_.find('\n', start);
      if (newline == std::string::npos) break;
      std::string_view line(pending_.data() + start, newline - start);
      start = newline + 1;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!on_line(line)) return false;
    }
    pending_.erase(0, start);
    return true;
  }

 private:
  bool on_line(std::string_view line) {
    if (line.empty()) {
      if (!has_data_ && event_.empty()) return true;
      const bool go_on = callback_(event_, data_);
      event_.clear();
      data_.clear();
      has_data_ = false;
      return go_on;
    }
    if (line.front() == ':') return true;
    const size_t colon = line.find(':');
    std::string_view name = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    if (value.starts_with(' ')) value.remove_prefix(1);
    if (name == "event") {
      event_ = value;
    } else if (name == "data") {
      if (has_data_) data_ += '\n';
      data_ += value;
      has_data_ = true;
    }
    return true;
  }

  const Callback& callback_;
  std::string pending_;
  std::string event_;
  std::string data_;
  bool has_data_ = false;
};

}  // namespace

ClientResponse Client::stream_events(
    std::string_view url, const Headers& headers,
    const std::function<bool(std::string_view event, std::string_view data)>& on_event) {
  const Origin origin = parse_origin(url);
  Headers with_accept = headers;
  if (with_accept.find(Field::accept) == with_accept.end()) {
    with_accept.set(Field::accept, "text/event-stream");
  }
  auto message = impl_->build(Verb::get, origin, {}, with_accept);
  // A dedicated connection: the stream holds it for its whole life and it is not pooled after.
  std::unique_ptr<Connection> connection;
  auto backoff = impl_->options.retry_backoff;
  for (unsigned attempt = 0; !connection; ++attempt) {
    try {
      connection = impl_->open(origin);
    } catch (const Failure& failure) {
      if (attempt >= impl_->options.max_retries) {
        throw TransportError("GET " + std::string(url) + ": " + failure.message);
      }
      std::this_thread::sleep_for(backoff);
      backoff *= 2;
    }
  }
  ++impl_->sent;

  beast::error_code error;
  const auto fail = [&](std::string_view what) {
    throw TransportError("GET " + std::string(url) + ": " + std::string(what) + ": " +
                         error.message());
  };
  connection->tcp().expires_after(impl_->options.request_timeout);
  connection->with_stream([&](auto& stream) {
    bhttp::async_write(stream, message, [&](beast::error_code e, size_t) { error = e; });
  });
  connection->run();
  if (error) fail("sending the request failed");

  bhttp::response_parser<bhttp::buffer_body> parser;
  parser.header_limit(1024 * 1024);
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  connection->with_stream([&](auto& stream) {
    bhttp::async_read_header(stream, connection->buffer, parser,
                             [&](beast::error_code e, size_t) { error = e; });
  });
  connection->run();
  if (error) fail("reading the response failed");

  ClientResponse head;
  head.status = parser.get().result_int();
  for (const auto& field : parser.get())
    head.headers.insert(field.name_string(), field.value());
  const bool is_stream =
      head.status == 200 && head.header("Content-Type").starts_with("text/event-stream");
  EventDecoder decoder(on_event);
  std::array<char, 8192> chunk{};
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    // Between events the read timeout is an idle timeout: a stream may live for long.
    connection->tcp().expires_after(impl_->options.request_timeout);
    connection->with_stream([&](auto& stream) {
      bhttp::async_read_some(stream, connection->buffer, parser,
                             [&](beast::error_code e, size_t) { error = e; });
    });
    connection->run();
    if (error == bhttp::error::need_buffer) error = {};
    const size_t received = chunk.size() - parser.get().body().size;
    const std::string_view data(chunk.data(), received);
    if (is_stream) {
      if (!decoder.feed(data)) break;
    } else {
      head.body += data;
    }
    if (error == bhttp::error::end_of_stream || error == bhttp::error::partial_message) break;
    if (error) fail("reading the event stream failed");
  }
  return head;
}

size_t Client::connections_opened() const {
  return impl_->opened;
}
size_t Client::requests_sent() const {
  return impl_->sent;
}

}  // namespace pbx::http
