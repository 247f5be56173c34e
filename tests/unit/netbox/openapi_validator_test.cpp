#include "netbox/openapi_validator.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace pbx::netbox {
namespace {

namespace json = boost::json;

OpenApiDocument sample_document() {
  return OpenApiDocument(json::parse(R"({
    "openapi": "3.0.3",
    "paths": {
      "/api/things/": {"get": {"responses": {"200": {"content": {"application/json":
          {"schema": {"$ref": "#/components/schemas/Thing"}}}}}}},
      "/api/things/{id}/": {
        "patch": {"requestBody": {"content": {"application/json":
            {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                  "responses": {"200": {"description": ""}}}},
      "/api/things/special/": {"get": {"responses": {"200": {"description": ""}}}}
    },
    "components": {"schemas": {
      "Thing": {"type": "object", "required": ["id", "name"], "additionalProperties": false,
        "properties": {
          "id": {"type": "integer", "readOnly": true},
          "name": {"type": "string", "maxLength": 5},
          "kind": {"enum": ["a", "b"], "type": "string"},
          "parent": {"allOf": [{"$ref": "#/components/schemas/Thing"}], "nullable": true},
          "when": {"type": "string", "format": "date-time"},
          "any": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
          "tags": {"type": "array", "items": {"type": "integer", "minimum": 1}}
        }}
    }}
  })"));
}

const json::value& thing_schema(const OpenApiDocument& doc) {
  return doc.root().at("components").at("schemas").at("Thing");
}

TEST(OpenApiValidator, AcceptsAValidInstance) {
  const auto doc = sample_document();
  const auto problems =
      doc.validate(thing_schema(doc),
                   json::parse(R"({"id": 1, "name": "x", "kind": "a", "parent": null, "any": "s",
                      "when": "2025-01-02T03:04:05.123Z", "tags": [1, 2]})"),
                   Direction::Response);
  EXPECT_TRUE(problems.empty()) << problems.front();
}

TEST(OpenApiValidator, ReportsEachKindOfViolation) {
  const auto doc = sample_document();
  const auto problems = doc.validate(
      thing_schema(doc),
      json::parse(R"({"name": "toolong", "kind": "c", "parent": {"id": "x", "name": "y"},
                      "any": true, "when": "yesterday", "tags": [0], "extra": 1})"),
      Direction::Response);
  const std::vector<std::string> expected = {
      "$: missing required property id",  "$.name: longer than maxLength 5",
      "$.kind: \"c\" is not in the enum", "$.parent.id: expected integer, got \"x\"",
      "$.any: matches none of oneOf",     "$.when: not a date-time: yesterday",
      "$.tags[0]: below minimum",         "$.extra: unexpected property"};
  for (const std::string& want : expected) {
    const bool found = std::any_of(problems.begin(), problems.end(),
                                   [&](const std::string& p) { return p.rfind(want, 0) == 0; });
    EXPECT_TRUE(found) << "missing problem: " << want;
  }
}

TEST(OpenApiValidator, ReadOnlyIsOptionalButForbiddenInRequests) {
  const auto doc = sample_document();
  EXPECT_TRUE(
      doc.validate(thing_schema(doc), json::parse(R"({"name": "x"})"), Direction::Request).empty());
  const auto problems =
      doc.validate(thing_schema(doc), json::parse(R"({"id": 3, "name": "x"})"), Direction::Request);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems.front(), "$.id: read-only property sent in a request");
}

TEST(OpenApiValidator, NullNeedsNullable) {
  const auto doc = sample_document();
  const auto problems = doc.validate(thing_schema(doc), json::parse(R"({"id": 1, "name": null})"),
                                     Direction::Response);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems.front(), "$.name: null is not allowed");
}

TEST(OpenApiValidator, FindsOperationsPreferringLiteralSegments) {
  const auto doc = sample_document();
  EXPECT_EQ(doc.find_operation("patch", "/api/things/7/")->path_template, "/api/things/{id}/");
  EXPECT_EQ(doc.find_operation("get", "/api/things/special/")->path_template,
            "/api/things/special/");
  EXPECT_FALSE(doc.find_operation("delete", "/api/things/7/"));
  EXPECT_TRUE(doc.request_schema(*doc.find_operation("patch", "/api/things/7/")->operation));
  EXPECT_EQ(doc.operations().size(), 3u);
}

}  // namespace
}  // namespace pbx::netbox
