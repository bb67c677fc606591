// HTTP request heads, responses and the answer to one head (slm::serve):
// what parses, what is refused with which status, and GET/HEAD only.
#include <doctest/doctest.h>

#include "serve/http_request.hpp"
#include "serve/http_response.hpp"
#include "serve/server.hpp"

#include <stdexcept>

using namespace slm::serve;

namespace {

std::string body_of(const Response& r) { return std::string(r.body.begin(), r.body.end()); }

Response ok_handler(const Request& r) {
    Response out;
    out.content_type = "text/plain; charset=utf-8";
    out.set_body("path " + r.target);
    return out;
}

}  // namespace

TEST_CASE("serve: request heads parse") {
    auto r = parse_request_head("GET /a/b?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent:  curl/8 \r\n\r\n");
    REQUIRE(r.ok());
    CHECK(r->method == "GET");
    CHECK(r->target == "/a/b?x=1");
    CHECK(r->minor_version == 1);
    CHECK(r->authority == "127.0.0.1:8080");
    REQUIRE(r->header("user-agent") != nullptr);
    CHECK(*r->header("user-agent") == "curl/8");
    CHECK(r->header("accept") == nullptr);

    auto old = parse_request_head("HEAD / HTTP/1.0\r\n\r\n");  // HTTP/1.0 needs no Host
    REQUIRE(old.ok());
    CHECK(old->minor_version == 0);
    CHECK(old->authority.empty());

    auto absolute = parse_request_head("GET http://localhost:1/x?q HTTP/1.1\r\nHost: other\r\n\r\n");
    REQUIRE(absolute.ok());
    CHECK(absolute->target == "/x?q");
    CHECK(absolute->authority == "localhost:1");  // the absolute-form wins over Host
}

TEST_CASE("serve: malformed heads are refused") {
    for (const char* bad : {
             "GET / HTTP/1.1\r\n\r\n",                               // HTTP/1.1 without Host
             "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",         // two Hosts
             "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",                   // double space
             "GET /\r\n\r\n",                                        // HTTP/0.9
             "GET / HTTP/1.1 x\r\nHost: a\r\n\r\n",                  // extra part
             "GET / HTTX/1.1\r\nHost: a\r\n\r\n",                    // not HTTP
             "G(T / HTTP/1.1\r\nHost: a\r\n\r\n",                    // method not a token
             "GET * HTTP/1.1\r\nHost: a\r\n\r\n",                    // asterisk-form
             "GET a.html HTTP/1.1\r\nHost: a\r\n\r\n",               // no leading '/'
             "GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n",                // control byte in target
             "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",         // obs-fold
             "GET / HTTP/1.1\r\nHost : a\r\n\r\n",                   // space before colon
             "GET / HTTP/1.1\r\nno colon\r\n\r\n",                   // not a field
             "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n",              // bare LF
             "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n",        // DEL in a value
             "GET / HTTP/1.1\r\nHost: a\r\n",                        // no empty line
             "\r\n\r\n",                                             // no request line
         }) {
        auto r = parse_request_head(bad);
        CHECK_MESSAGE(!r.ok(), bad);
        if (!r.ok()) {
            CHECK(r.error().id == "serve.bad_request");
            CHECK(status_for(r.error()) == 400);
        }
    }
    auto v2 = parse_request_head("GET / HTTP/2.0\r\nHost: a\r\n\r\n");
    REQUIRE_FALSE(v2.ok());
    CHECK(status_for(v2.error()) == 505);
    std::string many = "GET / HTTP/1.1\r\nHost: a\r\n";
    for (int i = 0; i < 200; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
    CHECK_FALSE(parse_request_head(many + "\r\n").ok());
}

TEST_CASE("serve: the head ends at the first empty line") {
    CHECK(find_head_end("GET / HTTP/1.1\r\nHost: a\r\n") == std::string::npos);
    const std::string head = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    CHECK(find_head_end(head + "body") == head.size());
}

TEST_CASE("serve: responses carry the fixed headers and a JSON error body") {
    Response r;
    r.content_type = "text/html; charset=utf-8";
    r.set_body("<p>hi</p>");
    r.headers.emplace_back("ETag", "\"x\"");
    const std::string head = serialize_head(r);
    CHECK(head.starts_with("HTTP/1.1 200 OK\r\n"));
    for (const char* field : {"Content-Type: text/html; charset=utf-8\r\n", "Content-Length: 9\r\n",
                              "Connection: close\r\n", "X-Content-Type-Options: nosniff\r\n",
                              "Cache-Control: no-store\r\n", "ETag: \"x\"\r\n"})
        CHECK_MESSAGE(head.find(field) != std::string::npos, field);
    CHECK(head.ends_with("\r\n\r\n"));

    const Response e = error_response(slm::make_error(slm::ErrorCode::not_found, "registry.not_found", "no \"x\""));
    CHECK(e.status == 404);
    CHECK(e.content_type == "application/json");
    CHECK(body_of(e) == "{\"error\":{\"id\":\"registry.not_found\",\"message\":\"no \\\"x\\\"\"}}\n");
    CHECK(status_for(slm::make_error(slm::ErrorCode::usage, "registry.bad_reference", "")) == 400);
    CHECK(status_for(slm::make_error(slm::ErrorCode::invalid_input, "registry.blob_corrupt", "")) == 500);
    CHECK(status_for(slm::make_error(slm::ErrorCode::incompatible, "registry.quarantined", "")) == 403);
}

TEST_CASE("serve: respond answers GET and HEAD, refuses the rest") {
    auto get = respond("GET /x HTTP/1.1\r\nHost: localhost:9\r\n\r\n", ok_handler);
    CHECK(get.response.status == 200);
    CHECK(body_of(get.response) == "path /x");
    auto head = respond("HEAD /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", ok_handler);
    CHECK(head.method == "HEAD");
    CHECK(head.response.status == 200);  // the body is left out when sending

    auto post = respond("POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n\r\n", ok_handler);
    CHECK(post.response.status == 405);
    REQUIRE(post.response.headers.size() == 1);
    CHECK(post.response.headers[0] == std::pair<std::string, std::string>("Allow", "GET, HEAD"));
    CHECK(serialize_head(post.response).find("Allow: GET, HEAD\r\n") != std::string::npos);

    CHECK(respond("GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n", ok_handler).response.status == 403);
    CHECK(respond("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", ok_handler).response.status == 200);
    CHECK(respond("GET / HTTP/1.0\r\n\r\n", ok_handler).response.status == 200);
    CHECK(respond("BROKEN\r\n\r\n", ok_handler).response.status == 400);
    auto thrown = respond("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
                          [](const Request&) -> Response { throw std::runtime_error("boom"); });
    CHECK(thrown.response.status == 500);
}

TEST_CASE("serve: only loopback hosts are accepted") {
    CHECK(parse_loopback_host("127.0.0.1")->address == "127.0.0.1");
    CHECK(parse_loopback_host("localhost")->address == "127.0.0.1");
    CHECK(parse_loopback_host("::1")->ipv6);
    for (const char* bad : {"0.0.0.0", "::", "192.168.1.1", "127.0.0.2", "example.com", ""}) {
        auto h = parse_loopback_host(bad);
        REQUIRE_FALSE(h.ok());
        CHECK(h.error().code == slm::ErrorCode::usage);
        CHECK(h.error().id == "serve.not_loopback");
    }
    for (const char* ok : {"127.0.0.1", "127.0.0.1:8080", "LOCALHOST:1", "localhost", "[::1]", "[::1]:443"})
        CHECK_MESSAGE(is_loopback_authority(ok), ok);
    for (const char* bad : {"evil.example", "127.0.0.1.evil.example", "localhost:x", "[::1", "[::2]:80",
                            "10.0.0.1:80", "localhost:", "localhost:1234567", "user@localhost"})
        CHECK_MESSAGE(!is_loopback_authority(bad), bad);
}
