#include "common/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

namespace pbx::common {

namespace {

[[noreturn]] void fail_read(const std::filesystem::path& path, int error_number) {
  throw FileError("cannot read " + path.string() + ": " + std::strerror(error_number));
}

}  // namespace

// One open, one fstat and one read() of the whole size (plus the read that sees the end): a
// stream iterator copied the 1.2 MB Proxmox schema a character at a time, most of the mock's
// start-up. A file that reports no size (/proc) or grows meanwhile is read on until its end.
std::string read_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail_read(path, errno);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat info {};
  if (::fstat(fd, &info) != 0) fail_read(path, errno);
  // A directory opens fine and then fails to read; say what it is instead.
  if (S_ISDIR(info.st_mode)) throw FileError("cannot read " + path.string() + ": is a directory");
  constexpr size_t kBlock = 64 * 1024;
  const bool sized = S_ISREG(info.st_mode) && info.st_size > 0;
  std::string content(sized ? static_cast<size_t>(info.st_size) + 1 : kBlock, '\0');
  size_t used = 0;
  for (;;) {
    if (used == content.size()) content.resize(content.size() * 2);
    const ssize_t got = ::read(fd, content.data() + used, content.size() - used);
    if (got < 0) {
      if (errno == EINTR) continue;
      fail_read(path, errno);
    }
    if (got == 0) break;
    used += static_cast<size_t>(got);
  }
  content.resize(used);
  return content;
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
