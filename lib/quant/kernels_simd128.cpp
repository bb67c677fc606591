// WebAssembly SIMD128 kernels: four f32 lanes, int8 products through
// i32x4.dot_i16x8_s (exact, so the int8 paths match the reference bit for bit).
#include "quant/kernels_wasm.hpp"

#if defined(__wasm_simd128__)

#include <wasm_simd128.h>

#include <vector>

namespace slm::quant {

namespace {

float hsum(v128_t v) {
    return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
           (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}


// An all-zero vector the compiler cannot see through. LLVM 14 folds
// "extend i16 -> i32, then convert to f32" into a conversion from i16 that
// WebAssembly lacks, and lowers that lane by lane (several times slower); adding
// an unknown zero in between keeps the vector instructions.
v128_t opaque_zero() {
    static volatile std::int32_t zero = 0;
    return wasm_i32x4_splat(zero);
}

// acc[k] += (int8 values 4k..4k+3, as f32) * x[4k..4k+3]: four independent
// chains, so the adds overlap instead of waiting on each other.
void madd_i8x16(v128_t q, const float* x, v128_t acc[4], v128_t zero) {
    const v128_t lo = wasm_i16x8_extend_low_i8x16(q), hi = wasm_i16x8_extend_high_i8x16(q);
    const v128_t f0 = wasm_f32x4_convert_i32x4(wasm_i32x4_add(wasm_i32x4_extend_low_i16x8(lo), zero));
    const v128_t f1 = wasm_f32x4_convert_i32x4(wasm_i32x4_add(wasm_i32x4_extend_high_i16x8(lo), zero));
    const v128_t f2 = wasm_f32x4_convert_i32x4(wasm_i32x4_add(wasm_i32x4_extend_low_i16x8(hi), zero));
    const v128_t f3 = wasm_f32x4_convert_i32x4(wasm_i32x4_add(wasm_i32x4_extend_high_i16x8(hi), zero));
    acc[0] = wasm_f32x4_add(acc[0], wasm_f32x4_mul(f0, wasm_v128_load(x)));
    acc[1] = wasm_f32x4_add(acc[1], wasm_f32x4_mul(f1, wasm_v128_load(x + 4)));
    acc[2] = wasm_f32x4_add(acc[2], wasm_f32x4_mul(f2, wasm_v128_load(x + 8)));
    acc[3] = wasm_f32x4_add(acc[3], wasm_f32x4_mul(f3, wasm_v128_load(x + 12)));
}

// total += (acc[0] + acc[1] + acc[2] + acc[3]) * scale, lane-wise: the
// horizontal sum waits until the end of the row.
v128_t add_scaled(v128_t total, const v128_t acc[4], float scale) {
    const v128_t sum = wasm_f32x4_add(wasm_f32x4_add(acc[0], acc[1]), wasm_f32x4_add(acc[2], acc[3]));
    return wasm_f32x4_add(total, wasm_f32x4_mul(sum, wasm_f32x4_splat(scale)));
}

// total += (the four exact i32 block sums, as f32) * scale, lane-wise: one
// horizontal sum per row instead of one per block.
v128_t add_scaled_i32(v128_t total, v128_t sums, float scale) {
    return wasm_f32x4_add(total, wasm_f32x4_mul(wasm_f32x4_convert_i32x4(sums), wasm_f32x4_splat(scale)));
}

// 16 packed bytes -> low nibbles - 8 and high nibbles - 8, as int8.
void unpack_q4(const std::uint8_t* p, v128_t& lo, v128_t& hi) {
    const v128_t bytes = wasm_v128_load(p);
    const v128_t eight = wasm_i8x16_splat(8);
    lo = wasm_i8x16_sub(wasm_v128_and(bytes, wasm_i8x16_splat(0x0F)), eight);
    hi = wasm_i8x16_sub(wasm_u8x16_shr(bytes, 4), eight);
}

// The int8 activations widened to int16 once per call, for all its rows:
// each row then widens only its own weights. For q4_0 also each block's
// activation sum, which turns (nibble - 8) * a into nibble * a - 8 * sum(a)
// (exact integers, so the same block sums as the reference).
struct WideActivations {
    std::vector<std::int16_t> values;
    std::vector<std::int32_t> block_sums;

    WideActivations(const std::int8_t* a, std::size_t block_size, std::size_t n, bool with_sums)
        : values(a, a + n) {
        if (!with_sums) return;
        block_sums.resize(n / block_size);
        for (std::size_t b = 0; b < block_sums.size(); ++b)
            for (std::size_t i = 0; i < block_size; ++i) block_sums[b] += a[b * block_size + i];
    }
};

float dot_q8_0_wide(const std::int8_t* w, const float* w_scales, const std::int16_t* a, const float* a_scales,
                    std::size_t block_size, std::size_t n) {
    v128_t total = wasm_f32x4_splat(0.0f);
    for (std::size_t b = 0; b < n / block_size; ++b) {
        const std::int8_t* wb = w + b * block_size;
        const std::int16_t* ab = a + b * block_size;
        v128_t acc = wasm_i32x4_splat(0);
        for (std::size_t j = 0; j < block_size; j += 16) {
            const v128_t q = wasm_v128_load(wb + j);
            acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_i16x8_extend_low_i8x16(q), wasm_v128_load(ab + j)));
            acc = wasm_i32x4_add(acc,
                                 wasm_i32x4_dot_i16x8(wasm_i16x8_extend_high_i8x16(q), wasm_v128_load(ab + j + 8)));
        }
        total = add_scaled_i32(total, acc, w_scales[b] * a_scales[b]);
    }
    return hsum(total);
}

float dot_q4_0_wide(const std::uint8_t* w, const float* w_scales, const std::int16_t* a,
                    const std::int32_t* a_sums, const float* a_scales, std::size_t block_size, std::size_t n) {
    const std::size_t half = block_size / 2;
    const v128_t low_nibbles = wasm_i8x16_splat(0x0F);
    v128_t total = wasm_f32x4_splat(0.0f);
    for (std::size_t b = 0; b < n / block_size; ++b) {
        const std::int16_t* ab = a + b * block_size;
        // -8 * sum(a) in lane 0: the lanes add up to the block's exact sum.
        v128_t acc = wasm_i32x4_make(-8 * a_sums[b], 0, 0, 0);
        for (std::size_t j = 0; j < half; j += 16) {
            const v128_t bytes = wasm_v128_load(w + b * half + j);
            const v128_t lo = wasm_v128_and(bytes, low_nibbles), hi = wasm_u8x16_shr(bytes, 4);
            acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_u16x8_extend_low_u8x16(lo), wasm_v128_load(ab + j)));
            acc = wasm_i32x4_add(acc,
                                 wasm_i32x4_dot_i16x8(wasm_u16x8_extend_high_u8x16(lo), wasm_v128_load(ab + j + 8)));
            acc = wasm_i32x4_add(acc,
                                 wasm_i32x4_dot_i16x8(wasm_u16x8_extend_low_u8x16(hi), wasm_v128_load(ab + half + j)));
            acc = wasm_i32x4_add(
                acc, wasm_i32x4_dot_i16x8(wasm_u16x8_extend_high_u8x16(hi), wasm_v128_load(ab + half + j + 8)));
        }
        total = add_scaled_i32(total, acc, w_scales[b] * a_scales[b]);
    }
    return hsum(total);
}

}  // namespace

float dot_f32_simd128(const float* w, const float* x, std::size_t n) {
    v128_t acc0 = wasm_f32x4_splat(0.0f), acc1 = acc0, acc2 = acc0, acc3 = acc0;
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(wasm_v128_load(w + i), wasm_v128_load(x + i)));
        acc1 = wasm_f32x4_add(acc1, wasm_f32x4_mul(wasm_v128_load(w + i + 4), wasm_v128_load(x + i + 4)));
        acc2 = wasm_f32x4_add(acc2, wasm_f32x4_mul(wasm_v128_load(w + i + 8), wasm_v128_load(x + i + 8)));
        acc3 = wasm_f32x4_add(acc3, wasm_f32x4_mul(wasm_v128_load(w + i + 12), wasm_v128_load(x + i + 12)));
    }
    for (; i + 4 <= n; i += 4) acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(wasm_v128_load(w + i), wasm_v128_load(x + i)));
    float tail = 0.0f;
    for (; i < n; ++i) tail += w[i] * x[i];
    return hsum(wasm_f32x4_add(wasm_f32x4_add(acc0, acc1), wasm_f32x4_add(acc2, acc3))) + tail;
}

void dots_f32_simd128(const float* q, const float* v, std::size_t stride, std::size_t n, std::size_t count,
                      float* out) {
    for (std::size_t t = 0; t < count; ++t) out[t] = dot_f32_simd128(q, v + t * stride, n);
}

void axpys_f32_simd128(const float* a, const float* v, std::size_t stride, std::size_t n, std::size_t count,
                       float* y) {
    for (std::size_t t = 0; t < count; ++t) {
        const float* vt = v + t * stride;
        const v128_t at = wasm_f32x4_splat(a[t]);
        std::size_t i = 0;
        for (; i + 4 <= n; i += 4)
            wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), wasm_f32x4_mul(at, wasm_v128_load(vt + i))));
        for (; i < n; ++i) y[i] += a[t] * vt[i];
    }
}

float dot_q8_0_simd128(const std::int8_t* values, const float* scales, std::size_t block_size, const float* x,
                       std::size_t n) {
    if (block_size % 16 != 0) return dot_q8_0_ref(values, scales, block_size, x, n);
    const v128_t zero = wasm_f32x4_splat(0.0f), barrier = opaque_zero();
    v128_t total = zero;
    for (std::size_t b = 0; b < n / block_size; ++b) {
        v128_t acc[4] = {zero, zero, zero, zero};
        for (std::size_t j = 0; j < block_size; j += 16)
            madd_i8x16(wasm_v128_load(values + b * block_size + j), x + b * block_size + j, acc, barrier);
        total = add_scaled(total, acc, scales[b]);
    }
    return hsum(total);
}

float dot_q4_0_simd128(const std::uint8_t* packed, const float* scales, std::size_t block_size, const float* x,
                       std::size_t n) {
    if (block_size % 32 != 0) return dot_q4_0_ref(packed, scales, block_size, x, n);
    const std::size_t half = block_size / 2;
    const v128_t zero = wasm_f32x4_splat(0.0f), barrier = opaque_zero();
    v128_t total = zero;
    for (std::size_t b = 0; b < n / block_size; ++b) {
        const float* xb = x + b * block_size;
        v128_t acc[4] = {zero, zero, zero, zero};
        for (std::size_t j = 0; j < half; j += 16) {
            v128_t lo, hi;
            unpack_q4(packed + b * half + j, lo, hi);
            madd_i8x16(lo, xb + j, acc, barrier);
            madd_i8x16(hi, xb + half + j, acc, barrier);
        }
        total = add_scaled(total, acc, scales[b]);
    }
    return hsum(total);
}

void rows_q8_0_q8_0_simd128(const std::int8_t* w, const float* w_scales, const std::int8_t* a,
                            const float* a_scales, std::size_t block_size, std::size_t n, std::size_t rows,
                            float* out) {
    if (block_size % 16 != 0) return rows_q8_0_q8_0_ref(w, w_scales, a, a_scales, block_size, n, rows, out);
    const std::size_t nb = n / block_size;
    const WideActivations wide(a, block_size, n, false);
    for (std::size_t r = 0; r < rows; ++r)
        out[r] = dot_q8_0_wide(w + r * n, w_scales + r * nb, wide.values.data(), a_scales, block_size, n);
}

void rows_q4_0_q8_0_simd128(const std::uint8_t* w, const float* w_scales, const std::int8_t* a,
                            const float* a_scales, std::size_t block_size, std::size_t n, std::size_t rows,
                            float* out) {
    if (block_size % 32 != 0) return rows_q4_0_q8_0_ref(w, w_scales, a, a_scales, block_size, n, rows, out);
    const std::size_t nb = n / block_size;
    const WideActivations wide(a, block_size, n, true);
    for (std::size_t r = 0; r < rows; ++r)
        out[r] = dot_q4_0_wide(w + r * (n / 2), w_scales + r * nb, wide.values.data(), wide.block_sums.data(),
                               a_scales, block_size, n);
}

}  // namespace slm::quant

#endif
