// A small HTTP client over libcurl for talking to OCI registries: one
// connection reused across requests, TLS (system CAs, --ca-file, --insecure),
// and the registry auth dance: a 401 with `WWW-Authenticate: Basic ...` is
// answered with the credentials, one with `Bearer realm=...,service=...,
// scope=...` by fetching a token from the realm (with the credentials when
// there are any) and retrying. Never prints.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/progress.hpp"
#include "core/result.hpp"

namespace slm::registry {

struct HttpOptions {
    bool plain_http = false;  // http:// instead of https://
    bool insecure = false;    // do not verify the server certificate
    std::string ca_file;      // extra CA bundle (PEM) to trust
    std::string username, password;
    long connect_timeout_s = 30;
    long stall_timeout_s = 60;  // give up when a transfer moves no byte for this long
};

struct HttpResponse {
    std::string method, url;
    long status = 0;
    std::map<std::string, std::string> headers;  // lowercase names; repeated headers joined by ", "
    std::string body;  // the body, unless a 2xx body went to the request's sink

    std::string header(const std::string& lowercase_name) const;
    bool success() const { return status >= 200 && status < 300; }
};

// Receives a 2xx response body piece by piece; an error aborts the transfer
// and is what send() returns.
using BodySink = std::function<Status(Bytes)>;

struct HttpRequest {
    std::string method = "GET";  // GET, HEAD, PUT, POST
    std::string url;
    std::vector<std::string> headers;  // "Name: value"
    Bytes body;                        // PUT/POST payload
    BodySink sink;                     // where a 2xx body goes (else HttpResponse::body)
    std::uint64_t max_body = 4u << 20;  // bodies kept in memory beyond this are an error
    ProgressFn progress;                // upload/download progress, bytes
    std::string progress_stage;
};

struct AuthChallenge {
    std::string scheme;                         // lowercase: "basic", "bearer"
    std::map<std::string, std::string> params;  // lowercase keys: realm, service, scope, ...
};

// Parses the first challenge of a WWW-Authenticate header (RFC 7235).
std::optional<AuthChallenge> parse_auth_challenge(std::string_view header);

class HttpClient {
public:
    explicit HttpClient(HttpOptions options);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // "https" or "http".
    std::string scheme() const { return options_.plain_http ? "http" : "https"; }
    bool has_credentials() const { return !options_.username.empty(); }

    // Any HTTP status is a response (the caller judges it); a 401 with a
    // challenge is answered once and the request repeated. Errors: transport
    // failures (ErrorCode::internal, id registry.network: DNS, refused, TLS,
    // timeouts), a token endpoint that fails (registry.auth, incompatible),
    // a body over max_body (registry.response_too_large, invalid_input), or
    // whatever the sink returned.
    Result<HttpResponse> send(const HttpRequest& request);

private:
    Result<HttpResponse> perform(const HttpRequest& request);
    Status answer_challenge(const HttpResponse& challenged);

    HttpOptions options_;
    void* curl_ = nullptr;       // CURL*
    std::string load_error_;     // why libcurl could not be loaded
    std::string authorization_;  // Authorization header value once a challenge was answered
};

}  // namespace slm::registry
