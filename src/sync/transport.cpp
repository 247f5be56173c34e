#include "sync/transport.hpp"

#include <stdexcept>
#include <thread>

namespace pbx::sync {

SplitUrl split_url(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    throw std::invalid_argument("URL without a scheme: " + std::string(url));
  }
  const size_t path_start = url.find_first_of("/?", scheme_end + 3);
  if (path_start == std::string_view::npos) return {std::string(url), "/"};
  std::string target(url.substr(path_start));
  if (target.front() == '?') target.insert(0, "/");
  return {std::string(url.substr(0, path_start)), std::move(target)};
}

http::ClientResponse send_with_retry(Transport& transport, http::Verb method, std::string_view url,
                                     const std::string& body, const http::Headers& headers,
                                     const RetryPolicy& policy) {
  auto delay = policy.backoff;
  for (unsigned attempt = 1;; ++attempt) {
    const bool last = attempt >= policy.attempts;
    try {
      http::ClientResponse response = transport.send(method, url, body, headers);
      if (response.status < 500 || last) return response;
    } catch (const http::TransportError&) {
      if (last) throw;
    }
    std::this_thread::sleep_for(delay);
    delay *= 2;
  }
}

http::ClientResponse InProcessTransport::send(http::Verb method, std::string_view url,
                                              std::string body, const http::Headers& headers) {
  count_request();
  http::Request request = http::Request::make(method, split_url(url).target, std::move(body));
  for (const auto& field : headers)
    request.headers.insert(field.name_string(), field.value());
  if (!request.body.empty() && request.header(http::Field::content_type).empty()) {
    request.headers.set(http::Field::content_type, "application/json");
  }
  http::Response response = handler_(request);
  if (const auto failure = response.delivery_failure(); !failure.empty()) {
    throw http::TransportError(std::string(boost::beast::http::to_string(method)) + " " +
                               std::string(url) + ": " + std::string(failure));
  }
  http::ClientResponse result;
  result.status = response.code();
  result.headers = std::move(response.headers);
  result.body = std::move(response.body);
  return result;
}

}  // namespace pbx::sync
