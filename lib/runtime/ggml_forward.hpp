// forward() with Numerics::ggml (numerics.hpp): llama.cpp's graph for a llama
// model (src/models/llama.cpp) evaluated with the recipes of
// quant/ggml_compat.hpp, one position at a time:
//
//   x = embed(token)                                   (dim,)  get_rows
//   per layer:
//     xb = rmsnorm(x) * attn_norm                      float mean, 1/sqrtf
//     q, k, v = W xb                                   per-dtype kernel (§2.3)
//     rope(q), rope(k)                                 float theta chain, sincosf, FMA
//     per head: kq (pos+1,) = vec_dot_f32(k_t, q_h)
//               p = softmax(kq / sqrt(head_dim))        v_expf, 8-block sums
//               out (head_dim,) = dot over cells of V^T and p
//     x = wo out + x
//     xb = rmsnorm(x) * ffn_norm
//     x = w2 (silu(w1 xb) * w3 xb) + x                 v_expf SiLU
//   logits = output (rmsnorm(x) * norm)
//
// Quantized products quantize their input to q8_0 once per vector. In a
// prompt batch (StepBatch::prompt) f32 products and KQV take tinyBLAS's
// order where llama.cpp would; in the last layer the FFN and the output
// product do so only with StepBatch::many_outputs (llama.cpp computes them
// on the output rows alone).
#pragma once

#include <cstdint>
#include <span>

#include "core/result.hpp"
#include "runtime/forward.hpp"
#include "runtime/model.hpp"
#include "runtime/numerics.hpp"
#include "runtime/state.hpp"

namespace slm::quant {
class ThreadPool;
}

namespace slm::runtime {

// Contract and errors as forward(), which has checked token, pos and state.
Result<std::span<const float>> ggml_forward(const Model& model, State& state, std::uint32_t token,
                                            std::uint32_t pos, quant::ThreadPool* pool, Logits logits,
                                            StepBatch batch);

// ggml's q8_0/q4_0 blocks hold 32 values; other block sizes have no ggml
// counterpart. Error: ErrorCode::incompatible "runtime.numerics_unsupported".
Status check_ggml_numerics(const Model& model);

}  // namespace slm::runtime
