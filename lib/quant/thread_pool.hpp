// A fixed set of worker threads for data-parallel loops (matvec rows).
//
// parallel_for(count, fn) splits [0, count) into size() contiguous chunks,
// chunk k = [k*count/size(), (k+1)*count/size()), and runs fn(begin, end) for
// each non-empty chunk, one chunk per thread, the calling thread taking chunk
// 0. The split depends only on count and size(), and each index is handled by
// exactly one call, so a loop whose iterations are independent gives the same
// result for any thread count.
//
// Decoding calls parallel_for thousands of times a second on small jobs, so
// idle workers spin briefly (about 0.2 ms) before sleeping on a futex;
// waking a sleeping thread would cost more than a 288x288 matvec.
//
// A pool of size 1 starts no thread (the WASM build uses that). Calls from
// several threads are serialised. fn must not throw.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace slm::quant {

class ThreadPool {
public:
    // n_threads counts the caller; 0 means std::thread::hardware_concurrency().
    explicit ThreadPool(unsigned n_threads);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    unsigned size() const { return n_threads_; }

    template <class F>
    void parallel_for(std::size_t count, F&& fn) {
        using Fn = std::remove_reference_t<F>;
        run(count,
            [](void* ctx, std::size_t begin, std::size_t end) {
                (*static_cast<Fn*>(ctx))(begin, end);
            },
            const_cast<void*>(static_cast<const void*>(&fn)));
    }

private:
    using Invoke = void (*)(void* ctx, std::size_t begin, std::size_t end);

    void run(std::size_t count, Invoke invoke, void* ctx);
    void run_chunk(unsigned k) const;
    void worker_loop(unsigned k);

    unsigned n_threads_;
    std::vector<std::thread> workers_;
    std::mutex submit_mutex_;

    // The current job; written by run() before generation_ is bumped
    // (release) and read by workers after they see the new generation.
    std::size_t job_count_ = 0;
    Invoke job_invoke_ = nullptr;
    void* job_ctx_ = nullptr;

    std::atomic<std::uint32_t> generation_{0};
    std::atomic<std::uint32_t> pending_{0};
    std::atomic<bool> stop_{false};
};

}  // namespace slm::quant
