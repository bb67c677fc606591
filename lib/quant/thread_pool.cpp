#include "quant/thread_pool.hpp"

#if !defined(SLM_NO_THREADS)  // see thread_pool_single.cpp

#include <algorithm>
#include <chrono>

namespace slm::quant {

namespace {

// How long an idle worker polls for the next job before sleeping.
constexpr auto k_spin_time = std::chrono::microseconds(200);
// Polls with a pause instruction before a waiting thread starts yielding its
// core: with more threads than free cores the one being waited for may need it.
constexpr unsigned k_pause_polls = 256;
// Every claim and every finished chunk moves a cache line between cores; for
// the few-microsecond products of decoding, smaller chunks cost more in such
// transfers than they gained in balance (2-thread decode of the bench models:
// 1.56-1.60x one thread with 4 chunks per thread, 1.70x with 1).
constexpr std::size_t k_chunks_per_thread = 1;
constexpr std::size_t k_max_chunks = 0xFFFF;  // 16 bits in claim_

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
        workers_.emplace_back([this] { worker_loop(); });
    }
}

ThreadPool::~ThreadPool() {
    stop_.store(true, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    for (std::thread& t : workers_) t.join();
}

std::size_t ThreadPool::chunk_count(std::size_t count) const {
    if (n_threads_ == 1) return std::min<std::size_t>(count, 1);
    return std::min({count, std::size_t{n_threads_} * k_chunks_per_thread, k_max_chunks});
}

void ThreadPool::run(std::size_t count, Invoke invoke, void* ctx) {
    if (workers_.empty() || count <= 1) {
        if (count > 0) invoke(ctx, 0, count);
        return;
    }
    std::lock_guard<std::mutex> lock(submit_mutex_);
    const std::size_t chunks = chunk_count(count);
    job_count_ = count;
    job_invoke_ = invoke;
    job_ctx_ = ctx;
    chunks_left_.store(chunks, std::memory_order_relaxed);
    const std::uint32_t generation = generation_.load(std::memory_order_relaxed) + 1;
    claim_.store((std::uint64_t{generation} << 32) | (std::uint64_t{chunks} << 16),
                 std::memory_order_release);
    generation_.store(generation, std::memory_order_release);
    generation_.notify_all();  // no system call unless a worker sleeps

    work_on(generation);
    // Chunks claimed by workers may still be running.
    for (unsigned polls = 0; chunks_left_.load(std::memory_order_acquire) != 0; ++polls) {
        if (polls < k_pause_polls) {
            cpu_relax();
        } else {
            std::this_thread::yield();
        }
    }
}

void ThreadPool::work_on(std::uint32_t generation) {
    std::uint64_t claim = claim_.load(std::memory_order_acquire);
    for (;;) {
        // Stop when the job is gone (a newer generation) or fully claimed.
        if (claim >> 32 != generation) return;
        const std::size_t chunks = (claim >> 16) & 0xFFFF;
        const std::size_t chunk = claim & 0xFFFF;
        if (chunk >= chunks) return;
        if (!claim_.compare_exchange_weak(claim, claim + 1, std::memory_order_acq_rel,
                                          std::memory_order_acquire)) {
            continue;  // claim was reloaded
        }
        const std::size_t begin = job_count_ * chunk / chunks;
        const std::size_t end = job_count_ * (chunk + 1) / chunks;
        job_invoke_(job_ctx_, begin, end);
        chunks_left_.fetch_sub(1, std::memory_order_acq_rel);
        claim = claim_.load(std::memory_order_acquire);
    }
}

void ThreadPool::worker_loop() {
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
        work_on(current);
    }
}

}  // namespace slm::quant

#endif
