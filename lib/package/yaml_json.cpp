#include "package/yaml_json.hpp"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <regex>

#include "core/io.hpp"

namespace slm::package {
namespace {

nlohmann::json plain_scalar(const std::string& s) {
    if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
    static const std::regex k_int(R"([-+]?[0-9]+)");
    static const std::regex k_float(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
    if (std::regex_match(s, k_int)) {
        long long v = 0;
        auto [p, ec] = std::from_chars(s.data() + (s[0] == '+'), s.data() + s.size(), v);
        if (ec == std::errc() && p == s.data() + s.size()) return v;
    }
    if (std::regex_match(s, k_float)) return std::stod(s);
    return s;
}

std::string escape_pointer_token(const std::string& key) {
    std::string out;
    for (char c : key) {
        if (c == '~') out += "~0";
        else if (c == '/') out += "~1";
        else out += c;
    }
    return out;
}

Result<nlohmann::json> convert(const YAML::Node& node, const std::string& pointer, YamlDocument& doc) {
    doc.lines[pointer] = node.Mark().line + 1;
    switch (node.Type()) {
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined:
            return nlohmann::json(nullptr);
        case YAML::NodeType::Scalar:
            if (node.Tag() == "!") return nlohmann::json(node.Scalar());  // quoted
            return plain_scalar(node.Scalar());
        case YAML::NodeType::Sequence: {
            nlohmann::json arr = nlohmann::json::array();
            std::size_t i = 0;
            for (const auto& item : node) {
                auto v = convert(item, pointer + "/" + std::to_string(i++), doc);
                if (!v) return v;
                arr.push_back(std::move(*v));
            }
            return arr;
        }
        case YAML::NodeType::Map: {
            nlohmann::json obj = nlohmann::json::object();
            for (const auto& kv : node) {
                if (!kv.first.IsScalar())
                    return make_error(ErrorCode::invalid_input, "yaml.bad_key",
                                      doc.path + ":" + std::to_string(kv.first.Mark().line + 1) +
                                          ": mapping keys must be plain strings");
                const std::string key = kv.first.Scalar();
                if (obj.contains(key))
                    return make_error(ErrorCode::invalid_input, "yaml.duplicate_key",
                                      doc.path + ":" + std::to_string(kv.first.Mark().line + 1) +
                                          ": duplicate key '" + key + "'");
                auto v = convert(kv.second, pointer + "/" + escape_pointer_token(key), doc);
                if (!v) return v;
                obj[key] = std::move(*v);
            }
            return obj;
        }
    }
    return nlohmann::json(nullptr);
}

}  // namespace

std::string YamlDocument::locate(const std::string& pointer) const {
    std::string p = pointer;
    while (true) {
        auto it = lines.find(p);
        if (it != lines.end()) return path + ":" + std::to_string(it->second);
        auto slash = p.find_last_of('/');
        if (slash == std::string::npos || p.empty()) return path;
        p = p.substr(0, slash);
    }
}

Result<YamlDocument> parse_yaml(std::string_view text, std::string path) {
    YamlDocument doc;
    doc.path = std::move(path);
    YAML::Node root;
    try {
        root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
        return make_error(ErrorCode::invalid_input, "yaml.syntax",
                          doc.path + ":" + std::to_string(e.mark.line + 1) + ":" +
                              std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
    auto value = convert(root, "", doc);
    if (!value) return value.take_error();
    doc.value = std::move(*value);
    return doc;
}

Result<YamlDocument> load_yaml_file(const std::string& path) {
    auto text = read_text_file(path);
    if (!text) return text.take_error();
    return parse_yaml(*text, path);
}

}  // namespace slm::package
