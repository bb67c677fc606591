// The JSON Schemas from schemas/, compiled into the library.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include <functional>

#include "package/yaml_json.hpp"

namespace slm::package {

// Text of schemas/<name> (e.g. "skill-spec.schema.json"); empty if unknown.
std::string_view embedded_schema(std::string_view name);

// Validates `doc` against an embedded schema. On failure the error lists
// every violation as "<where>: <json pointer>: <message>" (one per line);
// `locate` maps a JSON pointer to a file position, e.g. a YAML line.
Status validate_against_schema(const nlohmann::json& doc, std::string_view schema_name,
                               const std::function<std::string(const std::string&)>& locate,
                               ErrorCode code = ErrorCode::invalid_input);

}  // namespace slm::package
