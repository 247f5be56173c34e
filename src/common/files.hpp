#pragma once
// Whole-file reads and writes, shared by every component so that each failure names its path.

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace pbx::common {

class FileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The file's bytes. Throws FileError ("cannot read <path>") when it cannot be opened or read.
std::string read_file(const std::filesystem::path& path);

// Replaces the file's content. Throws FileError.
void write_file(const std::filesystem::path& path, std::string_view content);

// Writes a temporary sibling and renames it over `path`, so a reader polling for the file (a
// supervisor waiting on a ready file) never sees it half-written. Throws FileError.
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

}  // namespace pbx::common
