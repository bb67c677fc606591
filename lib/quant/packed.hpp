// Quantized matrices re-laid for int8 kernels that compute 16 rows at once.
//
// In .slm row storage (dtype_traits.hpp) a 32-element block of one row fills
// only eight int32 lanes of a 512-bit vpdpbusd, so every block of every row
// pays its own int-to-float conversion and scaling, and those steps, not the
// multiplies, bound the row kernels. Packed, int32 lane i of a vector belongs
// to row i of a group of 16: a whole block's integer sum builds up in its own
// lane from 4-byte steps that all rows share, and one conversion and one
// scaling then serve 16 rows. The layout of a group of 16 rows with nb
// blocks per row:
//
//   scales   nb x 16 f16: block b's 16 row scales at 32 b, zero-padded to a
//            multiple of 64 bytes
//   values   nb blocks, each 16 x the row's block bytes:
//     q8_0: 8 x 64 bytes   vector k (k = 0..7): bytes 4k..4k+3 of each row's
//                          block, row i in bytes 4i..4i+3, as w + 128 (unsigned)
//     q4_0: 4 x 64 bytes   vector k (k = 0..3): packed bytes 4k..4k+3 of each
//                          row's block (nibbles as stored: element j in the low
//                          nibble of byte j, element j + 16 in the high one)
//
// The scales are f16 because .slm's f32 scales are ggml's f16 values widened
// (ARCHITECTURE.md), so narrowing them back is exact and a group reads 18
// (q4_0) or 34 (q8_0) bytes per row and block, 10% and 6% fewer than the
// file's 20 and 36; a matrix with a scale f16 cannot hold exactly is not
// packed. Every vector stays 64-byte aligned.
//
// Groups follow each other, blocks in order within a group. Rows past the
// matrix's last one (the final group of a matrix whose row count is not a
// multiple of 16) hold zero weights and zero scales.
//
// Packing copies the matrix (a little smaller than its values plus scales); the
// kernels give each row exactly the result of the .slm-layout reference
// kernel (rows_*_q8_0_ref): the block's exact integer sum, then
// total += sum * (d_w * d_x) in block order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "format/layout.hpp"

namespace slm::quant {

struct WeightView;

inline constexpr std::size_t k_packed_rows = 16;
inline constexpr std::size_t k_packed_block = 32;
// Longest row packed: the kernels keep one int32 per block on the stack.
inline constexpr std::size_t k_packed_max_n = 32 * 1024;

// Where things lie in a group of a matrix with rows of n elements.
struct PackedLayout {
    std::size_t blocks = 0;       // per row: n / 32
    std::size_t scale_bytes = 0;  // the group's f16 scales, padded to 64
    std::size_t block_bytes = 0;  // one block's values for 16 rows

    std::size_t group_bytes() const { return scale_bytes + blocks * block_bytes; }
    const std::uint16_t* scales(const std::uint8_t* group) const {
        return reinterpret_cast<const std::uint16_t*>(group);
    }
    const std::uint8_t* values(const std::uint8_t* group, std::size_t b) const {
        return group + scale_bytes + b * block_bytes;
    }
};

// dtype q8_0 or q4_0, n a multiple of 32.
constexpr PackedLayout packed_layout(format::DType dtype, std::size_t n) {
    const std::size_t blocks = n / k_packed_block;
    const std::size_t row_block = dtype == format::DType::q4_0 ? k_packed_block / 2 : k_packed_block;
    return PackedLayout{blocks, (blocks * k_packed_rows * 2 + 63) / 64 * 64, k_packed_rows * row_block};
}

// q8_0 or q4_0 with block size 32, n <= k_packed_max_n, and every one of the
// rows' scales exactly an f16 value (reads them all).
bool packable(const WeightView& w, std::size_t rows, std::size_t n);

// Told each source range once it has been packed (see PackedMatrix::pack).
using ReleaseFn = std::function<void(const void* bytes, std::size_t size)>;

class PackedMatrix {
public:
    // Requires packable(w, rows, n). `release`, if set, is called with the source
    // rows' values and scales a slice at a time as they are packed, so a
    // caller that maps them can drop them from memory before the next slice
    // is read (the copy then never holds the whole matrix twice), and, for
    // a matrix of several slices, once more whole at the end (a page that
    // straddles two slices lies wholly inside neither).
    static PackedMatrix pack(const WeightView& w, std::size_t rows, std::size_t n, const ReleaseFn& release = {});

    format::DType dtype() const { return dtype_; }
    std::size_t rows() const { return rows_; }
    std::size_t n() const { return n_; }
    std::size_t groups() const { return (rows_ + k_packed_rows - 1) / k_packed_rows; }
    PackedLayout layout() const { return packed_layout(dtype_, n_); }
    std::size_t group_bytes() const { return layout().group_bytes(); }
    std::size_t bytes() const { return groups() * group_bytes(); }
    const std::uint8_t* group(std::size_t g) const { return data_.get() + g * group_bytes(); }

    // out[0, n) = row r dequantized, the same floats as the dtype's
    // dequantize_row on the source row (for a tied embedding's lookups).
    void dequantize_row(std::size_t r, float* out) const;

private:
    struct AlignedDelete {
        void operator()(std::uint8_t* p) const;
    };
    format::DType dtype_ = format::DType::q8_0;
    std::size_t rows_ = 0;
    std::size_t n_ = 0;
    std::unique_ptr<std::uint8_t[], AlignedDelete> data_;  // 64-byte aligned
};

// Sum of each 32-element block of a (n / 32 values): the kernels subtract
// 128 (q8_0) or 8 (q4_0) times it once per block, for all 16 rows.
inline void packed_block_sums(const std::int8_t* a, std::size_t n, std::int32_t* sums) {
    for (std::size_t b = 0; b < n / k_packed_block; ++b) {
        std::int32_t s = 0;
        for (std::size_t j = 0; j < k_packed_block; ++j) s += a[b * k_packed_block + j];
        sums[b] = s;
    }
}

}  // namespace slm::quant
