// multipart/form-data parsing: the forms clients send, and every limit and malformed shape
// refused with its own message.

#include "http/multipart.hpp"

#include <gtest/gtest.h>

#include <string>

namespace pbx::http {
namespace {

std::string form_body(std::string_view boundary) {
  std::string body;
  body += "--" + std::string(boundary) + "\r\n";
  body += "Content-Disposition: form-data; name=\"content\"\r\n\r\niso\r\n";
  body += "--" + std::string(boundary) + "\r\n";
  body +=
      "Content-Disposition: form-data; name=\"filename\"; filename=\"my disk.iso\"\r\n"
      "Content-Type: application/octet-stream\r\n\r\n";
  body += std::string("CD001\0\r\n--not-the-boundary", 27);
  body += "\r\n--" + std::string(boundary) + "--\r\n";
  return body;
}

TEST(MultipartBoundary, FromContentType) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=abc123"), "abc123");
  EXPECT_EQ(multipart_boundary("Multipart/Form-Data;boundary=\"a b;c\""), "a b;c");
  EXPECT_EQ(multipart_boundary("multipart/form-data; charset=utf-8; boundary=x"), "x");
  EXPECT_FALSE(multipart_boundary("multipart/form-data"));
  EXPECT_FALSE(multipart_boundary("application/x-www-form-urlencoded; boundary=x"));
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary="));
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'a')));
}

TEST(Multipart, ParsesFieldsAndFileWithBinaryContent) {
  const std::string body = form_body("XyZ");
  const MultipartForm form = parse_multipart(body, "XyZ");
  ASSERT_TRUE(form.ok()) << form.error;
  ASSERT_EQ(form.parts.size(), 2u);
  EXPECT_EQ(form.parts[0].name, "content");
  EXPECT_FALSE(form.parts[0].filename);
  EXPECT_EQ(form.parts[0].data, "iso");
  const MultipartPart* file = form.find("filename");
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->filename, "my disk.iso");
  EXPECT_EQ(file->content_type, "application/octet-stream");
  EXPECT_EQ(file->data.size(), 27u);  // a NUL and a near-boundary inside the content stay
  EXPECT_EQ(form.find("other"), nullptr);
}

TEST(Multipart, PreambleEpilogueAndEmptyContent) {
  const std::string body =
      "preamble\r\n--b\r\nContent-Disposition: form-data; name=a\r\n\r\n\r\n--b--epilogue";
  const MultipartForm form = parse_multipart(body, "b");
  ASSERT_TRUE(form.ok()) << form.error;
  ASSERT_EQ(form.parts.size(), 1u);
  EXPECT_EQ(form.parts[0].name, "a");
  EXPECT_EQ(form.parts[0].data, "");
}

TEST(Multipart, QuotedParametersWithEscapes) {
  const std::string body =
      "--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\\\"b;c.iso\"\r\n\r\nx\r\n"
      "--b--";
  const MultipartForm form = parse_multipart(body, "b");
  ASSERT_TRUE(form.ok()) << form.error;
  EXPECT_EQ(form.parts[0].filename, "a\"b;c.iso");
}

TEST(Multipart, RefusesMalformedBodies) {
  const auto error = [](std::string_view body) { return parse_multipart(body, "b").error; };
  EXPECT_EQ(error("no boundary here"), "multipart body has no boundary line");
  EXPECT_EQ(error("--b\r\nContent-Disposition: form-data; name=a\r\n\r\nvalue"),
            "multipart body ends without its closing boundary");
  EXPECT_EQ(error("--bX\r\n"), "multipart boundary line is not followed by CRLF");
  EXPECT_EQ(error("--b\r\nContent-Disposition: form-data; name=a\r\n"),
            "multipart part headers are not terminated");
  EXPECT_EQ(error("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--"),
            "multipart part without Content-Disposition header");
  EXPECT_EQ(error("--b\r\n\r\nx\r\n--b--"), "multipart part without Content-Disposition header");
  EXPECT_EQ(error("--b\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n--b--"),
            "multipart part Content-Disposition is not form-data");
  EXPECT_EQ(error("--b\r\nContent-Disposition: form-data; filename=x\r\n\r\nx\r\n--b--"),
            "multipart part Content-Disposition has no name");
  EXPECT_EQ(error("--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--b--"),
            "multipart malformed part Content-Disposition parameters");
  EXPECT_EQ(error("--b\r\nbroken header\r\n\r\nx\r\n--b--"),
            "multipart malformed part header line");
  EXPECT_EQ(error("--b\r\nContent-Disposition: form-data; name=a\r\n"
                  "Content-Disposition: form-data; name=b\r\n\r\nx\r\n--b--"),
            "multipart part has two Content-Disposition headers");
  EXPECT_EQ(parse_multipart("--b--", "").error, "multipart boundary must have 1 to 70 characters");
}

TEST(Multipart, LimitsHaveClearMessages) {
  MultipartLimits limits;
  limits.max_body_bytes = 10;
  EXPECT_EQ(parse_multipart(form_body("b"), "b", limits).error,
            "multipart body of " + std::to_string(form_body("b").size()) +
                " bytes exceeds the limit of 10 bytes");

  limits = {};
  limits.max_parts = 1;
  EXPECT_EQ(parse_multipart(form_body("b"), "b", limits).error,
            "multipart body has more than 1 parts");

  limits = {};
  limits.max_header_bytes = 16;
  EXPECT_EQ(parse_multipart(form_body("b"), "b", limits).error,
            "multipart part headers exceed 16 bytes");

  limits = {};
  limits.max_field_bytes = 2;  // "iso" is a field; the file part has no such limit
  EXPECT_EQ(parse_multipart(form_body("b"), "b", limits).error,
            "multipart field 'content' exceeds 2 bytes");

  const MultipartForm failed = parse_multipart(form_body("b"), "b", limits);
  EXPECT_TRUE(failed.parts.empty());  // nothing half-parsed is handed out
}

}  // namespace
}  // namespace pbx::http
