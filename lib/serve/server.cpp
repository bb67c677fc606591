#include "serve/server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

namespace slm::serve {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int k_poll_ms = 200;  // how often blocked loops look at stop()

int ms_until(Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(left < k_poll_ms ? left : k_poll_ms);
}

bool stop_requested(const ServeOptions& o) { return o.stop && o.stop(); }

// Waits for `events` on fd in k_poll_ms steps: true when ready, false on
// timeout, stop or error.
bool wait_for(int fd, short events, Clock::time_point deadline, const ServeOptions& o) {
    while (!stop_requested(o)) {
        const int wait_ms = ms_until(deadline);
        if (wait_ms == 0) return false;
        pollfd p{fd, events, 0};
        const int n = ::poll(&p, 1, wait_ms);
        if (n < 0 && errno != EINTR) return false;
        if (n > 0) return true;  // ready, or an error/hang-up the next call reports
    }
    return false;
}

bool send_all(int fd, std::string_view data, const ServeOptions& o) {
    while (!data.empty()) {
        // The stall deadline restarts whenever the client takes some bytes.
        const auto deadline = Clock::now() + std::chrono::milliseconds(o.send_stall_ms);
        if (!wait_for(fd, POLLOUT, deadline, o)) return false;
        const ssize_t n = ::send(fd, data.data(), data.size() < 65536 ? data.size() : 65536, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
        if (n <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

// Half-close, then read what the client still sends for a moment: closing
// with unread bytes makes the kernel send RST, which can destroy the answer
// before the client has read it (a POST body after a 405, for example).
void close_gracefully(int fd) {
    ::shutdown(fd, SHUT_WR);
    const auto deadline = Clock::now() + std::chrono::milliseconds(500);
    char sink[4096];
    for (std::size_t drained = 0; drained < 256 * 1024;) {
        const int wait_ms = ms_until(deadline);
        pollfd p{fd, POLLIN, 0};
        if (wait_ms == 0 || ::poll(&p, 1, wait_ms) <= 0) break;
        const ssize_t n = ::recv(fd, sink, sizeof sink, MSG_DONTWAIT);
        if (n <= 0) break;
        drained += static_cast<std::size_t>(n);
    }
    ::close(fd);
}

void send_response(int fd, const Exchange& ex, const ServeOptions& o) {
    if (!send_all(fd, serialize_head(ex.response), o)) return;
    if (ex.method == "HEAD") return;
    const auto& b = ex.response.body;
    send_all(fd, std::string_view(reinterpret_cast<const char*>(b.data()), b.size()), o);
}

Exchange protocol_error(std::string id, std::string message) {
    return {"", "", error_response(make_error(ErrorCode::invalid_input, std::move(id), std::move(message)))};
}

void handle_connection(int fd, const Handler& handler, const ServeOptions& o) {
    std::string buf;
    const auto deadline = Clock::now() + std::chrono::milliseconds(o.head_timeout_ms);
    Exchange ex;
    while (true) {
        const std::size_t end = find_head_end(buf);
        if (end != std::string::npos && end <= o.max_head_bytes) {
            ex = respond(std::string_view(buf).substr(0, end), handler);
            break;
        }
        if (buf.size() > o.max_head_bytes) {
            ex = protocol_error("serve.head_too_large",
                                "the request head exceeds " + std::to_string(o.max_head_bytes) + " bytes");
            break;
        }
        if (!wait_for(fd, POLLIN, deadline, o)) {
            if (stop_requested(o)) {
                ::close(fd);
                return;
            }
            ex = protocol_error("serve.timeout", "the request head did not arrive within " +
                                                     std::to_string(o.head_timeout_ms) + " ms");
            break;
        }
        char chunk[4096];
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
        if (n <= 0) {  // the client left (or reset) before asking anything
            ::close(fd);
            return;
        }
        buf.append(chunk, static_cast<std::size_t>(n));
    }
    send_response(fd, ex, o);
    if (o.log) o.log(ex);
    close_gracefully(fd);
}

struct Connections {
    std::mutex mutex;
    std::condition_variable idle;
    std::size_t active = 0;
};

}  // namespace

Result<LoopbackHost> parse_loopback_host(std::string_view host) {
    if (host == "127.0.0.1" || host == "localhost") return LoopbackHost{false, "127.0.0.1"};
    if (host == "::1" || host == "[::1]") return LoopbackHost{true, "::1"};
    return make_error(ErrorCode::usage, "serve.not_loopback",
                      "'" + std::string(host) +
                          "' is not a loopback address: expected 127.0.0.1, ::1 or localhost "
                          "(the server only listens on this machine's loopback interface)");
}

bool is_loopback_authority(std::string_view authority) {
    std::string host = lower_ascii(authority);
    std::string port;
    if (host.starts_with("[")) {
        const std::size_t close = host.find(']');
        if (close == std::string::npos) return false;
        port = host.substr(close + 1);
        host.resize(close + 1);
    } else if (const std::size_t colon = host.find(':'); colon != std::string::npos) {
        port = host.substr(colon);
        host.resize(colon);
    }
    if (!port.empty()) {
        if (port.size() < 2 || port.size() > 6 || port.front() != ':') return false;
        for (char c : port.substr(1))
            if (std::isdigit(static_cast<unsigned char>(c)) == 0) return false;
    }
    return host == "127.0.0.1" || host == "localhost" || host == "[::1]";
}

Result<Listener> Listener::bind(const LoopbackHost& host, std::uint16_t port) {
    const int family = host.ipv6 ? AF_INET6 : AF_INET;
    const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return make_error(ErrorCode::internal, "serve.socket", std::string("socket: ") + std::strerror(errno));
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // restart without waiting for TIME_WAIT
    sockaddr_storage addr{};
    socklen_t len = 0;
    if (host.ipv6) {
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        a->sin6_port = htons(port);
        len = sizeof *a;
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&addr);
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a->sin_port = htons(port);
        len = sizeof *a;
    }
    const std::string where = (host.ipv6 ? "[::1]:" : "127.0.0.1:") + std::to_string(port);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd, 64) != 0) {
        const int e = errno;
        ::close(fd);
        if (e == EADDRINUSE)
            return make_error(ErrorCode::conflict, "serve.port_in_use",
                              where + " is in use: choose another --port (0 picks a free one)");
        if (e == EACCES)
            return make_error(ErrorCode::usage, "serve.port_denied",
                              where + ": permission denied: ports below 1024 need privileges; choose --port 1024 or above");
        return make_error(ErrorCode::internal, "serve.socket", "bind " + where + ": " + std::strerror(e));
    }
    sockaddr_storage bound{};
    socklen_t bound_len = sizeof bound;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_len);
    const std::uint16_t actual = host.ipv6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                           : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    return Listener(fd, actual, host);
}

Listener::Listener(Listener&& other) noexcept : fd_(other.fd_), port_(other.port_), host_(std::move(other.host_)) {
    other.fd_ = -1;
}

Listener& Listener::operator=(Listener&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = other.fd_;
        port_ = other.port_;
        host_ = std::move(other.host_);
        other.fd_ = -1;
    }
    return *this;
}

Listener::~Listener() {
    if (fd_ >= 0) ::close(fd_);
}

std::string Listener::url() const {
    return "http://" + (host_.ipv6 ? "[" + host_.address + "]" : host_.address) + ":" + std::to_string(port_) + "/";
}

Exchange respond(std::string_view head, const Handler& handler) {
    auto request = parse_request_head(head);
    if (!request) return {"", "", error_response(request.error())};
    Exchange ex{request->method, request->target, {}};
    if (!request->authority.empty() && !is_loopback_authority(request->authority)) {
        ex.response = error_response(make_error(ErrorCode::invalid_input, "serve.bad_host",
                                                "Host '" + request->authority +
                                                    "' is not a loopback name: expected 127.0.0.1, localhost or [::1]"));
        return ex;
    }
    if (request->method != "GET" && request->method != "HEAD") {
        ex.response = error_response(make_error(ErrorCode::invalid_input, "serve.method",
                                                "method " + request->method + " is not allowed: expected GET or HEAD"));
        ex.response.headers.emplace_back("Allow", "GET, HEAD");
        return ex;
    }
    try {
        ex.response = handler(*request);
    } catch (const std::exception& e) {
        ex.response = error_response(make_error(ErrorCode::internal, "serve.internal", std::string("internal error: ") + e.what()));
    }
    return ex;
}

Status serve(const Listener& listener, const Handler& handler, const ServeOptions& options) {
    // Shared with the connection threads, which may outlive this frame by
    // the instant between their last decrement and returning.
    auto conns = std::make_shared<Connections>();
    while (!stop_requested(options)) {
        pollfd p{listener.fd(), POLLIN, 0};
        const int n = ::poll(&p, 1, k_poll_ms);
        if (n <= 0) continue;  // timeout or EINTR (a signal: look at stop)
        const int fd = ::accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                std::this_thread::sleep_for(std::chrono::milliseconds(50));  // do not spin while out of descriptors
            continue;
        }
        {
            std::lock_guard<std::mutex> lock(conns->mutex);
            if (conns->active >= options.max_connections) {
                const Response busy = error_response(
                    make_error(ErrorCode::internal, "serve.busy", "too many open connections: try again"));
                const std::string head = serialize_head(busy);
                ::send(fd, head.data(), head.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
                ::send(fd, busy.body.data(), busy.body.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
                ::close(fd);
                continue;
            }
            ++conns->active;
        }
        try {
            std::thread([fd, &handler, &options, conns] {
                handle_connection(fd, handler, options);
                std::lock_guard<std::mutex> lock(conns->mutex);
                --conns->active;
                conns->idle.notify_all();
            }).detach();
        } catch (const std::exception&) {  // no thread to be had: drop this connection
            ::close(fd);
            std::lock_guard<std::mutex> lock(conns->mutex);
            --conns->active;
        }
    }
    std::unique_lock<std::mutex> lock(conns->mutex);
    conns->idle.wait(lock, [&] { return conns->active == 0; });
    return {};
}

}  // namespace slm::serve
