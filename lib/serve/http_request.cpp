#include "serve/http_request.hpp"

#include <cctype>

#include "serve/url_path.hpp"

namespace slm::serve {
namespace {

constexpr std::size_t k_max_fields = 100;

Error bad_request(const std::string& what) {
    return make_error(ErrorCode::invalid_input, "serve.bad_request", "malformed request: " + what);
}

bool is_tchar(char c) {
    const auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) != 0 || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!is_tchar(c)) return false;
    return true;
}

// field-value: visible ASCII, obs-text, SP and HTAB.
bool is_field_value(std::string_view s) {
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 && c != '\t') return false;
        if (u == 0x7f) return false;
    }
    return true;
}

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

Status parse_version(std::string_view v, Request& out) {
    if (v.size() != 8 || v.substr(0, 5) != "HTTP/" || std::isdigit(static_cast<unsigned char>(v[5])) == 0 ||
        v[6] != '.' || std::isdigit(static_cast<unsigned char>(v[7])) == 0)
        return bad_request("expected HTTP/1.0 or HTTP/1.1 at the end of the request line, found " + shown(v));
    if (v[5] != '1')
        return make_error(ErrorCode::invalid_input, "serve.bad_version",
                          "HTTP version " + std::string(v.substr(5)) + " is not supported: expected 1.0 or 1.1");
    out.minor_version = v[7] - '0';
    return {};
}

// origin-form as is; absolute-form ("http://host/path") becomes origin-form
// plus authority. Anything else ("*", authority-form) is refused.
Status parse_target(std::string_view t, Request& out) {
    for (char c : t) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f) return bad_request("request target " + shown(t) + " has a byte outside visible ASCII");
    }
    if (!t.empty() && t.front() == '/') {
        out.target = std::string(t);
        return {};
    }
    if (lower_ascii(t.substr(0, 7)) == "http://") {
        std::string_view rest = t.substr(7);
        const std::size_t slash = rest.find_first_of("/?");
        out.authority = std::string(rest.substr(0, slash));
        if (out.authority.empty()) return bad_request("request target " + shown(t) + " has no host");
        out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
        if (out.target.front() == '?') out.target.insert(0, "/");
        return {};
    }
    return bad_request("expected a request target starting with '/', found " + shown(t));
}

}  // namespace

const std::string* Request::header(std::string_view lower_name) const {
    for (const auto& h : headers)
        if (h.name == lower_name) return &h.value;
    return nullptr;
}

std::size_t find_head_end(std::string_view data) {
    const std::size_t at = data.find("\r\n\r\n");
    return at == std::string_view::npos ? at : at + 4;
}

Result<Request> parse_request_head(std::string_view head) {
    if (head.size() < 4 || head.substr(head.size() - 4) != "\r\n\r\n")
        return bad_request("the head does not end with an empty line (CRLF CRLF)");
    head.remove_suffix(2);  // every line now ends with exactly one CRLF
    std::vector<std::string_view> lines;
    while (!head.empty()) {
        const std::size_t eol = head.find("\r\n");
        std::string_view line = head.substr(0, eol);
        if (line.find_first_of("\r\n") != std::string_view::npos) return bad_request("a bare CR or LF inside a line");
        lines.push_back(line);
        head.remove_prefix(eol + 2);
    }
    if (lines.empty() || lines.front().empty()) return bad_request("expected a request line, found an empty line");

    Request out;
    const std::string_view line = lines.front();
    const std::size_t sp1 = line.find(' ');
    const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
        return bad_request("expected 'METHOD TARGET HTTP/1.x' separated by single spaces, found " + shown(line));
    const std::string_view method = line.substr(0, sp1);
    if (!is_token(method)) return bad_request("method " + shown(method) + " is not a token");
    out.method = std::string(method);
    SLM_TRY(parse_version(line.substr(sp2 + 1), out));
    SLM_TRY(parse_target(line.substr(sp1 + 1, sp2 - sp1 - 1), out));

    if (lines.size() - 1 > k_max_fields)
        return bad_request("more than " + std::to_string(k_max_fields) + " header fields");
    int hosts = 0;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const std::string_view l = lines[i];
        if (l.empty()) return bad_request("an empty line inside the head");
        if (l.front() == ' ' || l.front() == '\t') return bad_request("obsolete line folding in header fields");
        const std::size_t colon = l.find(':');
        if (colon == std::string_view::npos || !is_token(l.substr(0, colon)))
            return bad_request("expected 'name: value' in header line, found " + shown(l));
        const std::string_view value = trim_ows(l.substr(colon + 1));
        if (!is_field_value(value)) return bad_request("a control character in header field " + shown(l.substr(0, colon)));
        out.headers.push_back({lower_ascii(l.substr(0, colon)), std::string(value)});
        if (out.headers.back().name == "host") ++hosts;
    }
    // RFC 9112 section 3.2: exactly one Host in HTTP/1.1, never more than one.
    if (hosts > 1) return bad_request("more than one Host header field");
    if (hosts == 0 && out.minor_version >= 1) return bad_request("an HTTP/1.1 request without a Host header field");
    if (out.authority.empty() && hosts == 1) out.authority = *out.header("host");
    return out;
}

std::string lower_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace slm::serve
