// The pool of builds without threads (SLM_NO_THREADS: WebAssembly): every
// job runs on the caller as a single chunk.
#include "quant/thread_pool.hpp"

#if defined(SLM_NO_THREADS)

#include <algorithm>

namespace slm::quant {

ThreadPool::ThreadPool(unsigned) : n_threads_(1) {}
ThreadPool::~ThreadPool() = default;

std::size_t ThreadPool::chunk_count(std::size_t count) const { return std::min<std::size_t>(count, 1); }

void ThreadPool::run(std::size_t count, Invoke invoke, void* ctx) {
    if (count > 0) invoke(ctx, 0, count);
}

}  // namespace slm::quant

#endif
