// Ctrl-C during long work: the first SIGINT only sets a flag that the work
// polls (so output so far and statistics can still be printed); a second one
// terminates as usual. The previous handler is restored on destruction.
#pragma once

#include <csignal>

namespace slmctl {

// Exit code of a command stopped by Ctrl-C (128 + SIGINT, the shell convention).
inline constexpr int k_exit_interrupted = 130;

class InterruptGuard {
public:
    InterruptGuard();
    ~InterruptGuard();
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;

    static bool requested();

private:
    struct sigaction previous_ {};
};

}  // namespace slmctl
