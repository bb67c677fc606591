// One decoder step (llama2.c's forward): feed `token` at position `pos`,
// append its keys and values to the KV cache, return the next-token logits.
//
//   x = embed(token)                                            (dim,)
//   per layer:
//     xb = rmsnorm(x, attention_norm)      rmsnorm(v, w) = v * w / sqrt(mean(v^2) + eps)
//     q = wq xb (dim,)  k = wk xb, v = wv xb (kv_dim,)   k, v stored at cache[layer][pos]
//     rope(q), rope(k): pairs (2i, 2i+1) of each head rotated by pos * theta^(-2i/head_dim)
//                       (GGUF / Meta / llama2.c order, llama.cpp LLAMA_ROPE_TYPE_NORM)
//     head h: a = softmax(q_h . k_t / sqrt(head_dim), t = 0..pos), out_h = sum_t a_t v_t,
//             reading kv head h / (n_heads / n_kv_heads)  (GQA; MQA when n_kv_heads = 1)
//     x += wo out
//     xb = rmsnorm(x, ffn_norm)
//     x += w2 (silu(w1 xb) * (w3 xb))      silu(z) = z / (1 + exp(-z))
//   logits = output (rmsnorm(x, norm))                          (vocab,)
//
// Matrix products go through quant::matvec, with f32 activations or, in
// ActivationMode::q8_0, activations quantized to int8 once per input vector
// for q8_0/q4_0 matrices (llama.cpp's scheme; faster, less exact). Products
// reading the same vector (q/k/v; gate/up) share one pass over the pool.
// With a pool, rows and attention heads are split across threads; when the
// KV heads divide evenly among the threads, each thread computes its heads'
// q/k/v rows and their attention in one section (quant::matvec_units). Every
// output element is computed by the same code whatever the split, so results
// do not depend on the thread count. exp in softmax and SiLU is ggml's
// vectorised ggml_v_expf (quant::KernelSet::softmax, silu_mul), the same bits
// in every kernel set.
#pragma once

#include <cstdint>
#include <span>

#include "core/result.hpp"
#include "quant/matvec.hpp"
#include "runtime/model.hpp"
#include "runtime/numerics.hpp"
#include "runtime/state.hpp"

namespace slm::quant {
class ThreadPool;
}

namespace slm::runtime {

// Whether a step needs its logits. Prompt tokens other than the last do not,
// and skipping the (vocab, dim) product makes prefill cheaper.
enum class Logits { compute, skip };

// `state` must come from State::create(model.config()). Positions must be fed
// in order 0, 1, 2, ...: attention reads cache entries 0..pos. Returns a view
// of state.logits (empty with Logits::skip), valid until the next call.
// Errors (ErrorCode::invalid_input): "runtime.bad_token" for token >=
// vocab_size, "runtime.context_full" for pos >= context_length;
// ErrorCode::internal "runtime.state_mismatch" for a state sized for another model.
// Numerics::ggml hands the step to ggml_forward() (ggml_forward.hpp), which
// ignores `activations` and reads `batch`.
Result<std::span<const float>> forward(const Model& model, State& state, std::uint32_t token,
                                       std::uint32_t pos, quant::ThreadPool* pool = nullptr,
                                       Logits logits = Logits::compute,
                                       quant::ActivationMode activations = quant::ActivationMode::f32,
                                       Numerics numerics = Numerics::native, StepBatch batch = {});

// out = x * w / sqrt(mean(x^2) + eps); out may alias x.
void rmsnorm(float* out, const float* x, const float* w, std::size_t n, float eps);

}  // namespace slm::runtime
