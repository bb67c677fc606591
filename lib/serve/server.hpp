// A loopback-only HTTP/1.x server for static content: one short-lived
// thread per connection, one request per connection (Connection: close),
// GET and HEAD only. Reading the head has a deadline and a size limit, so a
// stalled or hostile client holds one thread for a bounded time at most.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "serve/http_request.hpp"
#include "serve/http_response.hpp"

namespace slm::serve {

struct LoopbackHost {
    bool ipv6 = false;
    std::string address;  // numeric: 127.0.0.1 or ::1
};

// 127.0.0.1, ::1 or localhost (= 127.0.0.1). Anything else is refused:
// ErrorCode::usage, id serve.not_loopback.
Result<LoopbackHost> parse_loopback_host(std::string_view host);

// True when a Host field or absolute-form authority names this machine's
// loopback interface (127.0.0.1, localhost or [::1], any port). Refusing
// other names keeps web pages from reaching the server by DNS rebinding.
bool is_loopback_authority(std::string_view authority);

class Listener {
public:
    // Binds and listens; port 0 picks a free port. Errors: conflict
    // (serve.port_in_use), usage (serve.port_denied), internal (serve.socket).
    static Result<Listener> bind(const LoopbackHost& host, std::uint16_t port);

    Listener(Listener&& other) noexcept;
    Listener& operator=(Listener&& other) noexcept;
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    ~Listener();

    int fd() const { return fd_; }
    std::uint16_t port() const { return port_; }
    std::string url() const;  // http://127.0.0.1:PORT/ or http://[::1]:PORT/

private:
    Listener(int fd, std::uint16_t port, LoopbackHost host) : fd_(fd), port_(port), host_(std::move(host)) {}
    int fd_ = -1;
    std::uint16_t port_ = 0;
    LoopbackHost host_;
};

using Handler = std::function<Response(const Request&)>;

// One request and its answer, as the connection handler saw them.
struct Exchange {
    std::string method;  // "" when the head did not parse
    std::string target;
    Response response;
};

// The answer to one complete head: 400/505 when it does not parse, 403 for
// a foreign Host, 405 (Allow: GET, HEAD) for other methods, else the
// handler's response (500 if it throws).
Exchange respond(std::string_view head, const Handler& handler);

struct ServeOptions {
    int head_timeout_ms = 10000;    // the whole head must arrive within this
    int send_stall_ms = 10000;      // give up when the client reads nothing this long
    std::size_t max_head_bytes = 16 * 1024;
    std::size_t max_connections = 64;  // beyond this: 503 and close
    std::function<bool()> stop;        // polled about every 200 ms; true ends serve()
    std::function<void(const Exchange&)> log;  // after each answered request (any thread)
};

// Accepts until options.stop() returns true, then waits for the open
// connections (which also poll stop) and returns.
Status serve(const Listener& listener, const Handler& handler, const ServeOptions& options);

}  // namespace slm::serve
