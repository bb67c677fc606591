#include "progress.hpp"

#include <fmt/core.h>

#include "output.hpp"

namespace slmctl {

ProgressBar::ProgressBar() : enabled_(stderr_is_tty()), start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() {
    if (drawn_) fmt::print(stderr, "\r\033[K");
}

void ProgressBar::update(std::string_view stage, std::uint64_t done, std::uint64_t total) {
    if (!enabled_ || total == 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - start_ < std::chrono::seconds(1)) return;
    if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100) && done < total) return;
    last_draw_ = now;
    drawn_ = true;
    constexpr int k_width = 30;
    const double frac = static_cast<double>(done) / static_cast<double>(total);
    const int filled = static_cast<int>(frac * k_width);
    fmt::print(stderr, "\r{:<12} [{}{}] {:3.0f}%", stage, std::string(filled, '#'),
               std::string(k_width - filled, '.'), frac * 100.0);
    std::fflush(stderr);
}

slm::ProgressFn ProgressBar::callback() {
    return [this](std::string_view stage, std::uint64_t done, std::uint64_t total) { update(stage, done, total); };
}

}  // namespace slmctl
