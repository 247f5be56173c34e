// libFuzzer target over the whole proxmox-mock request path: request parsing (target, headers,
// body), routing, auth, schema lookup, parameter validation and the hand-written handlers.
//
// Input: "METHOD /target\nHeader: value\n...\n\nbody". The first byte's low bit picks an engine
// with or without auth so both paths are explored.

#include <boost/beast/http/verb.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "proxmox/engine.hpp"

namespace {

using pbx::proxmox::Engine;
using pbx::proxmox::EngineOptions;

Engine& engine(bool auth) {
  static const auto make = [](bool with_auth) {
    EngineOptions options;
    options.auth = with_auth;
    options.task_duration = std::chrono::milliseconds(0);
    return std::make_unique<Engine>(options);
  };
  static std::unique_ptr<Engine> with_auth = make(true);
  static std::unique_ptr<Engine> without_auth = make(false);
  return auth ? *with_auth : *without_auth;
}

std::string_view next_line(std::string_view& text) {
  const size_t newline = text.find('\n');
  std::string_view line = text.substr(0, newline);
  text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  Engine& target_engine = engine((data[0] & 1) != 0);

  const std::string_view request_line = next_line(input);
  const size_t space = request_line.find(' ');
  if (space == std::string_view::npos) return 0;
  const auto method = boost::beast::http::string_to_verb(request_line.substr(0, space));
  if (method == boost::beast::http::verb::unknown) return 0;
  const std::string_view target = request_line.substr(space + 1);
  // Fault rules could legitimately add minutes of latency; they are exercised by unit tests.
  if (target.starts_with("/mock/faults")) return 0;

  pbx::http::Request request;
  try {
    request = pbx::http::Request::make(method, target);
  } catch (const std::invalid_argument&) {
    return 0;
  }
  while (!input.empty()) {
    const std::string_view line = next_line(input);
    if (line.empty()) break;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ')
      value.remove_prefix(1);
    try {
      request.headers.set(line.substr(0, colon), value);
    } catch (const std::exception&) {
      return 0;  // Beast refuses some header names/values, as the server's parser would
    }
  }
  request.body = std::string(input);
  const auto response = target_engine.handle(request);
  // The engine's contract: an answer, never an exception, and never a 5xx for bad input that
  // the schema can reject; 500/501/595 are legitimate Proxmox answers for state errors.
  if (response.code() < 100 || response.code() > 599) __builtin_trap();
  static int calls = 0;
  if (++calls % 5000 == 0) {
    auto reset = pbx::http::Request::make(boost::beast::http::verb::post, "/mock/reset");
    target_engine.handle(reset);
  }
  return 0;
}
