// Kept apart from transport.cpp so that programs and tests using only the in-process transport
// do not link the socket client.
#include "sync/transport.hpp"

namespace pbx::sync {

namespace {

http::ClientOptions without_retries(http::ClientOptions options) {
  options.max_retries = 0;
  return options;
}

}  // namespace

HttpTransport::HttpTransport(http::ClientOptions options, CircuitOptions circuit)
    : Transport(circuit),
      client_(std::make_unique<http::Client>(without_retries(std::move(options)))) {}

HttpTransport::~HttpTransport() = default;

http::ClientResponse HttpTransport::exchange(http::Verb method, std::string_view url,
                                             std::string body, const http::Headers& headers,
                                             const http::RequestControl& control) {
  count_request();
  try {
    return client_->request(method, url, std::move(body), headers, control);
  } catch (const http::TransportError& error) {
    // The client words its failures "GET <url>: <cause>"; the sync's lead with the cause.
    const std::string prefix =
        std::string(boost::beast::http::to_string(method)) + " " + std::string(url) + ": ";
    std::string_view cause = error.what();
    if (!cause.starts_with(prefix)) throw;
    cause.remove_prefix(prefix.size());
    if (dynamic_cast<const http::RequestCancelled*>(&error)) {
      throw http::RequestCancelled(describe_failure(cause, method, url));
    }
    throw http::TransportError(describe_failure(cause, method, url));
  }
}

}  // namespace pbx::sync
