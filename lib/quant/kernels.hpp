// Row dot products between a stored weight row and activations x.
//
// With f32 activations:
//   dot_f32 (w, x, n)                               = sum w[i] * x[i]
//   dot_q8_0(values, scales, block_size, x, n)      = sum q[i] * d[i / bs] * x[i]
//   dot_q4_0(packed, scales, block_size, x, n)      = same, nibbles as in q4_0.hpp
// All versions agree with "dequantize, then dot in exact arithmetic" within
// 1e-5 * sum |w[i] * x[i]|; they differ from each other only in f32
// summation order.
//
// With int8 activations (llama.cpp's scheme for q8_0/q4_0 weights): x is first
// quantized once per vector by quantize_act_q8_0 into blocks of the weight's
// block size (int8 a[i], f32 scale e[b] holding an fp16 value), then
//   dot_q8_0_q8_0 / dot_q4_0_q8_0 = sum_b (d[b] * e[b]) * sum_{i in b} q[i] * a[i]
// where the inner sums are exact integers. Versions differ only in the f32
// summation order of the outer sum.
//
// Each kernel has a scalar reference (`*_ref`, portable) and, on x86-64,
// AVX2+FMA, AVX-512F and (int8 activations) AVX-512 VNNI versions compiled
// with per-function target attributes, so the binary runs on any x86-64 and
// picks the best set at run time; WebAssembly builds add SIMD128 versions
// (kernels_simd128.cpp). The same set is used for every row, so results do
// not depend on which thread computes a row.
//
// Selection: the best set the CPU supports, unless the environment variable
// SLM_KERNEL names another one ("scalar", "avx2", "avxvnni", "avx512", "avx512vnni",
// "simd128"; an unknown or unsupported name falls back to the best).
// select_kernels() overrides both.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace slm::quant {

using DotF32Fn = float (*)(const float* w, const float* x, std::size_t n);
// Attention helpers over `count` vectors of n floats, vector t at v + t * stride:
//   dots_f32:  out[t] = dot(q, v_t)                    (one dot_f32-like sum each)
//   axpys_f32: y[i] += a[0] v_0[i] + a[1] v_1[i] + ...  (added in t order)
using DotsF32Fn = void (*)(const float* q, const float* v, std::size_t stride, std::size_t n,
                           std::size_t count, float* out);
using AxpysF32Fn = void (*)(const float* a, const float* v, std::size_t stride, std::size_t n,
                            std::size_t count, float* y);
// The same over f16 vectors (an f16 KV cache): the set's arithmetic on the
// f16 values widened to f32 (exact), so the results equal dots_f32/axpys_f32
// on a widened copy.
using DotsF16Fn = void (*)(const float* q, const std::uint16_t* v, std::size_t stride, std::size_t n,
                           std::size_t count, float* out);
using AxpysF16Fn = void (*)(const float* a, const std::uint16_t* v, std::size_t stride, std::size_t n,
                            std::size_t count, float* y);
// Attention's weights: x[0, n) := softmax(scale * x), in place.
using SoftmaxFn = void (*)(float* x, std::size_t n, float scale);
// SwiGLU's product: gate[i] := silu(gate[i]) * up[i], silu(z) = z / (1 + e^-z).
using SiluMulFn = void (*)(float* gate, const float* up, std::size_t n);
using DotQ8Fn = float (*)(const std::int8_t* values, const float* scales,
                          std::size_t block_size, const float* x, std::size_t n);
using DotQ4Fn = float (*)(const std::uint8_t* packed, const float* scales,
                          std::size_t block_size, const float* x, std::size_t n);

using QuantizeActFn = void (*)(const float* x, std::size_t n, std::size_t block_size,
                               std::int8_t* q, float* scales);
// `rows` consecutive rows of a matrix in .slm row storage: row r's values at
// w + r * value_bytes(n), its scales at w_scales + r * (n / block_size);
// out[r] = the row's dot with a. Each row gets exactly the arithmetic of a
// single-row call, whatever `rows` is.
using RowsQ8Q8Fn = void (*)(const std::int8_t* w, const float* w_scales, const std::int8_t* a,
                            const float* a_scales, std::size_t block_size, std::size_t n,
                            std::size_t rows, float* out);
using RowsQ4Q8Fn = void (*)(const std::uint8_t* w, const float* w_scales, const std::int8_t* a,
                            const float* a_scales, std::size_t block_size, std::size_t n,
                            std::size_t rows, float* out);

// `groups` consecutive groups of a packed matrix (packed.hpp), starting at
// `packed`, against int8 activations a (n values, blocks of 32, a_scales per
// block): out[16 g + i] = row i of group g, bit-identical to rows_*_q8_0_ref
// on the same row in .slm storage. Requires n <= k_packed_max_n.
using RowsPackedFn = void (*)(const std::uint8_t* packed, std::size_t groups, const std::int8_t* a,
                              const float* a_scales, std::size_t n, float* out);

// A weight row (or rows) with the reference quantizer's exact bytes
// (quantize_row_q8_0_ref / quantize_row_q4_0_ref), faster where SIMD allows.
// Returns false, with the outputs unspecified, for input the reference
// rejects (bad block size, non-finite values, fp16 scale overflow).
using QuantizeRowFn = bool (*)(const float* x, std::size_t n, std::size_t block_size, void* values,
                               float* scales);

struct KernelSet {
    std::string_view name;  // "scalar", "avx2", "avxvnni", "avx512", "avx512vnni", "simd128" (WebAssembly)
    DotF32Fn dot_f32;
    DotsF32Fn dots_f32;
    AxpysF32Fn axpys_f32;
    DotsF16Fn dots_f16;
    AxpysF16Fn axpys_f16;
    // Native sets: ggml's vectorised exp (ggml_v_expf), with a scalar twin of
    // identical bits (ggml_compat.hpp: softmax_ref, silu_mul_ref), so they
    // give the same values; WebAssembly: libm (softmax_libm, silu_mul_libm).
    // silu_mul's values never depend on where a thread's chunk of rows starts.
    SoftmaxFn softmax;
    SiluMulFn silu_mul;
    DotQ8Fn dot_q8_0;
    DotQ4Fn dot_q4_0;
    QuantizeActFn quantize_act_q8_0;
    RowsQ8Q8Fn rows_q8_0_q8_0;
    RowsQ4Q8Fn rows_q4_0_q8_0;
    // Packed-layout kernels, or nullptr where the set has none (matrices
    // then stay in .slm storage and use the row kernels above).
    RowsPackedFn rows_q8_0_packed;
    RowsPackedFn rows_q4_0_packed;
    QuantizeRowFn quantize_q8_0;
    QuantizeRowFn quantize_q4_0;
};

// Largest block size of the int8 path: a block's integer sum stays below 2^24
// (1024 * 128 * 127), so it converts to f32 exactly. Larger blocks keep f32
// activations.
inline constexpr std::size_t k_max_act_block = 1024;

// Scalar reference kernels.
float dot_f32_ref(const float* w, const float* x, std::size_t n);
void dots_f32_ref(const float* q, const float* v, std::size_t stride, std::size_t n, std::size_t count,
                  float* out);
void axpys_f32_ref(const float* a, const float* v, std::size_t stride, std::size_t n, std::size_t count,
                   float* y);
void dots_f16_ref(const float* q, const std::uint16_t* v, std::size_t stride, std::size_t n, std::size_t count,
                  float* out);
void axpys_f16_ref(const float* a, const std::uint16_t* v, std::size_t stride, std::size_t n, std::size_t count,
                   float* y);
// softmax and silu_mul with libm's expf and a double sum per element, for
// targets without a hardware fused multiply-add (WebAssembly), where the six
// fmaf of ggml_v_expf's scalar twin are emulated in software and cost several
// times the whole expf. Within 2 ulp of the ggml versions; a value still does
// not depend on where a chunk starts.
void softmax_libm(float* x, std::size_t n, float scale);
void silu_mul_libm(float* gate, const float* up, std::size_t n);
float dot_q8_0_ref(const std::int8_t* values, const float* scales, std::size_t block_size,
                   const float* x, std::size_t n);
float dot_q4_0_ref(const std::uint8_t* packed, const float* scales, std::size_t block_size,
                   const float* x, std::size_t n);

bool quantize_q8_0_ref(const float* x, std::size_t n, std::size_t block_size, void* values, float* scales);
bool quantize_q4_0_ref(const float* x, std::size_t n, std::size_t block_size, void* values, float* scales);

// Activations to q8_0 as ggml's x86 (AVX2) quantize_row_q8_0 does, for any
// block size dividing n: amax = max |x|, id = amax ? 127 / amax : 0,
// a = round-half-even(x * id), stored scale = fp16(amax / 127). (ggml's
// portable reference uses id = 1 / d and roundf; the x86 build, which is what
// llama.cpp runs here, does not.) Deviations that change no product: a block
// whose stored scale is 0 gets a = 0 (ggml may store -128 when 127 / amax
// overflows), so |a| <= 127 always. A block with NaN or inf gets a = 0 and a
// NaN scale, so its products are NaN as with f32 activations.
void quantize_act_q8_0_ref(const float* x, std::size_t n, std::size_t block_size, std::int8_t* q,
                           float* scales);
float dot_q8_0_q8_0_ref(const std::int8_t* w, const float* w_scales, const std::int8_t* a,
                        const float* a_scales, std::size_t block_size, std::size_t n);
float dot_q4_0_q8_0_ref(const std::uint8_t* w, const float* w_scales, const std::int8_t* a,
                        const float* a_scales, std::size_t block_size, std::size_t n);
void rows_q8_0_q8_0_ref(const std::int8_t* w, const float* w_scales, const std::int8_t* a,
                        const float* a_scales, std::size_t block_size, std::size_t n,
                        std::size_t rows, float* out);
void rows_q4_0_q8_0_ref(const std::uint8_t* w, const float* w_scales, const std::int8_t* a,
                        const float* a_scales, std::size_t block_size, std::size_t n,
                        std::size_t rows, float* out);
void rows_q8_0_packed_ref(const std::uint8_t* packed, std::size_t groups, const std::int8_t* a,
                          const float* a_scales, std::size_t n, float* out);
void rows_q4_0_packed_ref(const std::uint8_t* packed, std::size_t groups, const std::int8_t* a,
                          const float* a_scales, std::size_t n, float* out);

// The active set (chosen on first use, see above) and its name.
const KernelSet& active_kernels();
std::string_view kernel_name();

// Every set this build has and this CPU can run, scalar first.
std::vector<const KernelSet*> supported_kernel_sets();
// The supported set called `name` ("auto" = the best); nullptr if none.
const KernelSet* find_kernel_set(std::string_view name);

// Makes `name` ("scalar", "avx2", "avxvnni", "avx512", "avx512vnni" or "auto") the
// active set for the whole process; "quant.kernel_unavailable" (usage) when
// this build or CPU lacks it. Meant for start-up, tests and benchmarks:
// concurrent dot calls keep working but may use either set while it changes.
Status select_kernels(std::string_view name);
inline void force_scalar_kernels() { (void)select_kernels("scalar"); }

// The active set's kernels.
inline float dot_f32(const float* w, const float* x, std::size_t n) {
    return active_kernels().dot_f32(w, x, n);
}
inline float dot_q8_0(const std::int8_t* values, const float* scales, std::size_t block_size,
                      const float* x, std::size_t n) {
    return active_kernels().dot_q8_0(values, scales, block_size, x, n);
}
inline float dot_q4_0(const std::uint8_t* packed, const float* scales, std::size_t block_size,
                      const float* x, std::size_t n) {
    return active_kernels().dot_q4_0(packed, scales, block_size, x, n);
}

}  // namespace slm::quant
