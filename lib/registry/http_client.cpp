#include "registry/http_client.hpp"


#include <algorithm>
#include <cctype>
#include <cstring>

#include "core/json_canonical.hpp"
#include "registry/curl_library.hpp"

namespace slm::registry {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
    return s;
}

std::string base64(std::string_view in) {
    static constexpr char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                           static_cast<unsigned char>(in[i + 2]);
        for (int shift : {18, 12, 6, 0}) out += k_alphabet[(v >> shift) & 63];
    }
    if (const std::size_t rest = in.size() - i; rest > 0) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16;
        if (rest == 2) v |= static_cast<unsigned char>(in[i + 1]) << 8;
        out += k_alphabet[(v >> 18) & 63];
        out += k_alphabet[(v >> 12) & 63];
        out += rest == 2 ? k_alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

struct Transfer {
    const HttpRequest* request;
    HttpResponse* response;
    CURL* curl;
    std::size_t upload_pos = 0;
    std::optional<Error> sink_error;
    bool too_large = false;
};

constexpr std::size_t k_error_body_limit = 64 * 1024;

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const std::string_view line(data, size * count);
    if (line.rfind("HTTP/", 0) == 0) {
        t->response->headers.clear();  // a new response (after 100 Continue or a redirect)
        return line.size();
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return line.size();
    const std::string name = lower(trim(line.substr(0, colon)));
    const std::string value(trim(line.substr(colon + 1)));
    auto [it, inserted] = t->response->headers.emplace(name, value);
    if (!inserted) it->second += ", " + value;
    return line.size();
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const std::size_t n = size * count;
    long status = 0;
    curl_library(nullptr)->easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
    const bool success = status >= 200 && status < 300;
    if (success && t->request->sink) {
        auto st = t->request->sink(Bytes(reinterpret_cast<const std::uint8_t*>(data), n));
        if (!st) {
            t->sink_error = st.take_error();
            return 0;
        }
        return n;
    }
    std::string& body = t->response->body;
    const std::size_t limit = success ? t->request->max_body : k_error_body_limit;
    if (body.size() + n > limit) {
        if (success) {
            t->too_large = true;
            return 0;
        }
        body.append(data, limit - body.size());  // an error page: keep its start
        return n;
    }
    body.append(data, n);
    return n;
}

std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const Bytes body = t->request->body;
    const std::size_t n = std::min(size * count, body.size() - t->upload_pos);
    if (n > 0) std::memcpy(buffer, body.data() + t->upload_pos, n);
    t->upload_pos += n;
    return n;
}

int on_progress(void* user, curl_off_t dl_total, curl_off_t dl_now, curl_off_t ul_total, curl_off_t ul_now) {
    auto* t = static_cast<Transfer*>(user);
    const auto& fn = t->request->progress;
    if (ul_total > 0) fn(t->request->progress_stage, static_cast<std::uint64_t>(ul_now), static_cast<std::uint64_t>(ul_total));
    else if (dl_total > 0) fn(t->request->progress_stage, static_cast<std::uint64_t>(dl_now), static_cast<std::uint64_t>(dl_total));
    return 0;
}

std::string network_hint(CURLcode code) {
    switch (code) {
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
            return " (the server certificate is not trusted: pass its CA with --ca-file, or skip the check with --insecure)";
        case CURLE_SSL_CONNECT_ERROR:
            return " (if the registry speaks plain http, use --plain-http)";
        case CURLE_COULDNT_CONNECT: return " (is a registry listening there?)";
        case CURLE_UNSUPPORTED_PROTOCOL: return " (redirected to a scheme other than http/https?)";
        default: return "";
    }
}

}  // namespace

std::string HttpResponse::header(const std::string& lowercase_name) const {
    auto it = headers.find(lowercase_name);
    return it == headers.end() ? "" : it->second;
}

std::optional<AuthChallenge> parse_auth_challenge(std::string_view header) {
    header = trim(header);
    const auto space = header.find(' ');
    AuthChallenge c;
    c.scheme = lower(header.substr(0, space));
    if (c.scheme.empty()) return std::nullopt;
    if (space == std::string_view::npos) return c;
    std::string_view rest = header.substr(space + 1);
    while (true) {
        rest = trim(rest);
        const auto eq = rest.find('=');
        if (eq == std::string_view::npos) break;
        const std::string key = lower(trim(rest.substr(0, eq)));
        if (key.find(' ') != std::string::npos) break;  // the next challenge starts
        rest = trim(rest.substr(eq + 1));
        std::string value;
        if (!rest.empty() && rest.front() == '"') {
            std::size_t i = 1;
            for (; i < rest.size() && rest[i] != '"'; ++i) {
                if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
                value += rest[i];
            }
            rest.remove_prefix(std::min(rest.size(), i + 1));
        } else {
            const auto end = rest.find(',');
            value = std::string(trim(rest.substr(0, end)));
            rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
        }
        c.params[key] = value;
        rest = trim(rest);
        if (rest.empty() || rest.front() != ',') break;
        rest.remove_prefix(1);
    }
    return c;
}

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) {
    if (const CurlLibrary* c = curl_library(&load_error_)) curl_ = c->easy_init();
}

HttpClient::~HttpClient() {
    if (curl_ != nullptr) curl_library(nullptr)->easy_cleanup(static_cast<CURL*>(curl_));
}

Result<HttpResponse> HttpClient::perform(const HttpRequest& req) {
    CURL* curl = static_cast<CURL*>(curl_);
    if (curl == nullptr)
        return make_error(ErrorCode::internal, "registry.network",
                          req.method + " " + req.url + ": " + (load_error_.empty() ? "libcurl failed to initialise" : load_error_));
    const CurlLibrary& lib = *curl_library(nullptr);
    lib.easy_reset(curl);  // keeps the connection cache
    HttpResponse resp;
    resp.method = req.method;
    resp.url = req.url;
    Transfer t{&req, &resp, curl, 0, std::nullopt, false};
    char errbuf[CURL_ERROR_SIZE] = {};
    lib.easy_setopt(curl, CURLOPT_URL, req.url.c_str());
    lib.easy_setopt(curl, CURLOPT_USERAGENT, "slmctl/" SLM_VERSION);
    lib.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    lib.easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    lib.easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    lib.easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
    lib.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    lib.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, options_.connect_timeout_s);
    lib.easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    lib.easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, options_.stall_timeout_s);
    lib.easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    lib.easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    lib.easy_setopt(curl, CURLOPT_HEADERDATA, &t);
    lib.easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    lib.easy_setopt(curl, CURLOPT_WRITEDATA, &t);
    if (!options_.ca_file.empty()) lib.easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
    if (options_.insecure) {
        lib.easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
        lib.easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (req.progress) {
        lib.easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
        lib.easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
        lib.easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
    }
    if (req.method == "HEAD") {
        lib.easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (req.method == "PUT") {
        lib.easy_setopt(curl, CURLOPT_UPLOAD, 1L);
        lib.easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
        lib.easy_setopt(curl, CURLOPT_READDATA, &t);
        lib.easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    } else if (req.method == "POST") {
        lib.easy_setopt(curl, CURLOPT_POST, 1L);
        lib.easy_setopt(curl, CURLOPT_POSTFIELDS, req.body.empty() ? "" : reinterpret_cast<const char*>(req.body.data()));
        lib.easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
    } else {
        lib.easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    }
    curl_slist* headers = nullptr;
    for (const auto& h : req.headers) headers = lib.slist_append(headers, h.c_str());
    if (!authorization_.empty()) headers = lib.slist_append(headers, ("Authorization: " + authorization_).c_str());
    lib.easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

    const CURLcode rc = lib.easy_perform(curl);
    lib.easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);  // nothing dangles into the next request
    lib.easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
    lib.slist_free_all(headers);
    if (t.sink_error) return std::move(*t.sink_error);
    if (t.too_large)
        return make_error(ErrorCode::invalid_input, "registry.response_too_large",
                          req.method + " " + req.url + ": the response is larger than " +
                              std::to_string(req.max_body) + " bytes");
    if (rc != CURLE_OK)
        return make_error(ErrorCode::internal, "registry.network",
                          req.method + " " + req.url + ": " + (errbuf[0] != '\0' ? errbuf : lib.easy_strerror(rc)) +
                              network_hint(rc));
    lib.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp.status);
    return resp;
}

Status HttpClient::answer_challenge(const HttpResponse& challenged) {
    const auto challenge = parse_auth_challenge(challenged.header("www-authenticate"));
    if (!challenge) return {};  // nothing to answer: the caller reports the 401
    const std::string basic = has_credentials() ? "Basic " + base64(options_.username + ":" + options_.password) : "";
    if (challenge->scheme == "basic") {
        authorization_ = basic;  // empty without credentials: the 401 stands
        return {};
    }
    if (challenge->scheme != "bearer") return {};
    auto realm = challenge->params.find("realm");
    if (realm == challenge->params.end() || realm->second.empty())
        return make_error(ErrorCode::incompatible, "registry.auth",
                          challenged.method + " " + challenged.url + ": Bearer challenge without a realm");
    std::string url = realm->second;
    char sep = url.find('?') == std::string::npos ? '?' : '&';
    CURL* curl = static_cast<CURL*>(curl_);
    const CurlLibrary* lib = curl_library(&load_error_);
    if (curl == nullptr || lib == nullptr)
        return make_error(ErrorCode::internal, "registry.network", challenged.url + ": " + load_error_);
    for (const char* key : {"service", "scope"}) {
        auto p = challenge->params.find(key);
        if (p == challenge->params.end()) continue;
        char* escaped = lib->easy_escape(curl, p->second.c_str(), static_cast<int>(p->second.size()));
        url += sep + std::string(key) + "=" + (escaped != nullptr ? escaped : "");
        lib->free(escaped);
        sep = '&';
    }
    HttpRequest token_req;
    token_req.url = url;
    authorization_ = basic;  // the token endpoint takes the credentials, if any
    auto resp = perform(token_req);
    authorization_.clear();
    if (!resp) return resp.take_error();
    if (!resp->success())
        return make_error(ErrorCode::incompatible, "registry.auth",
                          "GET " + url + " (token for " + challenged.url + ") returned " + std::to_string(resp->status) +
                              (has_credentials() ? ": the credentials were refused"
                                                 : ": anonymous access refused (give --username and --password-stdin, "
                                                   "or set SLMCTL_REGISTRY_USERNAME and SLMCTL_REGISTRY_PASSWORD)"));
    auto doc = parse_json(resp->body, "token response from " + realm->second);
    if (!doc) return doc.take_error();
    std::string token;
    for (const char* key : {"token", "access_token"})
        if (doc->is_object() && doc->contains(key) && (*doc)[key].is_string()) {
            token = (*doc)[key].get<std::string>();
            break;
        }
    if (token.empty())
        return make_error(ErrorCode::incompatible, "registry.auth", "token response from " + realm->second + " has no token");
    authorization_ = "Bearer " + token;
    return {};
}

Result<HttpResponse> HttpClient::send(const HttpRequest& request) {
    auto resp = perform(request);
    if (!resp || resp->status != 401 || resp->header("www-authenticate").empty()) return resp;
    const std::string before = authorization_;
    SLM_TRY(answer_challenge(*resp));
    if (authorization_.empty() || authorization_ == before) return resp;  // nothing new to try
    return perform(request);
}

}  // namespace slm::registry
