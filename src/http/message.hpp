#pragma once
// Transport-independent request and response types. Handlers (Proxmox mock, NetBox emulator,
// proxbox-api) see only these, so the same handler runs behind a socket or in-process.

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pbx::http {

using Verb = boost::beast::http::verb;
using Status = boost::beast::http::status;
using Field = boost::beast::http::field;
using Headers = boost::beast::http::fields;

// Ordered name/value pairs; repeated names are kept (NetBox ORs repeated filters).
using Params = std::vector<std::pair<std::string, std::string>>;

struct Request {
  Verb method = Verb::get;
  std::string target;  // as received: encoded path and query
  std::string path;    // percent-decoded path without the query
  Params query;        // percent-decoded, '+' as space, in order
  Headers headers;
  std::string body;
  Params path_params;          // filled by the Router from `{name}` segments
  std::string remote_address;  // peer IP, "" in-process
  uint16_t local_port = 0;     // port of the listener that accepted it, 0 in-process
  bool secure = false;         // arrived over TLS (directly)

  // Builds a request from a method and a raw target such as "/api/x/?a=1&b=2".
  // Throws std::invalid_argument when the target is not a valid origin-form URL.
  static Request make(Verb method, std::string_view target, std::string body = {});

  std::string_view header(Field name) const;
  std::string_view header(std::string_view name) const;
  std::optional<std::string_view> query_value(std::string_view name) const;
  std::vector<std::string_view> query_values(std::string_view name) const;
  // The value of the `{name}` path segment; empty when absent.
  std::string_view path_param(std::string_view name) const;
  // The path of `target` split on '/' first and percent-decoded per segment, so an encoded
  // slash ("10.0.0.0%2F24") stays inside its segment. Empty segments are skipped, as in routing.
  std::vector<std::string> path_segments() const;
};

// Receives server-sent events. send() returns false once the client has gone away, so a
// producer can stop early.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual bool send(std::string_view event, std::string_view data) = 0;
};

using EventProducer = std::function<void(EventSink&)>;

// How the server puts a response on the wire. Anything but `normal` is a deliberate transport
// failure for fault injection (mocks): a peer must see it as a broken connection, never as an
// answer, and in-process callers must report it as the socket client would (TransportError).
enum class Delivery {
  normal,
  reset_connection,  // no response bytes; the connection is reset (TCP RST, no TLS close_notify)
  truncate_body,     // head with the full Content-Length, `truncate_at` body bytes, then close
};

struct Response {
  Status status = Status::ok;
  Headers headers;
  std::string body;
  // The status line's reason phrase; empty → the standard text for `status`. Only its first
  // line is sent (real pveproxy puts its error message here and clients show it).
  std::string reason;
  Delivery delivery = Delivery::normal;
  size_t truncate_at = 0;  // body bytes sent before closing, for Delivery::truncate_body
  // When set, the response is a `text/event-stream`: headers go out at once and the producer
  // runs (off the I/O threads) writing events until it returns. `body` is ignored.
  EventProducer event_stream;

  static Response json(Status status, const boost::json::value& value);
  static Response json(const boost::json::value& value) { return json(Status::ok, value); }
  static Response text(Status status, std::string body,
                       std::string_view content_type = "text/plain; charset=utf-8");
  static Response empty(Status status);
  static Response events(EventProducer producer);

  unsigned code() const { return static_cast<unsigned>(status); }
  std::string_view header(Field name) const;
  // Why an in-process caller must treat this response as a transport failure ("connection
  // reset by peer", "partial message"); empty for Delivery::normal.
  std::string_view delivery_failure() const;
};

using Handler = std::function<Response(Request&)>;

// Formats one server-sent event frame ("event: x\ndata: ...\n\n"); multi-line data is split
// into several `data:` lines as the SSE grammar requires.
std::string format_event(std::string_view event, std::string_view data);

// Percent-decoding helpers shared by the server, the router and the clients.
std::string percent_decode(std::string_view text, bool plus_as_space);
std::string percent_encode(std::string_view text);
// Parses "a=1&b=2" (form-urlencoded / query string) into ordered pairs.
Params parse_form(std::string_view text);
std::string encode_form(const Params& params);

}  // namespace pbx::http
