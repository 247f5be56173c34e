// Writes to a storage's content: POST /nodes/{node}/storage/{storage}/upload (multipart/form-data,
// as pveproxy takes it), POST .../download-url, and DELETE .../content/{volume}. They change the
// state's volumes (ISOs, container templates, import sources) and backups, which the content
// listing and the storage usage read. Checks and messages follow PVE::API2::Storage::Status.

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cctype>

#include "http/multipart.hpp"
#include "proxmox/handler_support.hpp"
#include "proxmox/pve_support.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using Verb = http::Verb;

// Storage types with a file system path (PVE::Storage plugins that define `path`): only these
// hold ISOs, templates and import sources.
bool file_based(const StorageScenario& storage) {
  static const std::array<std::string_view, 6> types{"dir",       "nfs",   "cifs",
                                                     "glusterfs", "btrfs", "cephfs"};
  return std::find(types.begin(), types.end(), storage.type) != types.end();
}

// PVE::Storage::normalize_content_filename: the base name, anything unusual replaced by '_'.
std::string normalize_filename(std::string_view name) {
  while (!name.empty() && (name.back() == '\n' || name.back() == '\r'))
    name.remove_suffix(1);
  if (const size_t slash = name.find_last_of("/\\"); slash != std::string_view::npos)
    name.remove_prefix(slash + 1);
  std::string out(name);
  for (char& c : out) {
    const bool safe =
        std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
    if (!safe) c = '_';
  }
  return out;
}

bool ends_with_ignoring_case(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         common::to_lower(text.substr(text.size() - suffix.size())) == suffix;
}

// What a (normalized, so slash-free) file name means for a content type: its listing format, or
// "" when the extension is not one Proxmox accepts. Proxmox matches `[^/]+\.(?:iso|img)$`,
// `[^/]+\.tar\.(gz|xz|zst|bz2)$` (both ignoring case) and `<safe chars>+\.(ova|qcow2|raw|vmdk)$`:
// a name that is more than its extension. Plain suffix checks, no regex on client input.
std::string content_format(std::string_view content, std::string_view filename) {
  if (content == "iso") {
    for (const std::string_view extension : {".iso", ".img"}) {
      if (filename.size() > extension.size() && ends_with_ignoring_case(filename, extension))
        return "iso";
    }
    return "";
  }
  if (content == "vztmpl") {
    for (const std::string_view compression : {"gz", "xz", "zst", "bz2"}) {
      const std::string extension = fmt::format(".tar.{}", compression);
      if (filename.size() > extension.size() && ends_with_ignoring_case(filename, extension))
        return fmt::format("t{}", compression);
    }
    return "";
  }
  if (content == "import") {
    for (const std::string_view format : {"ova", "qcow2", "raw", "vmdk"}) {
      const std::string extension = fmt::format(".{}", format);
      if (filename.size() > extension.size() && filename.ends_with(extension))
        return std::string(format);
    }
  }
  return "";
}

// The checks upload and download-url share, in Proxmox's order; the volume they would create.
struct PlannedVolume {
  const StorageScenario* storage = nullptr;
  VolumeScenario volume;
};
common::Result<PlannedVolume, ApiResult> plan_volume(const ClusterState& state, const ApiCall& call,
                                                     bool download) {
  const auto lookup = node_storage(state, call);
  if (!lookup) return common::Failure{lookup.error()};
  const StorageScenario* storage = *lookup;
  if (!file_based(*storage)) {
    return common::Failure{ApiResult::error(
        500, download ? fmt::format("can't upload to storage type '{}', not a file based storage!",
                                    storage->type)
                      : fmt::format("can't upload to storage type '{}'", storage->type))};
  }
  const std::string content = call.text("content");
  if (download && !has_content(*storage, content)) {
    return common::Failure{ApiResult::error(
        500,
        fmt::format("storage '{}' is not configured for content-type '{}'", storage->id, content))};
  }
  const std::string filename = normalize_filename(call.text("filename"));
  const std::string format = content_format(content, filename);
  if (content != "iso" && content != "vztmpl" && content != "import") {
    return common::Failure{ApiResult::invalid(
        "content", download ? fmt::format("upload content-type '{}' is not allowed", content)
                            : fmt::format("upload content type '{}' not allowed", content))};
  }
  if (format.empty()) {
    return common::Failure{
        ApiResult::invalid("filename", content == "import" ? "invalid filename or wrong extension"
                                                           : "wrong file extension")};
  }
  if (!download && !has_content(*storage, content)) {
    return common::Failure{ApiResult::error(
        500, fmt::format("storage '{}' does not support '{}' content", storage->id, content))};
  }
  PlannedVolume planned;
  planned.storage = storage;
  planned.volume.storage = storage->id;
  planned.volume.node = storage->shared ? "" : call.text("node");
  planned.volume.volid = fmt::format("{}:{}/{}", storage->id, content, filename);
  planned.volume.content = content;
  planned.volume.format = format;
  planned.volume.ctime = ClusterState::now_seconds();
  return planned;
}

constexpr int64_t kDownloadedBytes = 100 * kMiB;

// The index of the volume of the same name and node, if there is one.
std::optional<size_t> find_volume(const ClusterState& state, const VolumeScenario& v) {
  const auto& volumes = state.volumes();
  const auto found = std::find_if(volumes.begin(), volumes.end(), [&](const auto& other) {
    return other.volid == v.volid && other.node == v.node;
  });
  if (found == volumes.end()) return std::nullopt;
  return static_cast<size_t>(found - volumes.begin());
}

// The hex digest of `data` with one of the upload's checksum algorithms (md5 ... sha512).
std::string hex_digest(std::string_view algorithm, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  size_t length = 0;
  const std::string name = common::to_upper(algorithm);
  if (EVP_Q_digest(nullptr, name.c_str(), nullptr, data.data(), data.size(), digest.data(),
                   &length) == 0) {
    return {};
  }
  std::string out;
  for (size_t i = 0; i < length; ++i)
    out += fmt::format("{:02x}", digest[i]);
  return out;
}

ApiResult upload(ClusterState& state, const ApiCall& call) {
  // pveproxy streams only a multipart/form-data file (the field "filename") to a temporary file;
  // without one the handler has no file to import. Validation already refused a malformed body.
  const auto boundary = http::multipart_boundary(call.request.header(http::Field::content_type));
  const http::MultipartForm form =
      boundary ? http::parse_multipart(call.request.body, *boundary) : http::MultipartForm{};
  const http::MultipartPart* file = form.find("filename");
  if (!form.ok() || file == nullptr || !file->filename) {
    return ApiResult::error(500, "missing temporary file name");
  }

  auto planned = plan_volume(state, call, false);
  if (!planned) return planned.error();
  auto& [storage, volume] = *planned;
  volume.size = static_cast<int64_t>(file->data.size());

  // What the worker checks fails the task, as in Proxmox: the call itself answers a UPID.
  std::string exitstatus = "OK";
  if (call.has("checksum-algorithm")) {
    const std::string got = hex_digest(call.text("checksum-algorithm"), file->data);
    if (common::to_lower(got) != common::to_lower(call.text("checksum"))) {
      exitstatus =
          fmt::format("checksum mismatch: got '{}' != expect '{}'", got, call.text("checksum"));
    }
  }
  const auto existing = find_volume(state, volume);
  const int64_t replaced = existing ? state.volumes()[*existing].size : 0;
  if (exitstatus == "OK" &&
      storage_used(state, *storage, call.text("node")) - replaced + volume.size >
          storage->total_bytes) {
    exitstatus = "import failed: cp: error writing: No space left on device";
  }
  if (exitstatus == "OK") {
    if (existing) {
      state.replace_volume(*existing, volume);  // Proxmox overwrites a file of the same name
    } else {
      state.add_volume(volume);
    }
    state.touch();
  }
  return ApiResult::ok(
      state.start_task(call.text("node"), "imgcopy", "", call.user, std::move(exitstatus)).upid);
}

ApiResult download_url(ClusterState& state, const ApiCall& call) {
  auto planned = plan_volume(state, call, true);
  if (!planned) return planned.error();
  auto& volume = planned->volume;
  volume.size = kDownloadedBytes;
  // The mock fetches nothing: the volume exists once the task is started, with a size of
  // kDownloadedBytes (documented in the README), so usage changes as after a real download.
  std::string exitstatus = "OK";
  if (find_volume(state, volume)) {
    exitstatus = fmt::format("refusing to override existing file '{}'", volume.volid);
  } else {
    state.add_volume(volume);
    state.touch();
  }
  const std::string worker_id = volume.volid.substr(volume.volid.rfind('/') + 1);
  return ApiResult::ok(
      state.start_task(call.text("node"), "download", worker_id, call.user, std::move(exitstatus))
          .upid);
}

// DELETE .../content/{volume}: a backup (unless protected) or a volume of `volumes`. The task's
// id is "<owner vmid>@<storage>" for an owned volume, else the storage, as Proxmox names it.
// A volume that is not there is refused at once (Proxmox would run the task and warn).
ApiResult delete_volume(ClusterState& state, const ApiCall& call) {
  const auto lookup = node_storage(state, call);
  if (!lookup) return lookup.error();
  auto* storage = *lookup;
  const std::string node = call.text("node");
  std::string volid = call.text("volume");
  if (volid.find(':') == std::string::npos) volid = storage->id + ":" + volid;
  // A named copy: clang (the fuzz build) cannot capture a structured binding.
  const bool shared = storage->shared;
  const auto here = [&](const std::string& owner_node) {
    return shared || owner_node.empty() || owner_node == node;
  };
  int owner = 0;
  const auto erased_backups = state.erase_backups([&](const BackupScenario& backup) {
    const bool match = backup.volid == volid && !backup.protected_ && here(backup.node);
    if (match) owner = backup.vmid;
    return match;
  });
  const auto erased_volumes = state.erase_volumes([&](const VolumeScenario& volume) {
    const bool match = volume.volid == volid && here(volume.node);
    if (match) owner = volume.vmid;
    return match;
  });
  if (erased_backups + erased_volumes == 0) {
    return ApiResult::error(500, fmt::format("volume '{}' does not exist or is protected", volid));
  }
  state.touch();
  const std::string task_id = owner != 0 ? fmt::format("{}@{}", owner, storage->id) : storage->id;
  return ApiResult::ok(state.start_task(node, "imgdel", task_id, call.user).upid);
}

}  // namespace

void add_storage_content_handlers(HandlerTable& table) {
  table.add(Verb::post, "/nodes/{node}/storage/{storage}/upload", writer(upload));
  table.add(Verb::post, "/nodes/{node}/storage/{storage}/download-url", writer(download_url));
  table.add(Verb::delete_, "/nodes/{node}/storage/{storage}/content/{volume}",
            writer(delete_volume));
}

}  // namespace pbx::proxmox
