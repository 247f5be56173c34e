#include "fakes.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <set>

#include "http/router.hpp"
#include "sync/json_util.hpp"

namespace pbx::sync::testing {
namespace json = boost::json;

namespace {

http::Response proxmox_data(json::value data) {
  return http::Response::json(json::object{{"data", std::move(data)}});
}

http::Response netbox_error(http::Status status, json::object body) {
  return http::Response::json(status, body);
}

}  // namespace

http::Response FakeProxmox::handle(http::Request& request) {
  std::lock_guard lock(mutex_);
  ++requests_;
  std::string path = request.path;
  if (!path.starts_with("/api2/json")) return http::Response::empty(http::Status::not_found);
  path = path.substr(10);
  if (path == "/access/ticket" && request.method == http::Verb::post) {
    const auto form = http::parse_form(request.body);
    std::string user, pass;
    for (const auto& [k, v] : form)
      (k == "username" ? user : pass) = v;
    if (user != "root@pam" || pass != password) {
      return http::Response::json(http::Status::unauthorized, json::object{{"data", nullptr}});
    }
    return proxmox_data(json::object{{"ticket", "PVE:root@pam:TICKET"},
                                     {"CSRFPreventionToken", "csrf"},
                                     {"username", "root@pam"}});
  }
  const std::string auth(request.header(http::Field::authorization));
  const std::string cookie(request.header(http::Field::cookie));
  if (auth != "PVEAPIToken=" + token && cookie != "PVEAuthCookie=PVE:root@pam:TICKET") {
    return http::Response::json(http::Status::unauthorized, json::object{{"data", nullptr}});
  }
  if (path == "/version") return proxmox_data(json::object{{"version", "8.2.4"}});
  if (path == "/cluster/status") {
    json::array entries;
    if (!standalone) {
      entries.push_back(json::object{{"type", "cluster"}, {"name", cluster_name}, {"quorate", 1}});
    }
    for (const auto& node : nodes) {
      entries.push_back(
          json::object{{"type", "node"}, {"name", node}, {"online", 1}, {"ip", "10.0.0.1"}});
    }
    return proxmox_data(entries);
  }
  if (path == "/nodes") {
    json::array list;
    for (const auto& node : nodes)
      list.push_back(json::object{{"node", node}, {"status", "online"}});
    return proxmox_data(list);
  }
  if (path == "/cluster/resources") {
    json::array list;
    for (const auto& guest : guests) {
      list.push_back(json::object{{"vmid", guest.vmid},
                                  {"type", guest.type},
                                  {"name", guest.name},
                                  {"node", guest.node},
                                  {"status", guest.status},
                                  {"maxcpu", guest.cpus},
                                  {"maxmem", guest.memory_mb << 20},
                                  {"maxdisk", guest.disk_gb << 30},
                                  {"template", 0}});
    }
    return proxmox_data(list);
  }
  const auto parts = http::split_path(path);
  // /nodes/{node}/{type}/{vmid}/config | .../agent/network-get-interfaces
  if (parts.size() >= 5 && parts[0] == "nodes" && (parts[2] == "qemu" || parts[2] == "lxc")) {
    for (const auto& guest : guests) {
      if (std::to_string(guest.vmid) != parts[3] || guest.type != parts[2]) continue;
      if (parts[4] == "config") {
        if (guest.config_fails) {
          return http::Response::json(http::Status::internal_server_error,
                                      json::object{{"data", nullptr}});
        }
        json::object config{{"onboot", guest.onboot ? 1 : 0}, {"cores", guest.cpus}};
        if (guest.type == "qemu") config["agent"] = guest.agent ? "enabled=1" : "0";
        if (guest.type == "lxc") config["unprivileged"] = 1;
        return proxmox_data(config);
      }
      if (parts[4] == "agent") {
        return http::Response::json(
            http::Status::internal_server_error,
            json::object{{"data", nullptr}, {"message", "agent not running"}});
      }
    }
    return http::Response::json(http::Status::internal_server_error,
                                json::object{{"data", nullptr}});
  }
  if (parts.size() == 3 && parts[0] == "nodes" && parts[2] == "storage") {
    return proxmox_data(json::array{json::object{
        {"storage", "backup"}, {"content", "backup,iso"}, {"shared", 1}, {"active", 1}}});
  }
  if (parts.size() == 5 && parts[0] == "nodes" && parts[2] == "storage" && parts[4] == "content") {
    json::array list;
    for (const auto& backup : backups) {
      list.push_back(json::object{{"volid", backup.volid},
                                  {"vmid", backup.vmid},
                                  {"format", "vma.zst"},
                                  {"size", 1 << 20},
                                  {"ctime", backup.ctime},
                                  {"content", "backup"}});
    }
    return proxmox_data(list);
  }
  return http::Response::json(http::Status::not_implemented, json::object{{"data", nullptr}});
}

std::vector<json::object> FakeNetBox::objects(const std::string& path) {
  std::lock_guard lock(mutex_);
  std::vector<json::object> list;
  for (const auto& [id, object] : store_[path])
    list.push_back(object);
  return list;
}

json::object FakeNetBox::expand(const std::string& path, const json::object& input) {
  static const std::map<std::string, std::string> relations{
      {"cluster", "/api/virtualization/clusters/"},
      {"site", "/api/dcim/sites/"},
      {"device", "/api/dcim/devices/"},
      {"role", "/api/dcim/device-roles/"},
      {"device_type", "/api/dcim/device-types/"},
      {"manufacturer", "/api/dcim/manufacturers/"},
      {"type", "/api/virtualization/cluster-types/"},
      {"virtual_machine", "/api/virtualization/virtual-machines/"}};
  json::object output;
  for (const auto& [key, value] : input) {
    const auto relation = relations.find(std::string(key));
    if (relation != relations.end() && (value.is_int64() || value.is_uint64())) {
      const int64_t id = json_int(&value);
      const auto& target = store_[relation->second];
      const auto found = target.find(id);
      json::object nested{{"id", id}};
      if (found != target.end()) {
        nested["name"] =
            found->second.contains("name") ? found->second.at("name") : json::value("");
      }
      output[key] = std::move(nested);
    } else if (key == "status" && value.is_string()) {
      output[key] = json::object{{"value", value}, {"label", value}};
    } else if (key == "tags" && value.is_array()) {
      json::array tags;
      for (const auto& tag : value.as_array()) {
        const int64_t id = json_int(&tag);
        const auto& stored = store_["/api/extras/tags/"];
        const auto found = stored.find(id);
        tags.push_back(json::object{
            {"id", id},
            {"slug", found == stored.end() ? json::value("") : found->second.at("slug")}});
      }
      output[key] = std::move(tags);
    } else {
      output[key] = value;
    }
  }
  if (path == "/api/virtualization/virtual-machines/" || path == "/api/dcim/devices/") {
    json::object custom_fields;
    for (const auto& [id, definition] : store_["/api/extras/custom-fields/"]) {
      custom_fields[json_string(field(definition, "name"))] = nullptr;
    }
    output["custom_fields"] = std::move(custom_fields);
  }
  if (const auto* custom_fields = input.if_contains("custom_fields");
      custom_fields && custom_fields->is_object()) {
    auto& merged = output["custom_fields"].as_object();
    for (const auto& [key, value] : custom_fields->as_object())
      merged[key] = value;
  }
  return output;
}

std::string FakeNetBox::validate(const std::string& path, const json::object& object, int64_t id) {
  if (path == "/api/extras/custom-fields/" && !proxbox_plugin &&
      json_string(field(object, "related_object_type")).starts_with("netbox_proxbox.")) {
    return "Invalid content type";  // NetBox has no such object type without the plugin
  }
  if (const auto* custom_fields = object.if_contains("custom_fields");
      custom_fields && custom_fields->is_object()) {
    std::set<std::string> defined;
    for (const auto& [cf_id, definition] : store_["/api/extras/custom-fields/"]) {
      defined.insert(json_string(field(definition, "name")));
    }
    for (const auto& [key, value] : custom_fields->as_object()) {
      if (!defined.count(std::string(key)))
        return "Unknown field name '" + std::string(key) + "' in custom field data.";
    }
  }
  if (path == "/api/virtualization/virtual-machines/") {
    const std::string name = json_string(field(object, "name"));
    const auto cluster = object.if_contains("cluster");
    for (const auto& [other_id, other] : store_[path]) {
      if (other_id == id) continue;
      const auto* other_cluster = other.if_contains("cluster");
      if (json_string(field(other, "name")) == name && cluster && other_cluster &&
          json_int(field(cluster->as_object(), "id")) ==
              json_int(field(other_cluster->as_object(), "id"))) {
        return "Virtual machine name must be unique per cluster.";
      }
    }
  }
  return {};
}

namespace {

// NetBox's `id` filter and its lookups: id=1&id=2 is either, the comparisons all hold.
bool matches_id(int64_t id, const std::vector<std::pair<std::string, int64_t>>& lookups) {
  bool any_exact = false, exact = false;
  for (const auto& [key, value] : lookups) {
    if (key == "id") {
      any_exact = true;
      exact |= id == value;
    } else if ((key == "id__gt" && id <= value) || (key == "id__gte" && id < value) ||
               (key == "id__lt" && id >= value) || (key == "id__lte" && id > value)) {
      return false;
    }
  }
  return !any_exact || exact;
}

// A listing's query: paging, ordering, id lookups, field filters and `fields=`.
struct ListQuery {
  size_t limit = 50, offset = 0;
  bool descending = false;
  std::vector<std::pair<std::string, int64_t>> id_lookups;  // id, id__gt, id__lte, ...
  std::map<std::string, std::set<std::string>> filters;
  std::set<std::string> fields;  // `fields=`: only these, as NetBox 4.0+ answers
};

ListQuery parse_list_query(const http::Params& query, size_t max_page_size,
                           bool id_lookups_honoured) {
  ListQuery list;
  for (const auto& [key, value] : query) {
    if (key == "limit") {
      list.limit = std::min<size_t>(std::stoul(value), max_page_size);
    } else if (key == "offset") {
      list.offset = std::stoul(value);
    } else if (key == "fields") {
      for (size_t start = 0; start <= value.size();) {
        const size_t comma = std::min(value.find(',', start), value.size());
        list.fields.insert(value.substr(start, comma - start));
        start = comma + 1;
      }
    } else if (key == "ordering") {  // by id (the map's order) or by -id, all we are asked
      list.descending = value == "-id";
    } else if (key == "id" || key.starts_with("id__")) {
      if (id_lookups_honoured || key == "id") list.id_lookups.emplace_back(key, std::stoll(value));
    } else {
      list.filters[key].insert(value);
    }
  }
  return list;
}

// Whether `object` passes every field filter: tag slugs, related ids (`<name>_id`), values.
bool matches_filters(const json::object& object,
                     const std::map<std::string, std::set<std::string>>& filters) {
  bool ok = true;
  for (const auto& [key, values] : filters) {
    if (key == "tag") {
      bool has = false;
      if (const auto* tags = object.if_contains("tags")) {
        for (const auto& tag : tags->as_array())
          has |= values.count(json_string(field(tag.as_object(), "slug"))) > 0;
      }
      ok &= has;
    } else if (key.ends_with("_id")) {
      const auto* related = object.if_contains(key.substr(0, key.size() - 3));
      ok &= related && related->is_object() &&
            values.count(std::to_string(json_int(field(related->as_object(), "id"))));
    } else {
      ok &= values.count(json_string(field(object, key))) > 0;
    }
  }
  return ok;
}

}  // namespace

http::Response FakeNetBox::handle(http::Request& request) {
  std::lock_guard lock(mutex_);
  const std::string auth(request.header(http::Field::authorization));
  if (auth != "Token " + token) {
    return netbox_error(http::Status::forbidden, {{"detail", "Invalid token"}});
  }
  const std::string& path = request.path;
  if (path == "/api/status/") {
    ++gets;
    json::object plugins;
    if (proxbox_plugin) plugins["netbox_proxbox"] = "0.0.29";
    return http::Response::json(json::object{{"netbox-version", version}, {"plugins", plugins}});
  }
  if (!proxbox_plugin && path.starts_with("/api/plugins/proxbox/")) {
    return netbox_error(http::Status::not_found, {{"detail", "Not found."}});
  }
  auto& table = store_[path];
  switch (request.method) {
    case http::Verb::get:
      ++gets;
      return list(request, table);
    case http::Verb::post:
      ++posts;
      return create(path, request.body, table);
    case http::Verb::patch:
      ++patches;
      return update(path, request.body, table);
    case http::Verb::delete_:
      ++deletes;
      return remove(request.body, table);
    default:
      return netbox_error(http::Status::method_not_allowed, {{"detail", "no"}});
  }
}

http::Response FakeNetBox::list(const http::Request& request, const Table& table) {
  auto [limit, offset, descending, id_lookups, filters, fields] =
      parse_list_query(request.query, max_page_size, id_lookups_honoured);
  // NetBox validates a tag filter against the tags it has.
  for (const auto& slug : filters["tag"]) {
    bool known = false;
    for (const auto& [id, tag] : store_["/api/extras/tags/"])
      known |= json_string(field(tag, "slug")) == slug;
    if (!known) {
      return netbox_error(http::Status::bad_request,
                          {{"tag", json::array{"Select a valid choice. " + slug +
                                               " is not one of the available choices."}}});
    }
  }
  if (filters["tag"].empty()) filters.erase("tag");
  std::vector<const json::object*> matching;
  for (const auto& [id, object] : table) {
    if (matches_id(id, id_lookups) && matches_filters(object, filters)) matching.push_back(&object);
  }
  if (descending) std::reverse(matching.begin(), matching.end());
  json::array results;
  for (size_t i = offset; i < matching.size() && i < offset + limit; ++i) {
    if (fields.empty()) {
      results.push_back(*matching[i]);
      continue;
    }
    json::object selected;
    for (const auto& name : fields) {
      if (const auto* value = matching[i]->if_contains(name)) selected[name] = *value;
    }
    results.push_back(std::move(selected));
  }
  json::value next = nullptr;
  if (offset + limit < matching.size()) {
    http::Params params;
    for (const auto& [key, value] : request.query) {
      if (key != "offset" && key != "limit") params.emplace_back(key, value);
    }
    params.emplace_back("limit", std::to_string(limit));
    params.emplace_back("offset", std::to_string(offset + limit));
    next = advertised_origin + request.path + "?" + http::encode_form(params);
  }
  return http::Response::json(json::object{
      {"count", matching.size()}, {"next", next}, {"previous", nullptr}, {"results", results}});
}

http::Response FakeNetBox::create(const std::string& path, const std::string& request_body,
                                  Table& table) {
  const json::value body = json::parse(request_body);
  const json::array items = body.is_array() ? body.as_array() : json::array{body};
  // All or nothing, as NetBox's bulk create.
  std::vector<std::pair<int64_t, json::object>> created;
  for (const auto& item : items) {
    json::object object = expand(path, item.as_object());
    const int64_t id = next_id_++;
    object["id"] = id;
    if (auto problem = validate(path, object, id); !problem.empty()) {
      return netbox_error(http::Status::bad_request,
                          {{"__all__", json::array{json::string(problem)}}});
    }
    table[id] = object;  // visible to the uniqueness check of the next item
    created.emplace_back(id, std::move(object));
  }
  json::array out;
  for (auto& [id, object] : created)
    out.push_back(object);
  return http::Response::json(http::Status::created,
                              body.is_array() ? json::value(out) : out.at(0));
}

http::Response FakeNetBox::update(const std::string& path, const std::string& request_body,
                                  Table& table) {
  const json::value body = json::parse(request_body);
  json::array out;
  for (const auto& item : body.as_array()) {
    const int64_t id = json_int(field(item.as_object(), "id"));
    auto found = table.find(id);
    if (found == table.end()) continue;
    json::object changes = expand(path, item.as_object());
    changes.erase("custom_fields");
    for (const auto& [key, value] : changes)
      found->second[key] = value;
    if (const auto* cf = item.as_object().if_contains("custom_fields")) {
      for (const auto& [key, value] : cf->as_object())
        found->second["custom_fields"].as_object()[key] = value;
    }
    out.push_back(found->second);
  }
  return http::Response::json(out);
}

http::Response FakeNetBox::remove(const std::string& request_body, Table& table) {
  const json::value body = json::parse(request_body);
  for (const auto& item : body.as_array())
    table.erase(json_int(field(item.as_object(), "id")));
  return http::Response::empty(http::Status::no_content);
}

http::ClientResponse ForwardingTransport::exchange(http::Verb method, std::string_view url,
                                                   std::string body, const http::Headers& headers,
                                                   const http::RequestControl& control) {
  {
    std::lock_guard lock(mutex_);
    before(method, url);
  }
  return inner_.send(method, url, std::move(body), headers, control);
}

void RecordingTransport::before(http::Verb, std::string_view url) {
  urls_.emplace_back(url);
}

std::vector<std::string> RecordingTransport::urls() {
  std::lock_guard lock(mutex_);
  return urls_;
}

void RecordingTransport::clear() {
  std::lock_guard lock(mutex_);
  urls_.clear();
}

std::vector<json::object> numbered_tags(int from, int count) {
  std::vector<json::object> tags;
  for (int i = from; i < from + count; ++i) {
    tags.push_back(
        json::object{{"name", "t" + std::to_string(i)}, {"slug", "t" + std::to_string(i)}});
  }
  return tags;
}

size_t WritingTransport::writes() {
  std::lock_guard lock(mutex_);
  return writes_;
}

void WritingTransport::before(http::Verb method, std::string_view) {
  if (method != http::Verb::get) return;
  if (!doomed_.empty()) {
    const bool low = writes_ % 2 == 0;
    const int64_t id = low ? doomed_.front() : doomed_.back();
    low ? doomed_.pop_front() : doomed_.pop_back();
    writer_.remove(path_, {id});
    writer_.create(path_, numbered_tags(1'000'000 + 2 * static_cast<int>(writes_), 2));
    ++writes_;
  }
}

SilentListener::SilentListener()
    : acceptor_(context_, {boost::asio::ip::address_v4::loopback(), 0}) {
  acceptor_.listen();
  accept();
  thread_ = std::thread([this] { context_.run(); });
}

SilentListener::~SilentListener() {
  context_.stop();
  thread_.join();
}

void SilentListener::accept() {
  acceptor_.async_accept(
      [this](boost::system::error_code error, boost::asio::ip::tcp::socket socket) {
        if (error) return;
        held_.push_back(std::move(socket));
        ++accepted_;
        accept();
      });
}

}  // namespace pbx::sync::testing
