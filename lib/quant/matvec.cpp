#include "quant/matvec.hpp"

#include <cassert>

#include "quant/kernels.hpp"
#include "quant/thread_pool.hpp"

namespace slm::quant {

namespace {

// Below this many weights a product is cheaper than handing it to workers.
constexpr std::size_t k_min_parallel_weights = 16 * 1024;

// Computes out[r] for r in [begin, end) with one kernel call per row.
struct RowRange {
    float* out;
    const WeightView& w;
    const float* x;
    std::size_t n;
    const KernelSet& kernels;

    void operator()(std::size_t begin, std::size_t end) const {
        switch (w.dtype) {
            case format::DType::f32: {
                const auto* values = static_cast<const float*>(w.values);
                for (std::size_t r = begin; r < end; ++r) {
                    out[r] = kernels.dot_f32(values + r * n, x, n);
                }
                return;
            }
            case format::DType::q8_0: {
                const auto* values = static_cast<const std::int8_t*>(w.values);
                const std::size_t n_scales = n / w.block_size;
                for (std::size_t r = begin; r < end; ++r) {
                    out[r] = kernels.dot_q8_0(values + r * n, w.scales + r * n_scales,
                                              w.block_size, x, n);
                }
                return;
            }
            case format::DType::q4_0: {
                const auto* values = static_cast<const std::uint8_t*>(w.values);
                const std::size_t n_scales = n / w.block_size;
                for (std::size_t r = begin; r < end; ++r) {
                    out[r] = kernels.dot_q4_0(values + r * (n / 2), w.scales + r * n_scales,
                                              w.block_size, x, n);
                }
                return;
            }
        }
        assert(false && "matvec: invalid dtype");
    }
};

}  // namespace

void matvec(float* out, const WeightView& w, const float* x, std::size_t rows, std::size_t n,
            ThreadPool* pool) {
    assert(w.values != nullptr || rows * n == 0);
    assert(w.dtype == format::DType::f32 ||
           (w.block_size > 0 && n % w.block_size == 0 && w.scales != nullptr));
    assert(w.dtype != format::DType::q4_0 || w.block_size % 2 == 0);

    const RowRange range{out, w, x, n, active_kernels()};
    if (pool == nullptr || pool->size() == 1 || rows * n < k_min_parallel_weights) {
        range(0, rows);
    } else {
        pool->parallel_for(rows, range);
    }
}

}  // namespace slm::quant
