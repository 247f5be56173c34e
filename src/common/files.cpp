#include "common/files.hpp"

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <system_error>

namespace pbx::common {

std::string read_file(const std::filesystem::path& path) {
  std::error_code error;
  // A directory opens fine and then reads as empty; say what it is instead.
  if (std::filesystem::is_directory(path, error)) {
    throw FileError("cannot read " + path.string() + ": is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileError("cannot read " + path.string());
  try {
    return std::string(std::istreambuf_iterator<char>(in), {});
  } catch (const std::ios_base::failure& failure) {  // libstdc++ reports read errors this way
    throw FileError("cannot read " + path.string() + ": " + failure.what());
  }
}

void write_file(const std::filesystem::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out.flush()) throw FileError("cannot write " + path.string());
}

void write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  auto temporary = path;
  temporary += ".tmp." + std::to_string(::getpid());
  write_file(temporary, content);
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::filesystem::remove(temporary, error);
    throw FileError("cannot write " + path.string());
  }
}

}  // namespace pbx::common
