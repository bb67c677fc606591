// The socket loop (slm::serve::serve) over real loopback connections: a
// request answered, HEAD without a body, a stalled client timed out, an
// oversized head refused, and stop() ending the loop.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "serve/server.hpp"

using namespace slm::serve;

namespace {

int connect_to(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    return fd;
}

// Sends `request` (may be partial), then reads until the server closes.
std::string exchange(std::uint16_t port, const std::string& request) {
    const int fd = connect_to(port);
    if (!request.empty()) REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()));
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    return out;
}

struct Running {
    Listener listener;
    std::atomic<bool> stop{false};
    std::thread thread;

    explicit Running(ServeOptions options) : listener(std::move(*Listener::bind(*parse_loopback_host("127.0.0.1"), 0))) {
        options.stop = [this] { return stop.load(); };
        thread = std::thread([this, options] {
            auto done = serve(listener, [](const Request& r) {
                Response out;
                out.content_type = "text/plain; charset=utf-8";
                out.set_body("hello " + r.target);
                return out;
            }, options);
            CHECK(done.ok());
        });
    }
    ~Running() {
        stop = true;
        thread.join();
    }
};

}  // namespace

TEST_CASE("serve: requests over a loopback socket") {
    ServeOptions options;
    options.head_timeout_ms = 300;
    options.max_head_bytes = 1024;
    Running server(options);
    REQUIRE(server.listener.port() != 0);
    CHECK(server.listener.url() == "http://127.0.0.1:" + std::to_string(server.listener.port()) + "/");

    const std::string get = exchange(server.listener.port(), "GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    CHECK(get.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(get.find("Content-Length: 8\r\n") != std::string::npos);
    CHECK(get.ends_with("\r\n\r\nhello /x"));

    const std::string head = exchange(server.listener.port(), "HEAD /x HTTP/1.0\r\n\r\n");
    CHECK(head.find("Content-Length: 8\r\n") != std::string::npos);
    CHECK(head.ends_with("\r\n\r\n"));  // no body

    const std::string post = exchange(server.listener.port(), "POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello");
    CHECK(post.starts_with("HTTP/1.1 405 "));

    const std::string stalled = exchange(server.listener.port(), "GET /x HTTP/1.1\r\nHost: local");
    CHECK(stalled.starts_with("HTTP/1.1 408 "));

    const std::string big = exchange(server.listener.port(), "GET /x HTTP/1.1\r\nX: " + std::string(4096, 'a') + "\r\n\r\n");
    CHECK(big.starts_with("HTTP/1.1 431 "));

    ::close(connect_to(server.listener.port()));  // a client that leaves at once
    CHECK(exchange(server.listener.port(), "GET / HTTP/1.0\r\n\r\n").starts_with("HTTP/1.1 200 OK\r\n"));
}

TEST_CASE("serve: a port in use is a conflict") {
    auto first = Listener::bind(*parse_loopback_host("127.0.0.1"), 0);
    REQUIRE(first.ok());
    auto second = Listener::bind(*parse_loopback_host("127.0.0.1"), first->port());
    REQUIRE_FALSE(second.ok());
    CHECK(second.error().code == slm::ErrorCode::conflict);
    CHECK(second.error().id == "serve.port_in_use");
}
