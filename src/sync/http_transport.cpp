// Kept apart from transport.cpp so that programs and tests using only the in-process transport
// do not link the socket client.
#include "sync/transport.hpp"

namespace pbx::sync {

HttpTransport::HttpTransport(http::ClientOptions options)
    : client_(std::make_unique<http::Client>(std::move(options))) {}

HttpTransport::~HttpTransport() = default;

http::ClientResponse HttpTransport::send(http::Verb method, std::string_view url, std::string body,
                                         const http::Headers& headers) {
  count_request();
  return client_->request(method, url, std::move(body), headers);
}

}  // namespace pbx::sync
