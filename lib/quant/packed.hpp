// Quantized matrices re-laid for int8 kernels that compute 16 rows at once.
//
// In .slm row storage (dtype_traits.hpp) a 32-element block of one row fills
// only eight int32 lanes of a 512-bit vpdpbusd, so every block of every row
// pays its own int-to-float conversion and scaling, and those steps, not the
// multiplies, bound the row kernels. Packed, int32 lane i of a vector belongs
// to row i of a group of 16: a whole block's integer sum builds up in its own
// lane from 4-byte steps that all rows share, and one conversion and one
// scaling then serve 16 rows. The layout, per group of 16 rows, per block b:
//
//   16 f32      the rows' scales of block b
//   q8_0: 8 x 64 bytes   vector k (k = 0..7): bytes 4k..4k+3 of each row's
//                        block, row i in bytes 4i..4i+3, as w + 128 (unsigned)
//   q4_0: 4 x 64 bytes   vector k (k = 0..3): packed bytes 4k..4k+3 of each
//                        row's block (nibbles as stored: element j in the low
//                        nibble of byte j, element j + 16 in the high one)
//
// Groups follow each other, blocks in order within a group. Rows past the
// matrix's last one (the final group of a matrix whose row count is not a
// multiple of 16) hold zero weights and zero scales.
//
// Packing copies the matrix (same size as its values plus scales); the
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

// Bytes of one block of one group: 16 scales plus the values.
std::size_t packed_block_bytes(format::DType dtype);

// q8_0 or q4_0 with block size 32 and n <= k_packed_max_n.
bool packable(const WeightView& w, std::size_t n);

// Told each source range once it has been packed (see PackedMatrix::pack).
using ReleaseFn = std::function<void(const void* bytes, std::size_t size)>;

class PackedMatrix {
public:
    // Requires packable(w, n). `release`, if set, is called with the source
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
    std::size_t group_bytes() const { return n_ / k_packed_block * packed_block_bytes(dtype_); }
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
