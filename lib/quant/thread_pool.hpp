// A fixed set of worker threads for data-parallel loops (matvec rows).
//
// parallel_for(count, fn) cuts [0, count) into chunk_count(count) contiguous
// chunks, chunk c = [c*count/chunks, (c+1)*count/chunks), and calls
// fn(begin, end) once per chunk. The calling thread and the workers claim
// chunks until none is left, so a worker the OS has not scheduled yet never
// holds up the caller. Each index is handled by exactly one call, so a loop
// whose iterations are independent gives the same result for any thread
// count and any interleaving.
//
// Decoding calls parallel_for thousands of times a second on small jobs, so
// idle workers poll briefly (about 0.2 ms) before sleeping on a futex;
// waking a sleeping thread would cost more than a 288x288 matvec.
//
// A pool of size 1 starts no thread (the WASM build uses that). Calls from
// several threads are serialised. fn must not throw.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#if !defined(SLM_NO_THREADS)
#include <mutex>
#include <thread>
#endif
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

    // Chunks per job: one per thread, never more than count. Chunks are still
    // claimed, so the caller takes the chunk of a worker that has not started.
    std::size_t chunk_count(std::size_t count) const;

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
    // Claims and runs chunks of job `generation` until none is left.
    void work_on(std::uint32_t generation);
    void worker_loop();

    unsigned n_threads_;
#if !defined(SLM_NO_THREADS)  // else thread_pool_single.cpp: one thread, no state
    std::vector<std::thread> workers_;
    std::mutex submit_mutex_;

    // The current job; written by run() before generation_ is bumped
    // (release) and read by a thread only after it claimed a chunk of it:
    // while a chunk is unfinished the job cannot be replaced.
    std::size_t job_count_ = 0;
    Invoke job_invoke_ = nullptr;
    void* job_ctx_ = nullptr;

    // Workers wait for generation_ to change. claim_ packs the generation
    // (bits 32..63), the job's chunk count (16..31) and the next unclaimed
    // chunk (0..15), so one compare-and-swap checks all three: a thread that
    // lags behind can never claim a chunk of a newer job.
    std::atomic<std::uint32_t> generation_{0};
    std::atomic<std::uint64_t> claim_{0};
    std::atomic<std::size_t> chunks_left_{0};  // not yet finished
    std::atomic<bool> stop_{false};
#endif
};

}  // namespace slm::quant
