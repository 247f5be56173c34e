#include "http/router.hpp"

#include <boost/json.hpp>
#include <stdexcept>
#include <unordered_map>

namespace pbx::http {

struct Router::Node {
  std::unordered_map<std::string, std::unique_ptr<Node>> literals;
  std::unique_ptr<Node> parameter;  // "{name}"
  std::string parameter_name;
  std::unique_ptr<Node> rest;  // "{name...}", always a leaf
  std::string rest_name;
  std::map<Verb, Handler> handlers;
  std::string pattern;
};

namespace {

bool is_parameter(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

std::vector<Verb> allowed_methods(const std::map<Verb, Handler>& handlers) {
  std::vector<Verb> allowed;
  allowed.reserve(handlers.size());
  for (const auto& entry : handlers)
    allowed.push_back(entry.first);
  return allowed;
}

Response default_not_found(const Request& request) {
  return Response::json(Status::not_found,
                        {{"error", "not found"}, {"path", std::string(request.path)}});
}

Response default_method_not_allowed(const Request&, const std::vector<Verb>&) {
  return Response::json(Status::method_not_allowed, {{"error", "method not allowed"}});
}

}  // namespace

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start < path.size()) {
    if (path[start] == '/') {
      ++start;
      continue;
    }
    const size_t end = path.find('/', start);
    const size_t stop = end == std::string_view::npos ? path.size() : end;
    segments.push_back(path.substr(start, stop - start));
    start = stop;
  }
  return segments;
}

Router::Router() : root_(std::make_unique<Node>()) {}
Router::~Router() = default;
Router::Router(Router&&) noexcept = default;
Router& Router::operator=(Router&&) noexcept = default;

void Router::add(Verb method, std::string_view pattern, Handler handler) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("route pattern must start with '/': " + std::string(pattern));
  }
  Node* node = root_.get();
  const auto segments = split_path(pattern);
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string_view segment = segments[i];
    if (is_parameter(segment)) {
      std::string name(segment.substr(1, segment.size() - 2));
      if (name.ends_with("...")) {
        if (i + 1 != segments.size()) {
          throw std::invalid_argument("rest parameter must be last: " + std::string(pattern));
        }
        name.resize(name.size() - 3);
        if (!node->rest) node->rest = std::make_unique<Node>();
        node->rest_name = name;
        node = node->rest.get();
        continue;
      }
      if (!node->parameter) {
        node->parameter = std::make_unique<Node>();
        node->parameter_name = name;
      } else if (node->parameter_name != name) {
        throw std::invalid_argument("conflicting parameter names at " + std::string(pattern));
      }
      node = node->parameter.get();
    } else {
      auto& child = node->literals[std::string(segment)];
      if (!child) child = std::make_unique<Node>();
      node = child.get();
    }
  }
  if (!node->handlers.emplace(method, std::move(handler)).second) {
    throw std::invalid_argument("duplicate route: " + std::string(pattern));
  }
  node->pattern = std::string(pattern);
  ++route_count_;
}

Router::Match Router::match(Verb method, std::string_view path, Params& params) const {
  return match_segments(method, split_path(path), params);
}

Router::Match Router::match(Verb method, const std::vector<std::string>& segments,
                            Params& params) const {
  return match_segments(method, std::vector<std::string_view>(segments.begin(), segments.end()),
                        params);
}

Router::Match Router::match_segments(Verb method, const std::vector<std::string_view>& segments,
                                     Params& params) const {
  // Depth-first with backtracking: literal child first, then {param}, then {rest...}.
  struct Frame {
    const Node* node;
    size_t depth;
    size_t params_size;
    int next_choice;  // 0 literal, 1 parameter, 2 rest, 3 exhausted
  };
  std::vector<Frame> stack{{root_.get(), 0, params.size(), 0}};
  const Node* found = nullptr;
  while (!stack.empty()) {
    Frame& frame = stack.back();
    if (frame.depth == segments.size() && frame.next_choice == 0 && !frame.node->handlers.empty()) {
      found = frame.node;
      break;
    }
    if (frame.next_choice > 2 || frame.depth >= segments.size()) {
      stack.pop_back();
      continue;
    }
    const std::string_view segment = segments[frame.depth];
    const int choice = frame.next_choice++;
    params.resize(frame.params_size);
    const Node* node = frame.node;
    const size_t depth = frame.depth;
    if (choice == 0) {
      const auto it = node->literals.find(std::string(segment));
      if (it != node->literals.end())
        stack.push_back({it->second.get(), depth + 1, params.size(), 0});
    } else if (choice == 1 && node->parameter) {
      params.emplace_back(node->parameter_name, std::string(segment));
      stack.push_back({node->parameter.get(), depth + 1, params.size(), 0});
    } else if (choice == 2 && node->rest && !node->rest->handlers.empty()) {
      std::string rest;
      for (size_t i = depth; i < segments.size(); ++i) {
        if (!rest.empty()) rest.push_back('/');
        rest += segments[i];
      }
      params.emplace_back(node->rest_name, std::move(rest));
      found = node->rest.get();
      break;
    }
  }
  Match result;
  if (!found) {
    params.clear();
    return result;
  }
  result.path_known = true;
  result.pattern = found->pattern;
  const auto it = found->handlers.find(method);
  if (it != found->handlers.end()) {
    result.handler = &it->second;
  } else if (method == Verb::head) {
    const auto get = found->handlers.find(Verb::get);
    if (get != found->handlers.end()) result.handler = &get->second;
  }
  if (!result.handler) result.allowed = allowed_methods(found->handlers);
  return result;
}

Response Router::dispatch(Request& request) const {
  request.path_params.clear();
  const Match found = match(request.method, request.path_segments(), request.path_params);
  if (found.handler) return (*found.handler)(request);
  if (found.path_known) {
    Response response = method_not_allowed_ ? method_not_allowed_(request, found.allowed)
                                            : default_method_not_allowed(request, found.allowed);
    std::string allow;
    for (const Verb verb : found.allowed) {
      if (!allow.empty()) allow += ", ";
      allow += boost::beast::http::to_string(verb);
    }
    response.headers.set(Field::allow, allow);
    return response;
  }
  return not_found_ ? not_found_(request) : default_not_found(request);
}

Handler Router::as_handler() const {
  return [this](Request& request) { return dispatch(request); };
}

}  // namespace pbx::http
