// A one-line progress bar on stderr, drawn only when stderr is a terminal and
// the work has already taken more than a second.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/progress.hpp"

namespace slmctl {

class ProgressBar {
public:
    ProgressBar();
    ~ProgressBar();  // clears the line if anything was drawn
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;

    void update(std::string_view stage, std::uint64_t done, std::uint64_t total);
    slm::ProgressFn callback();

private:
    bool enabled_;
    bool drawn_ = false;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace slmctl
