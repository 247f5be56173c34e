// Storage content writes: a multipart upload (ISO, container template), download-url and
// content DELETE change the state's volumes, which the content listing and the usage read.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>

#include "mock_test_support.hpp"

namespace pbx::proxmox {
namespace {

namespace json = boost::json;
using namespace pbx::proxmox::testing;
using http::Verb;

const std::string kStorage = "/api2/json/nodes/pve1/storage/local";
constexpr std::string_view kMultipart = "multipart/form-data; boundary=XyZ";

// A form as proxmoxer sends it: the fields, then the file in the field "filename".
std::string upload_body(std::string_view content, std::string_view filename, std::string_view data,
                        std::string_view extra_fields = "") {
  std::string body = "--XyZ\r\nContent-Disposition: form-data; name=\"content\"\r\n\r\n";
  body += std::string(content) + "\r\n";
  body += std::string(extra_fields);
  body += "--XyZ\r\nContent-Disposition: form-data; name=\"filename\"; filename=\"";
  body += std::string(filename) + "\"\r\nContent-Type: application/octet-stream\r\n\r\n";
  body += std::string(data) + "\r\n--XyZ--\r\n";
  return body;
}

Reply upload(Engine& engine, std::string body, std::string_view storage = "local") {
  return call(engine, Verb::post, fmt::format("/api2/json/nodes/pve1/storage/{}/upload", storage),
              std::move(body), {}, kMultipart);
}

// volid → size of the storage's content of one type.
std::map<std::string, int64_t> listed(Engine& engine, std::string_view content) {
  const Reply reply = get(engine, kStorage + "/content?content=" + std::string(content));
  EXPECT_EQ(reply.status, 200u) << reply.body;
  std::map<std::string, int64_t> out;
  for (const auto& entry : reply.data().as_array())
    out[std::string(entry.at("volid").as_string())] = entry.at("size").to_number<int64_t>();
  return out;
}

int64_t used(Engine& engine) {
  return get(engine, kStorage + "/status").data().at("used").to_number<int64_t>();
}

std::string message(const Reply& reply) {
  const auto* text =
      reply.json.is_object() ? reply.json.as_object().if_contains("message") : nullptr;
  return text != nullptr && text->is_string() ? std::string(text->as_string()) : reply.body;
}

std::string exitstatus(Engine& engine, const Reply& started) {
  EXPECT_EQ(started.status, 200u) << started.body;
  if (started.status != 200) return "";
  const json::object status = wait_task(engine, "pve1", started.data().as_string());
  return status.contains("exitstatus") ? std::string(status.at("exitstatus").as_string()) : "";
}

TEST(StorageContentTest, SampleIsoAndTemplateAreStateAndCountInUsage) {
  Engine engine(test_options());
  EXPECT_EQ(
      listed(engine, "iso"),
      (std::map<std::string, int64_t>{{"local:iso/debian-12.8.0-amd64-netinst.iso", 661651456}}));
  EXPECT_EQ(listed(engine, "vztmpl").size(), 1u);
  EXPECT_EQ(used(engine), 661651456 + 126023680);
  EXPECT_EQ(engine.export_state().clusters[0].volumes.size(), 2u);
}

TEST(StorageContentTest, UploadedIsoIsListedCountedAndReplacedByTheSameName) {
  Engine engine(test_options());
  const int64_t before = used(engine);
  const Reply started = upload(engine, upload_body("iso", "My Installer.iso", "CD001-image"));
  ASSERT_EQ(started.status, 200u) << started.body;
  EXPECT_NE(std::string(started.data().as_string()).find(":imgcopy::root@pam:"), std::string::npos);
  EXPECT_EQ(exitstatus(engine, started), "OK");
  // The name is normalized as Proxmox does; the size is the file's.
  EXPECT_EQ(listed(engine, "iso").at("local:iso/My_Installer.iso"), 11);
  EXPECT_EQ(used(engine) - before, 11);
  EXPECT_EQ(exitstatus(engine, upload(engine, upload_body("iso", "My Installer.iso", "CD001"))),
            "OK");
  EXPECT_EQ(listed(engine, "iso").size(), 2u);
  EXPECT_EQ(listed(engine, "iso").at("local:iso/My_Installer.iso"), 5);
  // A container template gets its compression as format.
  EXPECT_EQ(exitstatus(engine, upload(engine, upload_body("vztmpl", "alpine.TAR.XZ", "xz"))), "OK");
  const Reply templates = get(engine, kStorage + "/content?content=vztmpl");
  bool found = false;
  for (const auto& entry : templates.data().as_array()) {
    if (entry.at("volid") != "local:vztmpl/alpine.TAR.XZ") continue;
    found = true;
    EXPECT_EQ(entry.at("format"), "txz");
  }
  EXPECT_TRUE(found) << templates.body;
}

TEST(StorageContentTest, UploadRefusalsAsProxmoxWordsThem) {
  Engine engine(test_options());
  const Reply extension = upload(engine, upload_body("iso", "disk.qcow2", "x"));
  EXPECT_EQ(extension.status, 400u);
  EXPECT_EQ(extension.json.at_pointer("/errors/filename"), "wrong file extension")
      << extension.body;
  EXPECT_EQ(message(upload(engine, upload_body("iso", "a.iso", "x"), "local-lvm")),
            "can't upload to storage type 'lvmthin'");
  EXPECT_EQ(message(upload(engine, upload_body("import", "a.qcow2", "x"))),
            "storage 'local' does not support 'import' content");
  // The file must be the field "filename".
  std::string wrong_field = upload_body("iso", "a.iso", "x");
  wrong_field.replace(wrong_field.find("name=\"filename\""), 15, "name=\"file\"");
  const Reply field = upload(engine, wrong_field);
  EXPECT_EQ(field.status, 400u);
  EXPECT_EQ(field.json.at_pointer("/errors/body"), "wrong field name for file upload")
      << field.body;
  // Malformed bodies name their problem.
  const Reply open_ended =
      upload(engine, "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nx");
  EXPECT_EQ(open_ended.status, 400u);
  EXPECT_EQ(open_ended.json.at_pointer("/errors/body"),
            "multipart body ends without its closing boundary");
  std::string many;
  for (int i = 0; i < 40; ++i)
    many += fmt::format("--XyZ\r\nContent-Disposition: form-data; name=\"f{}\"\r\n\r\nv\r\n", i);
  const Reply too_many = upload(engine, upload_body("iso", "a.iso", "x", many));
  EXPECT_EQ(too_many.status, 400u);
  EXPECT_EQ(too_many.json.at_pointer("/errors/body"), "multipart body has more than 32 parts");
  // Not multipart at all: pveproxy gives the handler no temporary file.
  EXPECT_EQ(message(call(engine, Verb::post, kStorage + "/upload", "content=iso&filename=a.iso")),
            "missing temporary file name");
  // A checksum mismatch fails the task and keeps nothing.
  const Reply mismatch = upload(
      engine,
      upload_body("iso", "sum.iso", "data",
                  "--XyZ\r\nContent-Disposition: form-data; name=\"checksum-algorithm\"\r\n\r\n"
                  "sha256\r\n--XyZ\r\nContent-Disposition: form-data; name=\"checksum\"\r\n\r\n"
                  "00\r\n"));
  EXPECT_EQ(exitstatus(engine, mismatch).rfind("checksum mismatch: got '", 0), 0u);
  EXPECT_FALSE(listed(engine, "iso").contains("local:iso/sum.iso"));
  const Reply matching = upload(
      engine, upload_body("iso", "sum.iso", "data",
                          "--XyZ\r\nContent-Disposition: form-data; name=\"checksum-algorithm\""
                          "\r\n\r\nmd5\r\n--XyZ\r\nContent-Disposition: form-data; "
                          "name=\"checksum\"\r\n\r\n8D777F385D3DFEC8815D20F7496026DC\r\n"));
  EXPECT_EQ(exitstatus(engine, matching), "OK");
  EXPECT_TRUE(listed(engine, "iso").contains("local:iso/sum.iso"));
}

TEST(StorageContentTest, DownloadUrlCreatesTheVolumeOnceWithTheMocksSize) {
  Engine engine(test_options());
  const int64_t before = used(engine);
  const std::string body =
      "url=https%3A%2F%2Fexample.invalid%2Falpine.iso&content=iso&filename=alpine.iso";
  const Reply started = call(engine, Verb::post, kStorage + "/download-url", body);
  ASSERT_EQ(started.status, 200u) << started.body;
  EXPECT_NE(std::string(started.data().as_string()).find(":download:alpine.iso:"),
            std::string::npos);
  EXPECT_EQ(exitstatus(engine, started), "OK");
  EXPECT_EQ(listed(engine, "iso").at("local:iso/alpine.iso"), int64_t{100} << 20);
  EXPECT_EQ(used(engine) - before, int64_t{100} << 20);
  EXPECT_EQ(exitstatus(engine, call(engine, Verb::post, kStorage + "/download-url", body)),
            "refusing to override existing file 'local:iso/alpine.iso'");
  EXPECT_EQ(message(call(engine, Verb::post, kStorage + "/download-url",
                         "url=https%3A%2F%2Fx.invalid%2Fa.ova&content=import&filename=a.ova")),
            "storage 'local' is not configured for content-type 'import'");
}

TEST(StorageContentTest, DeleteRemovesTheVolumeWithARealTask) {
  Engine engine(test_options());
  const int64_t before = used(engine);
  const std::string iso = "local:iso/debian-12.8.0-amd64-netinst.iso";
  const Reply deleted = call(engine, Verb::delete_, kStorage + "/content/" + iso);
  ASSERT_EQ(deleted.status, 200u) << deleted.body;
  EXPECT_NE(std::string(deleted.data().as_string()).find(":imgdel:local:"), std::string::npos)
      << deleted.body;
  EXPECT_EQ(exitstatus(engine, deleted), "OK");
  EXPECT_TRUE(listed(engine, "iso").empty());
  EXPECT_EQ(before - used(engine), 661651456);
  const Reply again = call(engine, Verb::delete_, kStorage + "/content/" + iso);
  EXPECT_EQ(again.status, 500u);
  EXPECT_EQ(message(again), "volume '" + iso + "' does not exist or is protected");
  // Without the storage prefix, as the volume name alone.
  ASSERT_EQ(call(engine, Verb::delete_,
                 kStorage + "/content/vztmpl/debian-12-standard_12.7-1_amd64.tar.zst")
                .status,
            200u);
  EXPECT_TRUE(listed(engine, "vztmpl").empty());
  EXPECT_TRUE(engine.export_state().clusters[0].volumes.empty());
}

}  // namespace
}  // namespace pbx::proxmox
