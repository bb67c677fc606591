// Internals shared by matvec.cpp and matmul.cpp: how one product's rows are
// computed (RowRange) and how several products reading one input are laid
// out (Plan). Not part of the library's interface.
#pragma once

#include <algorithm>
#include <array>
#include <cassert>

#include "quant/kernels.hpp"
#include "quant/matvec.hpp"
#include "quant/packed.hpp"
#include "quant/thread_pool.hpp"

namespace slm::quant::detail {

// Below this many weights a product is cheaper than handing it to workers.
constexpr std::size_t k_min_parallel_weights = 16 * 1024;

inline void check_view(const WeightView& w, std::size_t rows, std::size_t n) {
    assert(w.values != nullptr || rows * n == 0);
    assert(w.dtype == format::DType::f32 ||
           (w.block_size > 0 && n % w.block_size == 0 && w.scales != nullptr));
    assert(w.dtype != format::DType::q4_0 || w.block_size % 2 == 0);
    (void)w, (void)rows, (void)n;
}

// Weights stream from DRAM while decoding and hardware prefetchers stop at
// 4 KiB pages: a row asks for the row about 3 KiB further on in its range
// (the int8 row kernels do the same inside).
constexpr std::size_t k_prefetch_bytes = 3072;

inline void prefetch(const void* p, std::size_t bytes) {
    const char* c = static_cast<const char*>(p);
    for (std::size_t off = 0; off < bytes; off += 64) __builtin_prefetch(c + off);
}

// Computes out[r] for r in [begin, end) of one product with one kernel call
// per row; xq non-null selects the int8-activation kernels.
struct RowRange {
    float* out;
    WeightView w;
    const float* x;
    const std::int8_t* xq;
    const float* xq_scales;
    std::size_t n;
    const KernelSet* kernels;

    // The packed-layout kernel for this product, or nullptr.
    RowsPackedFn packed_kernel() const {
        if (xq == nullptr || w.packed == nullptr) return nullptr;
        return w.dtype == format::DType::q4_0 ? kernels->rows_q4_0_packed : kernels->rows_q8_0_packed;
    }

    // Whole groups straight into out; a group the range cuts (at a thread's
    // or tile's edge, or the matrix's last) through a buffer.
    void packed_rows(RowsPackedFn kernel, std::size_t begin, std::size_t end) const {
        constexpr std::size_t G = k_packed_rows;
        std::size_t r = begin;
        while (r < end) {
            const std::size_t g = r / G;
            if (r % G == 0 && r + G <= end) {
                const std::size_t groups = (end - r) / G;
                kernel(w.packed->group(g), groups, xq, xq_scales, n, out + r);
                r += groups * G;
            } else {
                float group_out[G];
                kernel(w.packed->group(g), 1, xq, xq_scales, n, group_out);
                const std::size_t stop = std::min(end, (g + 1) * G);
                std::copy(group_out + (r - g * G), group_out + (stop - g * G), out + r);
                r = stop;
            }
        }
    }

    void operator()(std::size_t begin, std::size_t end) const {
        if (const RowsPackedFn kernel = packed_kernel()) return packed_rows(kernel, begin, end);
        const std::size_t bs = w.block_size;
        const std::size_t n_scales = bs != 0 ? n / bs : 0;
        switch (w.dtype) {
            case format::DType::f32: {
                const auto* values = static_cast<const float*>(w.values);
                const std::size_t ahead = k_prefetch_bytes / (n * sizeof(float)) + 1;
                for (std::size_t r = begin; r < end; ++r) {
                    if (r + ahead < end) prefetch(values + (r + ahead) * n, n * sizeof(float));
                    out[r] = kernels->dot_f32(values + r * n, x, n);
                }
                return;
            }
            case format::DType::q8_0: {
                const auto* values = static_cast<const std::int8_t*>(w.values);
                if (xq != nullptr) {
                    kernels->rows_q8_0_q8_0(values + begin * n, w.scales + begin * n_scales, xq, xq_scales, bs,
                                            n, end - begin, out + begin);
                    return;
                }
                const std::size_t ahead = k_prefetch_bytes / n + 1;
                for (std::size_t r = begin; r < end; ++r) {
                    if (r + ahead < end) {
                        prefetch(values + (r + ahead) * n, n);
                        prefetch(w.scales + (r + ahead) * n_scales, n_scales * sizeof(float));
                    }
                    out[r] = kernels->dot_q8_0(values + r * n, w.scales + r * n_scales, bs, x, n);
                }
                return;
            }
            case format::DType::q4_0: {
                const auto* values = static_cast<const std::uint8_t*>(w.values);
                if (xq != nullptr) {
                    kernels->rows_q4_0_q8_0(values + begin * (n / 2), w.scales + begin * n_scales, xq, xq_scales,
                                            bs, n, end - begin, out + begin);
                    return;
                }
                const std::size_t ahead = k_prefetch_bytes / (n / 2) + 1;
                for (std::size_t r = begin; r < end; ++r) {
                    if (r + ahead < end) {
                        prefetch(values + (r + ahead) * (n / 2), n / 2);
                        prefetch(w.scales + (r + ahead) * n_scales, n_scales * sizeof(float));
                    }
                    out[r] = kernels->dot_q4_0(values + r * (n / 2), w.scales + r * n_scales, bs, x, n);
                }
                return;
            }
        }
        assert(false && "matvec: invalid dtype");
    }
};

inline bool run_alone(const ThreadPool* pool, std::size_t weights) {
    return pool == nullptr || pool->size() == 1 || weights < k_min_parallel_weights;
}

// One RowRange per product; the int8 form of x is made here, before any
// thread starts, with the first eligible block size.
struct Plan {
    std::array<RowRange, k_max_products> ranges{};
    std::array<std::size_t, k_max_products + 1> first_row{};  // prefix sums of rows
    std::size_t count = 0;

    Plan(std::span<const MatvecOutput> products, MatvecInput& x) : count(products.size()) {
        assert(count <= k_max_products);
        const KernelSet& kernels = active_kernels();
        std::uint32_t q8_block = 0;
        for (std::size_t p = 0; p < count; ++p) {
            const MatvecOutput& m = products[p];
            check_view(m.w, m.rows, x.size());
            const std::int8_t* xq = nullptr;
            if (x.wants_q8(m.w) && (q8_block == 0 || q8_block == m.w.block_size)) {
                q8_block = m.w.block_size;
                xq = x.q8(q8_block);
            }
            ranges[p] = RowRange{m.out, m.w, x.f32(), xq, x.q8_scales(), x.size(), &kernels};
            first_row[p + 1] = first_row[p] + m.rows;
        }
    }
    std::size_t total_rows() const { return first_row[count]; }

    // Rows per unit of work handed to threads: whole 16-row groups when a
    // packed product would otherwise be cut (its cut group is computed by
    // both threads), else single rows.
    std::size_t granule() const {
        bool packed = false;
        for (std::size_t p = 0; p < count; ++p) {
            if ((first_row[p + 1] - first_row[p]) % k_packed_rows != 0) return 1;
            packed = packed || ranges[p].packed_kernel() != nullptr;
        }
        return packed ? k_packed_rows : 1;
    }
};

}  // namespace slm::quant::detail
