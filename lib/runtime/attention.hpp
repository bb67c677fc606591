// The per-position pieces of a decoder layer that forward() and
// forward_batch() share, so that both compute every value the same way.
#pragma once

#include <cstddef>

#include "format/layout.hpp"
#include "quant/kernels.hpp"
#include "runtime/state.hpp"

namespace slm::runtime {

// Rotates pairs (2i, 2i+1) of each of `n_heads` heads of `v` by the angles
// whose cos/sin are given for the position (head_dim / 2 each).
void rope(float* v, std::size_t n_heads, std::size_t head_dim, const float* cos_t, const float* sin_t);

// cos/sin of pos * freq_i for every frequency, computed in double.
void rope_angles(const double* freqs, std::size_t count, std::size_t pos, float* cos_t, float* sin_t);

// Causal attention of query head h at position pos over one layer's cache:
//   out (head_dim,) = sum_t softmax_t(q . k_t / sqrt(head_dim)) v_t,  t = 0..pos
// reading kv head h / (n_heads / n_kv_heads) from an f32 or f16 cache (the
// kernels' f16 versions widen it as they read). `att` is scratch for pos + 1
// weights.
void attend_head(const format::ModelConfig& c, const quant::KernelSet& kernels, const float* q, std::size_t h,
                 const KvLayer& kv, std::size_t pos, float* att, float* out);

// Below this many multiply-adds a layer's attention runs on the calling
// thread: a hand-off (~1-2 us) would cost more than it saves.
inline constexpr std::size_t k_min_parallel_attention = 4 * 1024;

}  // namespace slm::runtime
