#include "quant/thread_pool.hpp"

#include <chrono>

namespace slm::quant {

namespace {

// How long an idle worker polls for the next job before sleeping.
constexpr auto k_spin_time = std::chrono::microseconds(200);
// Polls with a pause instruction before a waiting thread starts yielding its
// core: with more threads than free cores the one being waited for may need it.
constexpr unsigned k_pause_polls = 256;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

}  // namespace

ThreadPool::ThreadPool(unsigned n_threads) : n_threads_(n_threads) {
    if (n_threads_ == 0) n_threads_ = std::thread::hardware_concurrency();
    if (n_threads_ == 0) n_threads_ = 1;
    workers_.reserve(n_threads_ - 1);
    for (unsigned k = 1; k < n_threads_; ++k) {
        workers_.emplace_back([this, k] { worker_loop(k); });
    }
}

ThreadPool::~ThreadPool() {
    stop_.store(true, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    for (std::thread& t : workers_) t.join();
}

void ThreadPool::run_chunk(unsigned k) const {
    const std::size_t begin = job_count_ * k / n_threads_;
    const std::size_t end = job_count_ * (k + 1) / n_threads_;
    if (begin < end) job_invoke_(job_ctx_, begin, end);
}

void ThreadPool::run(std::size_t count, Invoke invoke, void* ctx) {
    if (workers_.empty() || count <= 1) {
        if (count > 0) invoke(ctx, 0, count);
        return;
    }
    std::lock_guard<std::mutex> lock(submit_mutex_);
    job_count_ = count;
    job_invoke_ = invoke;
    job_ctx_ = ctx;
    pending_.store(static_cast<std::uint32_t>(workers_.size()), std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();  // no system call unless a worker sleeps

    run_chunk(0);
    // The other chunks are about as long as ours, so the wait is short.
    for (unsigned polls = 0; pending_.load(std::memory_order_acquire) != 0; ++polls) {
        if (polls < k_pause_polls) {
            cpu_relax();
        } else {
            std::this_thread::yield();
        }
    }
}

void ThreadPool::worker_loop(unsigned k) {
    std::uint32_t seen = 0;
    for (;;) {
        std::uint32_t current = generation_.load(std::memory_order_acquire);
        if (current == seen) {
            const auto deadline = std::chrono::steady_clock::now() + k_spin_time;
            unsigned polls = 0;
            while ((current = generation_.load(std::memory_order_acquire)) == seen) {
                if (++polls < k_pause_polls) {
                    cpu_relax();
                } else if (std::chrono::steady_clock::now() < deadline) {
                    std::this_thread::yield();
                } else {
                    generation_.wait(seen, std::memory_order_acquire);
                }
            }
        }
        seen = current;
        if (stop_.load(std::memory_order_relaxed)) return;
        run_chunk(k);
        pending_.fetch_sub(1, std::memory_order_release);
    }
}

}  // namespace slm::quant
