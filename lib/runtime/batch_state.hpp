// Scratch for feeding several prompt positions at once (forward_batch): the
// per-token activations of State, one row per position of the batch. The KV
// cache stays in State. Created on the first batched prefill of a Session.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/result.hpp"
#include "format/layout.hpp"
#include "runtime/state.hpp"

namespace slm::runtime {

struct BatchState {
    std::size_t capacity = 0;   // positions per batch
    std::vector<float> x;       // (capacity, dim) residual streams
    std::vector<float> xb;      // (capacity, dim)
    std::vector<float> xb2;     // (capacity, dim)
    std::vector<float> q;       // (capacity, dim)
    std::vector<float> hb;      // (capacity, ffn)
    std::vector<float> hb2;     // (capacity, ffn)
    std::vector<float> att;     // (capacity, n_heads, context_length)
    std::vector<float> rope_cos;  // (capacity, head_dim / 2)
    std::vector<float> rope_sin;  // (capacity, head_dim / 2)
    std::vector<std::int8_t> act_q;  // (capacity, max(dim, ffn)) int8 activations
    std::vector<float> act_scales;   // (capacity, max(dim, ffn))
    std::vector<float> kv_new;  // (2, capacity, kv_dim) k and v rows for an f16 KV cache, before rounding
    std::vector<float> logits;  // (capacity, vocab): sized by reserve_logits (all-position logits)

    // `kv`: the State's cache type (an f16 cache needs kv_new). Errors:
    // "runtime.out_of_memory" (internal) when allocation fails.
    static Result<BatchState> create(const format::ModelConfig& config, std::size_t capacity,
                                     KvType kv = KvType::f32);

    // Sizes `logits` for every position's logits; "runtime.out_of_memory"
    // (internal) when that fails.
    Status reserve_logits(std::size_t vocab_size);

    std::size_t act_stride() const { return act_q.size() / (capacity == 0 ? 1 : capacity); }
};

}  // namespace slm::runtime
