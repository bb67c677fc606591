// llama.cpp's CPU arithmetic, op by op, for `--numerics ggml`: every function
// returns the bits that ggml-cpu's haswell variant (AVX2+FMA, as built in
// node-llama-cpp 3.22.1 / llama.cpp v0.5.0) returns for the same inputs, so a
// forward pass built from them gives llama.cpp's logits bit for bit
// (docs/llama-cpp-numerics.md §2 has the ggml source of each recipe).
//
// The scalar versions (ggml_compat_ref.cpp) are transcriptions of the emulator
// tests/reference/ggml_emu/emu.cpp: explicit fmaf where ggml's binary fuses,
// separate roundings everywhere else (no contraction). The AVX2 versions
// (ggml_compat_avx2.cpp) give the same bits faster. On WASM or non-x86 the
// scalar versions still give ggml's bits, except where libm differs (RoPE's
// sincosf/powf, the SwiGLU tail's expf).
//
// Conventions: matrices in .slm row storage (matvec.hpp), q8_0/q4_0 blocks
// of k_block = 32 (ggml's QK8_0 / QK4_0), int8 activations from
// quantize_act_q8_0 (bit-identical to ggml's quantize_row_q8_0 on x86).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "quant/kernels.hpp"

namespace slm::quant::ggml {

inline constexpr std::size_t k_block = 32;

// ---- scalar recipes (one implementation; cheap or not hot)

// ggml_v_expf (vec.h, AVX2+FMA), one lane; v_expf(-inf) = +0.
float v_expf(float x);
// ggml_vec_dot_f32 as GCC 11.4 compiled it: 4x8 FMA lanes over n & ~31, a
// hadd reduction, then the rest as rounded products added in order in
// chunks of 8 and 4, then single FMAs.
float vec_dot_f32(const float* x, const float* y, std::size_t n);
// One output of llamafile's tinyBLAS<8> (prompt batches): k % 8 == 0, lane
// l = FMA chain over elements l, l+8, ...; then hsum8.
float tinyblas_dot_f32(const float* a, const float* b, std::size_t k);
// hsum_float_8: t[k] = v[k] + v[k+4]; (t0 + t2) + (t1 + t3).
float hsum8(const float* v);

// RMSNorm fused with the weight: float squares summed in double, float mean,
// 1.0f / sqrtf(mean + eps), out[i] = x[i] * scale * w[i]. out may alias x.
void rmsnorm(float* out, const float* x, const float* w, std::size_t n, float eps);

// cos_t, sin_t (head_dim/2,) for the pairs at `pos`: theta_0 = (float)pos,
// theta_{i+1} = theta_i * powf(base, -2.0f / head_dim) (a float chain, not
// pos * base^(-2i/d)), then sincosf(theta_i).
void rope_cache(float* cos_t, float* sin_t, std::size_t head_dim, std::uint32_t pos, float freq_base);
// Rotates adjacent pairs of n_heads heads (NORM mode) by rope_cache's angles:
// x0' = fma(x0, c, -(x1 * s)), x1' = fma(x0, s, x1 * c) (GCC's contraction).
void rope(float* v, std::size_t n_heads, std::size_t head_dim, const float* cos_t, const float* sin_t);

// ---- kernels with a scalar and an AVX2 version (identical bits)

using RowsF32Fn = void (*)(const float* w, const float* x, std::size_t n, std::size_t rows, bool tinyblas,
                           float* out);
using KqFn = void (*)(const float* q, const float* keys, std::size_t stride, std::size_t n, std::size_t count,
                      float* out);
using KqvFn = void (*)(const float* p, const float* values, std::size_t stride, std::size_t n,
                       std::size_t count, bool tinyblas, float* out);
using SoftmaxFn = void (*)(float* x, std::size_t n, float scale);
using SwigluFn = void (*)(float* gate, const float* up, std::size_t n);

struct Kernels {
    std::string_view name;  // "scalar", "avx2"
    // out[r] = row r of w (rows, n) . x: vec_dot_f32, or tinyblas_dot_f32
    // when `tinyblas` (prompt batch and rows % 4 == 0) and n % 8 == 0.
    RowsF32Fn rows_f32;
    // q8_0 weights (ggml_vec_dot_q8_0_q8_0 == tinyBLAS_Q0): per block, 8
    // int lanes of 4 products; acc[l] = fma(d_w * d_a, (float)lane_l, acc[l]);
    // hsum8. Also q4_0 when rows % 8 != 0 (ggml_vec_dot_q4_0_q8_0, same lanes).
    RowsQ8Q8Fn rows_q8_0;
    RowsQ4Q8Fn rows_q4_0;
    // q4_0 repacked to q4_0_8x8 (rows % 8 == 0): one chain per row,
    // acc = fma((float)block_int_sum, d_w * d_a, acc) over blocks in order.
    RowsQ4Q8Fn rows_q4_0_8x8;
    // KQ: out[t] = vec_dot_f32(keys + t * stride, q, n) for t < count.
    KqFn kq;
    // KQV, a dot over cells: out[d] = sum_t values[t * stride + d] * p[t], t < count,
    // cell t in lane (t & 31) as vec_dot_f32 over n_kv (a multiple of 32) sees
    // it, or in lane (t & 7) of tinyBLAS when `tinyblas`. Cells past count
    // (p = 0 in ggml's padded n_kv) add nothing, so they are not visited.
    KqvFn kqv;
    // Masked softmax of x[0, n) in place: x *= scale, then
    // ggml_vec_soft_max_f32 over ceil(n/8)*8 cells (masked cells give 0):
    // v_expf(x - max) per 8-block, double sum of the float hsum8 of each block,
    // x *= (float)(1 / sum).
    SoftmaxFn softmax;
    // gate[i] = (gate[i] / (1 + v_expf(0 - gate[i]))) * up[i], 8 at a time
    // (ggml_vec_swiglu_f32); a tail of n % 8 uses libm's expf, as ggml does.
    SwigluFn swiglu;
};

const Kernels& scalar_kernels();
// The AVX2 set on x86-64 CPUs with AVX2+FMA; otherwise nullptr.
const Kernels* avx2_kernels();
// Whether llama.cpp's CPU backend would load its haswell build on this CPU
// (AVX2, FMA, F16C, BMI2; no AVX-512, no AVX-VNNI): the build these recipes
// reproduce. Other builds (skylakex, zen4, alderlake, ...) compute otherwise.
bool host_runs_haswell_build();
// AVX2 unless the active quant kernel set is "scalar" (SLM_KERNEL=scalar,
// --kernel scalar), which selects the scalar versions (same bits, slower).
const Kernels& kernels();

// The scalar kernels, for the AVX2 file's fallbacks and the tests.
void rows_f32_ref(const float* w, const float* x, std::size_t n, std::size_t rows, bool tinyblas, float* out);
void rows_q8_0_ref(const std::int8_t* w, const float* w_scales, const std::int8_t* a, const float* a_scales,
                   std::size_t block_size, std::size_t n, std::size_t rows, float* out);
void rows_q4_0_ref(const std::uint8_t* w, const float* w_scales, const std::int8_t* a, const float* a_scales,
                   std::size_t block_size, std::size_t n, std::size_t rows, float* out);
void rows_q4_0_8x8_ref(const std::uint8_t* w, const float* w_scales, const std::int8_t* a,
                       const float* a_scales, std::size_t block_size, std::size_t n, std::size_t rows,
                       float* out);
void kq_ref(const float* q, const float* keys, std::size_t stride, std::size_t n, std::size_t count, float* out);
void kqv_ref(const float* p, const float* values, std::size_t stride, std::size_t n, std::size_t count,
             bool tinyblas, float* out);
// x[i] *= scale in place; returns the largest (NaN skipped), as ggml's
// soft_max computes it. Shared by every softmax here.
float scale_and_max(float* x, std::size_t n, float scale);
void softmax_ref(float* x, std::size_t n, float scale);
void swiglu_ref(float* gate, const float* up, std::size_t n);
// swiglu_ref with v_expf for every element, tail included: each element's
// bits then do not depend on where a chunk starts (KernelSet::silu_mul).
void silu_mul_ref(float* gate, const float* up, std::size_t n);

}  // namespace slm::quant::ggml
