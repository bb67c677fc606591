// Shared by the x86 int8-activation row kernels (kernels_i8_avx2.cpp and the
// AVX-512 VNNI ones): which block sizes they handle, how many rows they take
// per step and how far ahead they prefetch. Internal to quant/.
#pragma once

#include <cstddef>

#include "quant/kernels.hpp"

namespace slm::quant::int8_rows {

// Whole 32-byte steps per block, and integer block sums exact in f32.
inline bool fast_block(std::size_t block_size) {
    return block_size != 0 && block_size % 32 == 0 && block_size <= k_max_act_block;
}

// Rows per step of the row kernels (4 measured fastest of 1, 2, 4 with AVX2).
constexpr std::size_t k_rows = 4;

// Decoding streams weights from DRAM (the model exceeds the cache) and
// hardware prefetchers stop at 4 KiB pages, so each row group asks for the
// rows about 3 KiB further on, within the range (measured +6-12% with AVX2 on
// a DRAM-bound 32000 x 288 product, no loss when cached).
constexpr std::size_t k_prefetch_bytes = 3072;

inline void prefetch(const void* p, std::size_t bytes) {
    const char* c = static_cast<const char*>(p);
    for (std::size_t off = 0; off < bytes; off += 64) __builtin_prefetch(c + off);
}

// Rows [r, r + k_rows) of a range of `rows`: prefetch rows `ahead` further.
inline void prefetch_group(const void* values, std::size_t row_bytes, const float* scales, std::size_t nb,
                           std::size_t r, std::size_t rows) {
    const std::size_t ahead = k_prefetch_bytes / row_bytes + 1;
    if (r + ahead + k_rows > rows) return;
    prefetch(static_cast<const char*>(values) + (r + ahead) * row_bytes, k_rows * row_bytes);
    prefetch(scales + (r + ahead) * nb, k_rows * nb * sizeof(float));
}

}  // namespace slm::quant::int8_rows
