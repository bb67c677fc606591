#include "registry/remote_ref.hpp"

#include <cctype>

#include "registry/reference.hpp"

namespace slm::registry {
namespace {

bool alnum(char c) { return lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

Error bad_remote(std::string_view text, const std::string& why) {
    return make_error(ErrorCode::usage, "registry.bad_remote",
                      "bad remote '" + std::string(text) + "': " + why +
                          " (expected oci://HOST[:PORT]/REPOSITORY[:TAG] or oci://HOST[:PORT]/REPOSITORY@sha256:HEX)");
}

// One path component: [a-z0-9]+ joined by '.', '_', '__' or '-'+.
bool is_path_component(std::string_view s) {
    if (s.empty() || !lower_alnum(s.front()) || !lower_alnum(s.back())) return false;
    for (std::size_t i = 0; i < s.size();) {
        if (lower_alnum(s[i])) {
            ++i;
            continue;
        }
        std::size_t j = i;
        while (j < s.size() && !lower_alnum(s[j])) ++j;
        const std::string_view sep = s.substr(i, j - i);
        const bool dashes = sep.find_first_not_of('-') == std::string_view::npos;
        if (!(sep == "." || sep == "_" || sep == "__" || dashes)) return false;
        i = j;
    }
    return true;
}

bool is_port(std::string_view s) {
    if (s.empty() || s.size() > 5) return false;
    unsigned v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    return v >= 1 && v <= 65535;
}

bool is_host(std::string_view s) {
    std::string_view name = s, port;
    if (!s.empty() && s.front() == '[') {
        const auto close = s.find(']');
        if (close == std::string_view::npos || close == 1) return false;
        for (char c : s.substr(1, close - 1))
            if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) return false;
        std::string_view rest = s.substr(close + 1);
        if (rest.empty()) return true;
        return rest.front() == ':' && is_port(rest.substr(1));
    }
    if (auto colon = s.rfind(':'); colon != std::string_view::npos) {
        name = s.substr(0, colon);
        port = s.substr(colon + 1);
        if (!is_port(port)) return false;
    }
    if (name.empty() || name.size() > 253 || name.front() == '.' || name.back() == '.' || name.front() == '-')
        return false;
    for (char c : name)
        if (!(alnum(c) || c == '.' || c == '-')) return false;
    return name.find("..") == std::string_view::npos;
}

}  // namespace

bool is_repository_name(std::string_view s) {
    if (s.empty() || s.size() > 255) return false;
    std::size_t start = 0;
    while (true) {
        const auto slash = s.find('/', start);
        if (!is_path_component(s.substr(start, slash == std::string_view::npos ? slash : slash - start))) return false;
        if (slash == std::string_view::npos) return true;
        start = slash + 1;
    }
}

bool is_tag(std::string_view s) {
    if (s.empty() || s.size() > 128 || !(alnum(s[0]) || s[0] == '_')) return false;
    for (char c : s)
        if (!(alnum(c) || c == '_' || c == '.' || c == '-')) return false;
    return true;
}

std::string RemoteRef::to_string() const {
    std::string out = "oci://" + host + "/" + repository;
    if (!digest.empty()) return out + "@" + digest;
    if (!tag.empty()) return out + ":" + tag;
    return out;
}

Result<RemoteRef> parse_remote_ref(std::string_view text) {
    constexpr std::string_view scheme = "oci://";
    if (text.substr(0, scheme.size()) != scheme) {
        if (text.find("://") != std::string_view::npos)
            return bad_remote(text, "the scheme is oci:// (TLS is the default; use --plain-http for http)");
        return bad_remote(text, "it does not start with oci://");
    }
    std::string_view rest = text.substr(scheme.size());
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos || slash + 1 == rest.size())
        return bad_remote(text, "no repository after the host");
    RemoteRef ref;
    const std::string_view host = rest.substr(0, slash);
    if (host.find('@') != std::string_view::npos)
        return bad_remote(text, "credentials do not belong in the URL (use --username and --password-stdin)");
    if (!is_host(host)) return bad_remote(text, "'" + std::string(host) + "' is not a host[:port]");
    ref.host = std::string(host);
    std::string_view path = rest.substr(slash + 1);
    if (auto at = path.find('@'); at != std::string_view::npos) {
        const std::string_view digest = path.substr(at + 1);
        if (!is_digest(digest)) return bad_remote(text, "'" + std::string(digest) + "' is not sha256:<64 lowercase hex>");
        ref.digest = std::string(digest);
        path = path.substr(0, at);
    }
    const auto last_slash = path.rfind('/');
    if (auto colon = path.rfind(':'); colon != std::string_view::npos &&
                                      (last_slash == std::string_view::npos || colon > last_slash)) {
        const std::string_view tag = path.substr(colon + 1);
        if (!ref.digest.empty()) return bad_remote(text, "give a tag or a digest, not both");
        if (!is_tag(tag)) return bad_remote(text, "'" + std::string(tag) + "' is not a tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127})");
        ref.tag = std::string(tag);
        path = path.substr(0, colon);
    }
    if (!is_repository_name(path))
        return bad_remote(text, "'" + std::string(path) +
                                    "' is not a repository name (lowercase [a-z0-9] components joined by '.', '_', '__' "
                                    "or '-', separated by '/')");
    ref.repository = std::string(path);
    return ref;
}

std::string tag_for_version(std::string_view version) {
    std::string tag(version);
    for (char& c : tag)
        if (c == '+') c = '_';
    return tag;
}

std::string referrers_tag(std::string_view subject_digest) {
    std::string tag(subject_digest);
    if (auto colon = tag.find(':'); colon != std::string::npos) tag[colon] = '-';
    return tag;
}

}  // namespace slm::registry
