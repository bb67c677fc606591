// YAML documents as nlohmann::json, remembering where each value came from so
// schema violations can name the line of the human-written file.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace slm::package {

struct YamlDocument {
    nlohmann::json value;
    std::map<std::string, int> lines;  // JSON pointer -> 1-based line
    std::string path;

    // "<path>:<line>" for a JSON pointer (or its closest parent with a line).
    std::string locate(const std::string& pointer) const;
};

// Plain scalars become numbers/bools/null when they look like one (YAML 1.2
// core schema); quoted scalars always stay strings.
Result<YamlDocument> parse_yaml(std::string_view text, std::string path);
Result<YamlDocument> load_yaml_file(const std::string& path);

}  // namespace slm::package
