#include "serve/url_path.hpp"

#include <system_error>
#include <vector>

namespace slm::serve {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// True when `inner` is `outer` or below it (whole components, both canonical).
bool is_within(const std::filesystem::path& outer, const std::filesystem::path& inner) {
    auto o = outer.begin(), i = inner.begin();
    for (; o != outer.end(); ++o, ++i) {
        if (o->empty() && std::next(o) == outer.end()) break;  // trailing separator
        if (i == inner.end() || *o != *i) return false;
    }
    return true;
}

}  // namespace

std::string shown(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 64)) {
        const auto u = static_cast<unsigned char>(c);
        out += (u >= 0x20 && u < 0x7f) ? c : '?';
    }
    return "'" + out + (s.size() > 64 ? "...'" : "'");
}

std::string_view target_path(std::string_view target) { return target.substr(0, target.find_first_of("?#")); }

Result<std::string> percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        const bool room = i + 2 < text.size();
        const int hi = room ? hex_value(text[i + 1]) : -1;
        const int lo = room ? hex_value(text[i + 2]) : -1;
        if (hi < 0 || lo < 0)
            return make_error(ErrorCode::invalid_input, "serve.bad_escape",
                              "bad percent-escape at offset " + std::to_string(i) + " of " + shown(text) +
                                  ": expected '%' and two hex digits, found " + shown(text.substr(i, 3)));
        if (hi == 0 && lo == 0)
            return make_error(ErrorCode::invalid_input, "serve.encoded_nul",
                              "encoded NUL (%00) at offset " + std::to_string(i) + " of " + shown(text));
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return out;
}

Result<std::string> safe_relative_path(std::string_view decoded) {
    if (decoded.empty() || decoded.front() != '/')
        return make_error(ErrorCode::invalid_input, "serve.bad_path", "expected a path starting with '/', found " + shown(decoded));
    for (char c : decoded) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f)
            return make_error(ErrorCode::invalid_input, "serve.bad_path", "a control character in path " + shown(decoded));
        if (c == '\\')
            return make_error(ErrorCode::invalid_input, "serve.traversal", "a backslash in path " + shown(decoded));
    }
    std::string out;
    std::string_view rest = decoded.substr(1);
    while (true) {
        const std::size_t slash = rest.find('/');
        const std::string_view seg = rest.substr(0, slash);
        if (seg == "..")
            return make_error(ErrorCode::invalid_input, "serve.traversal", "a '..' segment in path " + shown(decoded));
        if (!seg.empty() && seg != ".") out += std::string(seg) + "/";
        if (slash == std::string_view::npos) break;
        rest.remove_prefix(slash + 1);
    }
    // Keep the trailing '/' only when the request had one.
    const bool trailing = decoded.back() == '/' || decoded.ends_with("/.");
    if (!out.empty() && !trailing) out.pop_back();
    return out;
}

Result<std::filesystem::path> resolve_under(const std::filesystem::path& root, const std::string& relative) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path real_root = fs::canonical(root, ec);
    if (ec) return make_error(ErrorCode::not_found, "serve.not_found", root.string() + ": " + ec.message());
    // weakly_canonical follows every symlink that exists, so a link inside
    // the root that points elsewhere resolves to where it points.
    const fs::path target = fs::weakly_canonical(real_root / relative, ec);
    if (ec) return make_error(ErrorCode::not_found, "serve.not_found", "/" + relative + ": " + ec.message());
    if (!is_within(real_root, target))
        return make_error(ErrorCode::invalid_input, "serve.outside_root",
                          "/" + relative + " resolves outside the served folder " + real_root.string());
    if (!fs::exists(target, ec)) return make_error(ErrorCode::not_found, "serve.not_found", "/" + relative + ": no such file");
    return target;
}

}  // namespace slm::serve
