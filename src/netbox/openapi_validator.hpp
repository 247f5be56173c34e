#pragma once
// A compact OpenAPI 3.0 validator for the subset API documents such as NetBox's use: $ref,
// type, properties, required, additionalProperties, items, enum, nullable, allOf/oneOf/anyOf,
// readOnly/writeOnly, minLength/maxLength, minimum/maximum, format date-time/uri (best effort).
// Used by the emulator's contract test and reusable for any OpenAPI 3.0 document.

#include <boost/json/value.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pbx::netbox {

// Requests must not carry readOnly properties and need not send them when required;
// responses need not contain writeOnly ones.
enum class Direction { Request, Response };

struct OperationRef {
  std::string path_template;             // "/api/dcim/sites/{id}/"
  const boost::json::object* operation;  // the operation object
};

class OpenApiDocument {
 public:
  explicit OpenApiDocument(boost::json::value document);
  // Throws std::runtime_error when the file is missing or not JSON.
  static OpenApiDocument load(const std::filesystem::path& file);

  const boost::json::value& root() const { return document_; }

  // The operation serving `method` (lower-case, "get") at a concrete path ("/api/dcim/sites/5/").
  std::optional<OperationRef> find_operation(std::string_view method,
                                             std::string_view concrete_path) const;
  // The application/json schema of the request body, or of the response with `status`.
  const boost::json::value* request_schema(const boost::json::object& operation) const;
  const boost::json::value* response_schema(const boost::json::object& operation,
                                            unsigned status) const;
  // Every "METHOD path-template" pair in the document.
  std::vector<std::pair<std::string, std::string>> operations() const;

  // Problems found, each "<json-path>: <what>"; empty when the instance is valid.
  std::vector<std::string> validate(const boost::json::value& schema,
                                    const boost::json::value& instance, Direction direction) const;

 private:
  const boost::json::value& resolve(const boost::json::value& schema) const;
  void check(const boost::json::value& schema, const boost::json::value& instance,
             Direction direction, const std::string& where, std::vector<std::string>& problems,
             int depth) const;
  void check_combinators(const boost::json::object& schema, const boost::json::value& instance,
                         Direction direction, const std::string& where,
                         std::vector<std::string>& problems, int depth) const;
  void check_object(const boost::json::object& schema, const boost::json::object& object,
                    Direction direction, const std::string& where,
                    std::vector<std::string>& problems, int depth) const;

  boost::json::value document_;
};

}  // namespace pbx::netbox
