#pragma once
// The Proxmox API schema (the `apiSchema` tree of the API viewer, see
// ../shared/schemas/README.md) loaded once and indexed for request routing. Every
// path+method of the file is one Operation; the engine serves each of them.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"
#include "http/router.hpp"
#include "proxmox/scenario.hpp"

namespace pbx::proxmox {

struct Operation {
  http::Verb method = http::Verb::get;
  std::string path;  // template relative to /api2/json: "/nodes/{node}/qemu"
  std::string name;  // the schema's "name": "vmlist", "create_vm"
  // Point into the loaded document; never null (an empty object / null value when absent).
  const boost::json::object* parameters = nullptr;  // {"properties": {...}, "additionalProperties"}
  const boost::json::value* returns = nullptr;      // {"type": ..., "items"/"properties": ...}
  const boost::json::value* permissions = nullptr;  // null value when the schema has none
  bool protected_ = false;   // "protected": runs privileged in pvedaemon (informational)
  bool allow_token = false;  // "allowtoken": API tokens may call it (pbs: always true)
  std::string description;
  std::vector<std::string> path_parameters;  // names of the `{x}` segments, in order
  bool json_booleans = false;                // PBS answers booleans as true/false; PVE as 1/0
};

// Immutable after load(); find() and operations() are safe to call from many threads.
// Movable; Operation pointers stay valid across moves (the document lives on the heap).
class ApiSchema {
 public:
  // Reads and indexes a schema file. Throws std::runtime_error naming the file and the reason.
  static ApiSchema load(const std::filesystem::path& file);

  // $PROXMOX_MOCK_SCHEMA_DIR when set, else PBX_SHARED_DIR "/schemas/proxmox".
  static std::filesystem::path default_schema_dir();
  // The newest schema for the service in `schema_dir` ("pve-latest.json", "pbs-latest.json",
  // else the highest "<service>-X.Y.json"); std::nullopt when there is none (pdm today).
  static std::optional<std::filesystem::path> default_file(Service service,
                                                           const std::filesystem::path& schema_dir);

  ApiSchema(ApiSchema&&) noexcept;
  ApiSchema& operator=(ApiSchema&&) noexcept;
  ~ApiSchema();

  size_t operation_count() const;
  size_t path_count() const;  // distinct paths with at least one method
  const std::vector<Operation>& operations() const;

  struct Lookup {
    const Operation* operation = nullptr;  // null: unknown path or method not allowed
    bool path_known = false;               // some method serves this path (→ 405 vs 404/501)
    std::vector<http::Verb> allowed;       // methods served at the path, when path_known
  };
  // Resolves a decoded API path relative to /api2/json ("/nodes/pve1/qemu"); appends the
  // `{x}` captures to `path_params`. HEAD resolves like GET. A trailing `{cidr}` or `{volume}`
  // takes the rest of the path, as pveproxy does (its values contain '/').
  Lookup find(http::Verb method, std::string_view api_path, http::Params& path_params) const;
  // The same for decoded segments relative to /api2/json (from Request::path_segments()), so an
  // encoded slash ("10.0.0.0%2F24") stays inside its parameter.
  Lookup find(http::Verb method, const std::vector<std::string>& api_segments,
              http::Params& path_params) const;
  // The operation for an exact template and method ("/nodes/{node}/qemu", POST), or null.
  const Operation* operation(http::Verb method, std::string_view path_template) const;

  const std::filesystem::path& file() const;
  std::string version_label() const;  // file name stem: "pve-latest", "pbs-latest"

 private:
  struct Impl;
  explicit ApiSchema(std::unique_ptr<Impl> impl);
  Lookup resolve(http::Verb method, http::Router::Match match, http::Params& captured,
                 http::Params& path_params) const;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pbx::proxmox
