// The head of an HTTP/1.x request (RFC 9112): request line and header fields.
// Only what a static file server needs: bodies are never read, and every
// size comes from what arrived, never from the client's word.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace slm::serve {

struct Header {
    std::string name;  // lower-cased
    std::string value;  // without surrounding whitespace
};

struct Request {
    std::string method;
    std::string target;     // origin-form ("/path?query"), still percent-encoded
    std::string authority;  // from an absolute-form target, else the Host field ("" if none)
    int minor_version = 1;  // HTTP/1.<minor>
    std::vector<Header> headers;

    // The first field with this (lower-case) name, or nullptr.
    const std::string* header(std::string_view lower_name) const;
};

// Offset just past the empty line ending the head ("\r\n\r\n"), or npos
// while it has not arrived yet.
std::size_t find_head_end(std::string_view data);

// Parses a complete head, up to and including the empty line. Lines end with
// CRLF; obsolete line folding, bare CR/LF and control characters are refused.
// Errors (ErrorCode::invalid_input): serve.bad_request (answered with 400),
// serve.bad_version (an HTTP major version other than 1: 505).
Result<Request> parse_request_head(std::string_view head);

// s with ASCII letters lowered (header names, the Host authority).
std::string lower_ascii(std::string_view s);

}  // namespace slm::serve
