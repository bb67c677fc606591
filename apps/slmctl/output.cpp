#include "output.hpp"

#include <unistd.h>

#include <cstdio>

namespace slmctl {

int report_error(const slm::Error& error) {
    fmt::print(stderr, "slmctl: error: {}\n", error.message);
    return static_cast<int>(error.code);
}

void print_json(const nlohmann::json& value) {
    fmt::print("{}\n", value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    std::fflush(stdout);
}

bool stderr_is_tty() { return ::isatty(STDERR_FILENO) == 1; }

std::string human_bytes(std::uint64_t bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1024.0 && u < 4) {
        v /= 1024.0;
        ++u;
    }
    return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

}  // namespace slmctl
