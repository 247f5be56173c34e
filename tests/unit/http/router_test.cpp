#include "http/router.hpp"

#include <gtest/gtest.h>

namespace pbx::http {
namespace {

Response reply(std::string text) {
  return Response::text(Status::ok, std::move(text));
}

TEST(Router, MatchesTemplatesAndCapturesParameters) {
  Router router;
  router.get("/nodes/{node}/qemu/{vmid}", [](Request& r) {
    return reply(std::string(r.path_param("node")) + ":" + std::string(r.path_param("vmid")));
  });
  auto request = Request::make(Verb::get, "/nodes/pve1/qemu/100");
  EXPECT_EQ(router.dispatch(request).body, "pve1:100");
}

TEST(Router, LiteralSegmentsWinOverParameters) {
  Router router;
  router.get("/nodes/{node}", [](Request&) { return reply("param"); });
  router.get("/nodes/list", [](Request&) { return reply("literal"); });
  auto literal = Request::make(Verb::get, "/nodes/list");
  auto param = Request::make(Verb::get, "/nodes/other");
  EXPECT_EQ(router.dispatch(literal).body, "literal");
  EXPECT_EQ(router.dispatch(param).body, "param");
}

TEST(Router, BacktracksFromLiteralDeadEnd) {
  Router router;
  router.get("/a/b/c", [](Request&) { return reply("abc"); });
  router.get("/a/{x}/d", [](Request& r) { return reply(std::string(r.path_param("x"))); });
  auto request = Request::make(Verb::get, "/a/b/d");
  EXPECT_EQ(router.dispatch(request).body, "b");
}

TEST(Router, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  Router router;
  router.get("/x", [](Request&) { return reply("x"); });
  router.post("/x", [](Request&) { return reply("x"); });
  auto missing = Request::make(Verb::get, "/y");
  EXPECT_EQ(router.dispatch(missing).status, Status::not_found);
  auto wrong = Request::make(Verb::delete_, "/x");
  const Response response = router.dispatch(wrong);
  EXPECT_EQ(response.status, Status::method_not_allowed);
  EXPECT_EQ(response.header(Field::allow), "GET, POST");
}

TEST(Router, HeadFallsBackToGet) {
  Router router;
  router.get("/x", [](Request&) { return reply("x"); });
  auto head = Request::make(Verb::head, "/x");
  EXPECT_EQ(router.dispatch(head).status, Status::ok);
}

TEST(Router, RestParameterCapturesTail) {
  Router router;
  router.get("/files/{path...}",
             [](Request& r) { return reply(std::string(r.path_param("path"))); });
  auto request = Request::make(Verb::get, "/files/a/b/c.txt");
  EXPECT_EQ(router.dispatch(request).body, "a/b/c.txt");
}

TEST(Router, EncodedSlashStaysInsideItsSegment) {
  Router router;
  router.get("/ipset/{name}/{cidr}",
             [](Request& r) { return reply(std::string(r.path_param("cidr"))); });
  router.get("/files/{path...}",
             [](Request& r) { return reply(std::string(r.path_param("path"))); });
  auto encoded = Request::make(Verb::get, "/ipset/office/10.0.0.0%2F24");
  EXPECT_EQ(encoded.path, "/ipset/office/10.0.0.0/24");
  EXPECT_EQ(router.dispatch(encoded).body, "10.0.0.0/24");
  auto plain = Request::make(Verb::get, "/ipset/office/10.0.0.0/24");
  EXPECT_EQ(router.dispatch(plain).code(), 404u);  // two segments: no such template
  auto rest = Request::make(Verb::get, "/files/a%2Fb/c%20d");
  EXPECT_EQ(router.dispatch(rest).body, "a/b/c d");
}

TEST(Message, PathSegmentsSplitTheRawTargetThenDecode) {
  const auto request = Request::make(Verb::get, "/a//b%2Fc/%20d/?x=%2F");
  EXPECT_EQ(request.path_segments(), (std::vector<std::string>{"a", "b/c", " d"}));
  Request in_process;
  in_process.path = "/only/decoded";
  EXPECT_EQ(in_process.path_segments(), (std::vector<std::string>{"only", "decoded"}));
}

TEST(Router, TrailingSlashIsIgnored) {
  Router router;
  router.get("/api/dcim/sites", [](Request&) { return reply("sites"); });
  auto request = Request::make(Verb::get, "/api/dcim/sites/?limit=1");
  EXPECT_EQ(router.dispatch(request).body, "sites");
  EXPECT_EQ(request.query_value("limit"), "1");
}

TEST(Router, RejectsDuplicateAndMalformedPatterns) {
  Router router;
  router.get("/x", [](Request&) { return reply("x"); });
  EXPECT_THROW(router.get("/x", [](Request&) { return reply("x"); }), std::invalid_argument);
  EXPECT_THROW(router.get("x", [](Request&) { return reply("x"); }), std::invalid_argument);
  EXPECT_THROW(router.get("/{a...}/b", [](Request&) { return reply("x"); }), std::invalid_argument);
}

TEST(Message, DecodesQueryAndForm) {
  auto request = Request::make(Verb::get, "/p%20q?a=1&b=x+y&a=2&c=%2F");
  EXPECT_EQ(request.path, "/p q");
  EXPECT_EQ(request.query_values("a").size(), 2u);
  EXPECT_EQ(request.query_value("b"), "x y");
  EXPECT_EQ(request.query_value("c"), "/");
  EXPECT_FALSE(request.query_value("zzz"));
  EXPECT_EQ(encode_form({{"a b", "c/d"}}), "a%20b=c%2Fd");
}

TEST(Message, FormatsMultilineEvents) {
  EXPECT_EQ(format_event("step", "a\nb"), "event: step\ndata: a\ndata: b\n\n");
}

}  // namespace
}  // namespace pbx::http
