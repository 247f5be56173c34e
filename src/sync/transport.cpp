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

std::string describe_failure(std::string_view cause, http::Verb method, std::string_view url) {
  return std::string(cause) + " (" + std::string(boost::beast::http::to_string(method)) + " " +
         std::string(url) + ")";
}

http::ClientResponse Transport::send(http::Verb method, std::string_view url, std::string body,
                                     const http::Headers& headers,
                                     const http::RequestControl& control) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(circuit_mutex_);
    if (consecutive_failures_ >= circuit_.failures_to_open && now < open_until_) {
      throw CircuitOpen(describe_failure("not sent, " + split_url(url).origin + " failed " +
                                             std::to_string(consecutive_failures_) +
                                             " times in a row (last: " + last_failure_ + ")",
                                         method, url));
    }
  }
  try {
    http::ClientResponse response = exchange(method, url, std::move(body), headers, control);
    std::lock_guard lock(circuit_mutex_);
    consecutive_failures_ = 0;
    return response;
  } catch (const http::RequestCancelled&) {
    throw;  // the caller's decision says nothing about the target
  } catch (const http::TransportError& error) {
    std::lock_guard lock(circuit_mutex_);
    last_failure_ = error.what();
    // Once open, one failed trial after the cooldown opens it again at once.
    if (++consecutive_failures_ >= circuit_.failures_to_open) {
      open_until_ = std::chrono::steady_clock::now() + circuit_.cooldown;
    }
    throw;
  }
}

namespace {

// Statuses that say "try again": a proxy or the server is briefly unavailable. Other 5xx
// (Proxmox answers 500 for a missing guest config, 501 for an unknown path, 595 for an
// unreachable node) would answer the same again.
bool transient(unsigned status) {
  return status == 502 || status == 503 || status == 504;
}

// The cause of a failure describe_failure worded, without the request it names.
std::string cause_of(std::string_view message, http::Verb method, std::string_view url) {
  const std::string request = describe_failure("", method, url);
  if (message.ends_with(request)) message.remove_suffix(request.size());
  return std::string(message);
}

}  // namespace

http::ClientResponse send_with_retry(Transport& transport, http::Verb method, std::string_view url,
                                     const std::string& body, const http::Headers& headers,
                                     const http::RequestControl& control,
                                     const RetryPolicy& policy) {
  auto delay = policy.backoff;
  for (unsigned attempt = 1;; ++attempt) {
    const bool last =
        attempt >= policy.attempts || control.stop.stop_requested() ||
        (control.deadline && std::chrono::steady_clock::now() + delay >= *control.deadline);
    std::string cause;
    try {
      http::ClientResponse response = transport.send(method, url, body, headers, control);
      if (!transient(response.status) || last) return response;
      cause = "HTTP " + std::to_string(response.status);
    } catch (const CircuitOpen&) {
      throw;
    } catch (const http::RequestCancelled&) {
      throw;
    } catch (const http::TransportError& error) {
      if (last) throw;
      cause = cause_of(error.what(), method, url);
    }
    if (const auto& observer = transport.retry_observer()) {
      observer({method, url, attempt + 1, policy.attempts, delay, std::move(cause)});
    }
    std::this_thread::sleep_for(delay);
    delay *= 2;
  }
}

http::ClientResponse StopOnShutdownTransport::exchange(http::Verb method, std::string_view url,
                                                       std::string body,
                                                       const http::Headers& headers,
                                                       const http::RequestControl& control) {
  count_request();
  http::RequestControl bounded = control;
  if (!bounded.stop.stop_possible()) bounded.stop = shutdown_;
  return inner_->send(method, url, std::move(body), headers, bounded);
}

http::ClientResponse InProcessTransport::exchange(http::Verb method, std::string_view url,
                                                  std::string body, const http::Headers& headers,
                                                  const http::RequestControl& control) {
  count_request();
  // A handler called in-process cannot be interrupted; a stop or a passed deadline is honoured
  // before the call, as the socket client would refuse to start it.
  if (control.stop.stop_requested()) {
    throw http::RequestCancelled(describe_failure("cancelled", method, url));
  }
  if (control.deadline && std::chrono::steady_clock::now() >= *control.deadline) {
    throw http::TransportError(describe_failure("the deadline has passed", method, url));
  }
  http::Request request = http::Request::make(method, split_url(url).target, std::move(body));
  for (const auto& field : headers)
    request.headers.insert(field.name_string(), field.value());
  if (!request.body.empty() && request.header(http::Field::content_type).empty()) {
    request.headers.set(http::Field::content_type, "application/json");
  }
  http::Response response = handler_(request);
  if (const auto failure = response.delivery_failure(); !failure.empty()) {
    throw http::TransportError(describe_failure(failure, method, url));
  }
  http::ClientResponse result;
  result.status = response.code();
  result.headers = std::move(response.headers);
  result.body = std::move(response.body);
  return result;
}

}  // namespace pbx::sync
