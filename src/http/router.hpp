#pragma once
// Path-template router: "/nodes/{node}/qemu/{vmid}". Literal segments win over parameters, so
// "/nodes/{node}/qemu/list" can sit beside "/nodes/{node}/qemu/{vmid}". A trailing "{name...}"
// segment captures the rest of the path (used for catch-all handlers).

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace pbx::http {

class Router {
 public:
  // Builds the answer for an unknown path (404) or a known path with the wrong method (405);
  // `allowed` lists the methods the path does serve. Services override these to speak their
  // API's error dialect (Proxmox vs NetBox).
  using NotFoundRenderer = std::function<Response(const Request&)>;
  using MethodNotAllowedRenderer =
      std::function<Response(const Request&, const std::vector<Verb>& allowed)>;

  Router();
  ~Router();
  Router(Router&&) noexcept;
  Router& operator=(Router&&) noexcept;

  // Registers a handler. Throws std::invalid_argument on a malformed pattern or a duplicate.
  void add(Verb method, std::string_view pattern, Handler handler);
  void get(std::string_view pattern, Handler handler) {
    add(Verb::get, pattern, std::move(handler));
  }
  void post(std::string_view pattern, Handler handler) {
    add(Verb::post, pattern, std::move(handler));
  }
  void put(std::string_view pattern, Handler handler) {
    add(Verb::put, pattern, std::move(handler));
  }
  void patch(std::string_view pattern, Handler handler) {
    add(Verb::patch, pattern, std::move(handler));
  }
  void del(std::string_view pattern, Handler handler) {
    add(Verb::delete_, pattern, std::move(handler));
  }

  void on_not_found(NotFoundRenderer renderer) { not_found_ = std::move(renderer); }
  void on_method_not_allowed(MethodNotAllowedRenderer renderer) {
    method_not_allowed_ = std::move(renderer);
  }

  struct Match {
    const Handler* handler = nullptr;  // null: no route for this method
    bool path_known = false;           // some method serves this path
    std::vector<Verb> allowed;         // methods served at the path, when path_known
    std::string pattern;               // the matched template, for logs and metrics
  };
  // Resolves a decoded path; fills `params` with the captured segments.
  Match match(Verb method, std::string_view path, Params& params) const;
  // Resolves segments already split and decoded (Request::path_segments()), so a segment may
  // hold an encoded '/'; a `{name...}` capture joins its segments with '/'.
  Match match(Verb method, const std::vector<std::string>& segments, Params& params) const;

  // Matches request.path_segments(), fills request.path_params and calls the handler (or
  // renders 404/405). HEAD falls back to GET.
  Response dispatch(Request& request) const;

  // A Handler that dispatches through this router; the router must outlive it.
  Handler as_handler() const;

  size_t route_count() const { return route_count_; }

 private:
  struct Node;
  Match match_segments(Verb method, const std::vector<std::string_view>& segments,
                       Params& params) const;
  std::unique_ptr<Node> root_;
  size_t route_count_ = 0;
  NotFoundRenderer not_found_;
  MethodNotAllowedRenderer method_not_allowed_;
};

// Splits "/a/b/c" into {"a","b","c"}; a trailing slash is ignored ("/a/b/" == "/a/b").
std::vector<std::string_view> split_path(std::string_view path);

}  // namespace pbx::http
