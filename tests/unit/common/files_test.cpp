#include "common/files.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace pbx::common {
namespace {

namespace fs = std::filesystem;

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("pbx-files-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(FilesTest, WriteThenReadKeepsEveryByte) {
  const std::string bytes("a\0b\r\nc\xff", 7);
  write_file(dir_ / "x.bin", bytes);
  EXPECT_EQ(read_file(dir_ / "x.bin"), bytes);
  write_file(dir_ / "x.bin", "short");
  EXPECT_EQ(read_file(dir_ / "x.bin"), "short") << "write_file truncates";
}

TEST_F(FilesTest, ReadsLargeFilesAndFilesThatReportNoSize) {
  std::string large(300 * 1024 + 7, 'x');
  for (size_t i = 0; i < large.size(); i += 4096)
    large[i] = static_cast<char>('a' + (i / 4096) % 26);
  write_file(dir_ / "large.json", large);
  EXPECT_EQ(read_file(dir_ / "large.json"), large);
  write_file(dir_ / "empty", "");
  EXPECT_EQ(read_file(dir_ / "empty"), "");
  // /proc files have st_size 0 yet content: read until the end, not by the reported size.
  const std::string status = read_file("/proc/self/status");
  EXPECT_NE(status.find("Name:"), std::string::npos);
  EXPECT_EQ(status.back(), '\n');
}

TEST_F(FilesTest, AtomicWriteReplacesAndLeavesNoTemporary) {
  write_file(dir_ / "ready.json", "old");
  write_file_atomically(dir_ / "ready.json", "{\"new\":1}");
  EXPECT_EQ(read_file(dir_ / "ready.json"), "{\"new\":1}");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(FilesTest, FailuresNameThePath) {
  try {
    read_file(dir_ / "missing.json");
    FAIL() << "no exception";
  } catch (const FileError& error) {
    EXPECT_NE(std::string(error.what()).find("missing.json"), std::string::npos) << error.what();
  }
  EXPECT_THROW(read_file(dir_), FileError) << "a directory is not a file";
  EXPECT_THROW(write_file(dir_ / "no/such/dir/x", "x"), FileError);
  EXPECT_THROW(write_file_atomically(dir_ / "no/such/dir/x", "x"), FileError);
}

}  // namespace
}  // namespace pbx::common
