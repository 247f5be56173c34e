#include "proxmox/api_schema.hpp"

#include <array>
#include <boost/beast/http/verb.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "common/files.hpp"
#include "common/text.hpp"
#include "http/router.hpp"
#include "proxmox/schema_json.hpp"

namespace pbx::proxmox {

namespace json = boost::json;

struct ApiSchema::Impl {
  std::filesystem::path file;
  // The document owns every schema fragment an Operation points at; the arena makes the one-time
  // parse fast and frees it all at once.
  json::monotonic_resource arena;
  json::value document;
  json::object empty_object;
  json::value null_value;
  std::vector<Operation> operations;
  size_t path_count = 0;
  // The router only resolves templates; its handlers are never called.
  http::Router router;
  std::unordered_map<std::string, std::vector<const Operation*>> by_template;
};

namespace {

[[noreturn]] void fail(const std::filesystem::path& file, const std::string& reason) {
  throw std::runtime_error("proxmox schema " + file.string() + ": " + reason);
}

std::vector<std::string> template_parameters(std::string_view path) {
  std::vector<std::string> names;
  for (const auto segment : http::split_path(path)) {
    if (segment.size() > 2 && segment.front() == '{' && segment.back() == '}')
      names.emplace_back(segment.substr(1, segment.size() - 2));
  }
  return names;
}

// pveproxy mounts the ipset and storage-content subtrees with `fragmentDelimiter => ''`
// (pve-firewall API2/Firewall/IPSet.pm, pve-storage API2/Storage/Status.pm): the rest of the path
// is one value, because CIDRs ("10.0.0.0/24", "dc/alias") and volume IDs
// ("local:backup/vzdump-...") contain '/', and clients (proxmoxer) send that slash unencoded.
constexpr std::array<std::string_view, 2> kRestOfPathParameters = {"/{cidr}", "/{volume}"};

// The router template for a schema path: "/x/{cidr}" → "/x/{cidr...}".
std::string routing_template(std::string_view path) {
  std::string routed(path);
  for (const auto suffix : kRestOfPathParameters) {
    if (path.ends_with(suffix)) routed.insert(routed.size() - 1, "...");
  }
  return routed;
}

// The schema path of a router template: "/x/{cidr...}" → "/x/{cidr}".
std::string schema_template(std::string_view routed) {
  std::string path(routed);
  if (const size_t rest = path.find("...}"); rest != std::string::npos) path.erase(rest, 3);
  return path;
}

// A template so that it can work on the private ApiSchema::Impl, named only inside load().
template <class Impl>
struct Indexer {
  Impl& impl;
  bool is_pbs;

  void node(const json::value& value) {
    const auto* object = value.if_object();
    if (!object) fail(impl.file, "schema node is not an object");
    const auto* path = object->if_contains("path");
    if (!path || !path->is_string()) fail(impl.file, "schema node without \"path\"");
    if (const auto* info = object->if_contains("info"); info && info->is_object()) {
      if (!info->get_object().empty()) ++impl.path_count;
      for (const auto& [method, description] : info->get_object())
        operation(path->get_string(), method, description);
    }
    if (const auto* children = object->if_contains("children"); children && children->is_array()) {
      for (const auto& child : children->get_array())
        node(child);
    }
  }

  void operation(std::string_view path, std::string_view method, const json::value& value) {
    const auto verb = boost::beast::http::string_to_verb(method);
    if (verb == http::Verb::unknown)
      fail(impl.file, "unknown method " + std::string(method) + " at " + std::string(path));
    const auto* info = value.if_object();
    if (!info) fail(impl.file, "method info is not an object at " + std::string(path));
    Operation op;
    op.method = verb;
    op.path = std::string(path);
    if (const auto* name = info->if_contains("name"); name && name->is_string())
      op.name = std::string(name->get_string());
    const auto* parameters = info->if_contains("parameters");
    op.parameters =
        parameters && parameters->is_object() ? &parameters->get_object() : &impl.empty_object;
    const auto* returns = info->if_contains("returns");
    op.returns = returns ? returns : &impl.null_value;
    const auto* permissions = info->if_contains("permissions");
    op.permissions = permissions ? permissions : &impl.null_value;
    op.protected_ = truthy(info->if_contains("protected"));
    // PBS has no "allowtoken": every PBS endpoint accepts API tokens (ACLs decide).
    op.allow_token = is_pbs
                         ? !info->contains("allowtoken") || truthy(info->if_contains("allowtoken"))
                         : truthy(info->if_contains("allowtoken"));
    if (const auto* text = info->if_contains("description"); text && text->is_string())
      op.description = std::string(text->get_string());
    op.path_parameters = template_parameters(path);
    op.json_booleans = is_pbs;
    impl.operations.push_back(std::move(op));
  }
};

int version_rank(const std::string& stem, std::string_view prefix, std::vector<int>& rank) {
  // "pve-8.3" → {8, 3}; anything else is not a versioned schema file.
  if (!stem.starts_with(prefix)) return -1;
  std::stringstream parts(stem.substr(prefix.size()));
  std::string part;
  rank.clear();
  while (std::getline(parts, part, '.')) {
    if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos) return -1;
    const auto number = common::parse_number<int>(part);
    if (!number) return -1;
    rank.push_back(*number);
  }
  return rank.empty() ? -1 : 0;
}

}  // namespace

ApiSchema::ApiSchema(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ApiSchema::ApiSchema(ApiSchema&&) noexcept = default;
ApiSchema& ApiSchema::operator=(ApiSchema&&) noexcept = default;
ApiSchema::~ApiSchema() = default;

ApiSchema ApiSchema::load(const std::filesystem::path& file) {
  auto impl = std::make_unique<Impl>();
  impl->file = file;
  std::string text;
  try {
    text = common::read_file(file);
  } catch (const common::FileError& error) {
    throw std::runtime_error(std::string("proxmox schema: ") + error.what());  // names the file
  }
  boost::system::error_code error;
  impl->document = json::parse(text, error, json::storage_ptr(&impl->arena));
  if (error) fail(file, "invalid JSON: " + error.message());
  const auto* roots = impl->document.if_array();
  if (!roots) fail(file, "expected a JSON array of API nodes");

  const bool is_pbs = file.filename().string().starts_with("pbs");
  Indexer<Impl> indexer{*impl, is_pbs};
  for (const auto& root : *roots)
    indexer.node(root);
  if (impl->operations.empty()) fail(file, "no operations");

  for (const auto& op : impl->operations) {
    try {
      impl->router.add(op.method, routing_template(op.path),
                       [](http::Request&) { return http::Response{}; });
    } catch (const std::invalid_argument& e) {
      fail(file, e.what());
    }
    impl->by_template[op.path].push_back(&op);
  }
  return ApiSchema(std::move(impl));
}

std::filesystem::path ApiSchema::default_schema_dir() {
  if (const char* dir = std::getenv("PROXMOX_MOCK_SCHEMA_DIR"); dir && *dir) return dir;
  return std::filesystem::path(PBX_SHARED_DIR) / "schemas" / "proxmox";
}

std::optional<std::filesystem::path> ApiSchema::default_file(
    Service service, const std::filesystem::path& schema_dir) {
  const std::string prefix = std::string(to_string(service)) + "-";
  const auto latest = schema_dir / (prefix + "latest.json");
  std::error_code error;
  if (std::filesystem::is_regular_file(latest, error)) return latest;
  std::optional<std::filesystem::path> best;
  std::vector<int> best_rank;
  std::vector<int> rank;
  for (const auto& entry : std::filesystem::directory_iterator(schema_dir, error)) {
    if (entry.path().extension() != ".json") continue;
    if (version_rank(entry.path().stem().string(), prefix, rank) < 0) continue;
    if (!best || rank > best_rank) {
      best = entry.path();
      best_rank = rank;
    }
  }
  return best;
}

size_t ApiSchema::operation_count() const {
  return impl_->operations.size();
}
size_t ApiSchema::path_count() const {
  return impl_->path_count;
}
const std::vector<Operation>& ApiSchema::operations() const {
  return impl_->operations;
}
const std::filesystem::path& ApiSchema::file() const {
  return impl_->file;
}
std::string ApiSchema::version_label() const {
  return impl_->file.stem().string();
}

const Operation* ApiSchema::operation(http::Verb method, std::string_view path_template) const {
  const auto it = impl_->by_template.find(std::string(path_template));
  if (it == impl_->by_template.end()) return nullptr;
  for (const Operation* op : it->second) {
    if (op->method == method) return op;
  }
  return nullptr;
}

ApiSchema::Lookup ApiSchema::find(http::Verb method, std::string_view api_path,
                                  http::Params& path_params) const {
  if (method == http::Verb::head) method = http::Verb::get;
  http::Params captured;
  return resolve(method, impl_->router.match(method, api_path, captured), captured, path_params);
}

ApiSchema::Lookup ApiSchema::find(http::Verb method, const std::vector<std::string>& api_segments,
                                  http::Params& path_params) const {
  if (method == http::Verb::head) method = http::Verb::get;
  http::Params captured;
  return resolve(method, impl_->router.match(method, api_segments, captured), captured,
                 path_params);
}

ApiSchema::Lookup ApiSchema::resolve(http::Verb method, http::Router::Match match,
                                     http::Params& captured, http::Params& path_params) const {
  Lookup lookup;
  lookup.path_known = match.path_known;
  lookup.allowed = std::move(match.allowed);
  if (match.handler) lookup.operation = operation(method, schema_template(match.pattern));
  if (lookup.operation) {
    for (auto& param : captured)
      path_params.push_back(std::move(param));
  }
  return lookup;
}

}  // namespace pbx::proxmox
