#include "registry/reference.hpp"

#include <cctype>

namespace slm::registry {

bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

namespace {

bool hex_digit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// [0-9A-Za-z-]+ separated by '.', as semver's pre-release and build parts.
bool dot_identifiers(std::string_view s) {
    if (s.empty() || s.front() == '.' || s.back() == '.') return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '.') {
            if (s[i - 1] == '.') return false;
        } else if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') {
            return false;
        }
    }
    return true;
}

bool numeric_identifier(std::string_view s) {
    if (s.empty() || (s.size() > 1 && s[0] == '0')) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return s.size() <= 18;
}

Error bad_reference(std::string_view text, const std::string& why) {
    return make_error(ErrorCode::usage, "registry.bad_reference",
                      "bad reference '" + std::string(text) + "': " + why +
                          " (expected NAME:VERSION, NAME@ALIAS or NAME@sha256:HEX)");
}

}  // namespace

bool is_skill_name(std::string_view s) {
    if (s.empty() || s.size() > 128 || !(s[0] >= 'a' && s[0] <= 'z')) return false;
    bool segment_start = false;
    for (std::size_t i = 1; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '.') {
            if (segment_start) return false;
            segment_start = true;
        } else if (lower_alnum(c) || ((c == '_' || c == '-') && !segment_start)) {
            segment_start = false;
        } else {
            return false;
        }
    }
    return !segment_start;
}

bool is_version(std::string_view s) {
    if (s.size() > 128) return false;
    std::string_view core = s, pre, build;
    if (auto plus = core.find('+'); plus != std::string_view::npos) {
        build = core.substr(plus + 1);
        core = core.substr(0, plus);
        if (!dot_identifiers(build)) return false;
    }
    if (auto dash = core.find('-'); dash != std::string_view::npos) {
        pre = core.substr(dash + 1);
        core = core.substr(0, dash);
        if (!dot_identifiers(pre)) return false;
    }
    int parts = 0;
    while (true) {
        auto dot = core.find('.');
        if (!numeric_identifier(core.substr(0, dot))) return false;
        ++parts;
        if (dot == std::string_view::npos) break;
        core = core.substr(dot + 1);
    }
    return parts == 3;
}

bool is_alias_name(std::string_view s) {
    if (s.empty() || s.size() > 64) return false;
    for (char c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
    return true;
}

bool is_digest(std::string_view s) {
    if (s.size() != 71 || s.substr(0, 7) != "sha256:") return false;
    for (char c : s.substr(7))
        if (!hex_digit(c)) return false;
    return true;
}

Status check_alias_name(std::string_view alias) {
    if (!is_alias_name(alias))
        return make_error(ErrorCode::usage, "registry.bad_alias",
                          "bad alias '" + std::string(alias) + "': expected 1-64 characters from [A-Za-z0-9_-]");
    if (alias == "latest")
        return make_error(ErrorCode::usage, "registry.reserved_alias",
                          "alias 'latest' is reserved: it always means the newest version");
    return {};
}

std::string Reference::to_string() const {
    switch (kind) {
        case Kind::name: return name;
        case Kind::version: return name + ":" + value;
        case Kind::alias:
        case Kind::digest: return name + "@" + value;
    }
    return name;
}

Result<Reference> parse_reference(std::string_view text) {
    Reference ref;
    const auto at = text.find('@');
    const auto colon = text.find(':');
    std::string_view name = text;
    if (at != std::string_view::npos && (colon == std::string_view::npos || at < colon)) {
        name = text.substr(0, at);
        std::string_view rest = text.substr(at + 1);
        if (rest.substr(0, 7) == "sha256:") {
            std::string_view hex = rest.substr(7);
            if (hex.size() < 8 || hex.size() > 64)
                return bad_reference(text, "a digest needs 8 to 64 hex digits");
            for (char c : hex)
                if (!hex_digit(c)) return bad_reference(text, "a digest is lowercase hex");
            ref.kind = Reference::Kind::digest;
        } else {
            if (!is_alias_name(rest)) return bad_reference(text, "an alias is [A-Za-z0-9_-]{1,64}");
            ref.kind = Reference::Kind::alias;
        }
        ref.value = std::string(rest);
    } else if (colon != std::string_view::npos) {
        name = text.substr(0, colon);
        std::string_view version = text.substr(colon + 1);
        if (!is_version(version)) return bad_reference(text, "'" + std::string(version) + "' is not a semantic version");
        ref.kind = Reference::Kind::version;
        ref.value = std::string(version);
    }
    if (!is_skill_name(name))
        return bad_reference(text, "'" + std::string(name) +
                                       "' is not a skill name ([a-z][a-z0-9_-]* segments joined by '.')");
    ref.name = std::string(name);
    return ref;
}

bool looks_like_reference(std::string_view text) {
    auto ref = parse_reference(text);
    return ref.ok() && ref->kind != Reference::Kind::name;
}

}  // namespace slm::registry
