#include <functional>

#include "core/json_schema.hpp"
#include "package/schemas.hpp"

namespace slm::package {

Status validate_against_schema(const nlohmann::json& doc, std::string_view schema_name,
                               const std::function<std::string(const std::string&)>& locate, ErrorCode code) {
    const std::string_view text = embedded_schema(schema_name);
    if (text.empty())
        return make_error(ErrorCode::internal, "schema.missing", "no embedded schema " + std::string(schema_name));
    auto schema_json = nlohmann::json::parse(text, nullptr, false);
    auto schema = JsonSchema::compile(schema_json, std::string(schema_name));
    if (!schema) return schema.take_error();
    const auto violations = schema->validate(doc);
    if (violations.empty()) return {};
    std::string message = "does not match " + std::string(schema_name) + ":";
    for (const auto& v : violations)
        message += "\n  " + locate(v.pointer) + ": " + (v.pointer.empty() ? "/" : v.pointer) + ": " + v.message;
    return make_error(code, "schema.violation", message);
}

}  // namespace slm::package
