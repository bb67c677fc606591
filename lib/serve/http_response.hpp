// Responses: status, a few headers, the whole body in memory. Every response
// carries Content-Length, Connection: close, nosniff and no-store; errors
// have a JSON body {"error":{"id":...,"message":...}}.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace slm::serve {

struct Response {
    int status = 200;
    std::string content_type = "application/octet-stream";
    std::vector<std::pair<std::string, std::string>> headers;  // beyond the standard ones
    std::vector<std::uint8_t> body;

    void set_body(std::string_view text) { body.assign(text.begin(), text.end()); }
};

// "Not Found" for 404; "" for codes this server never sends.
std::string_view reason_phrase(int status);

// The HTTP status for an error: serve.* ids by their meaning, others (the
// registry's) by ErrorCode: usage 400, not_found 404, incompatible 403,
// conflict 409, anything else 500 (corrupt content on the server's side).
int status_for(const Error& error);

// A JSON error response with status_for(error).
Response error_response(const Error& error);
Response error_response(int status, const Error& error);

// Status line and header fields, up to and including the empty line.
std::string serialize_head(const Response& response);

}  // namespace slm::serve
