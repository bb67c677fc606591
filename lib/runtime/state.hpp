// The mutable half of inference (llama2.c's RunState): activations of the
// current token and the KV cache of every position seen so far. One State
// belongs to one sequence; the Model it runs against is shared and immutable.
#pragma once

#include <cstdint>
#include <vector>

#include "core/result.hpp"
#include "format/layout.hpp"

namespace slm::runtime {

struct State {
    // Activations for the token being processed.
    std::vector<float> x;       // (dim,)  residual stream
    std::vector<float> xb;      // (dim,)  normed input, then attention output
    std::vector<float> xb2;     // (dim,)  output of wo / w2 before the residual add
    std::vector<float> q;       // (n_heads*head_dim,)
    std::vector<float> hb;      // (ffn,)  silu(w1 x) * (w3 x)
    std::vector<float> hb2;     // (ffn,)  w3 x
    std::vector<float> att;     // (n_heads, context_length) attention weights
    std::vector<float> rope_cos;  // (head_dim/2,) for the current position
    std::vector<float> rope_sin;  // (head_dim/2,)
    std::vector<float> logits;  // (vocab,)
    // Scratch for an activation vector's int8 form (ActivationMode::q8_0):
    // max(dim, ffn) values and as many scales (enough for any block size).
    std::vector<std::int8_t> act_q;
    std::vector<float> act_scales;

    // KV cache: (n_layers, context_length, n_kv_heads*head_dim) each. Position
    // p of layer l starts at (l * context_length + p) * kv_dim.
    std::vector<float> key_cache;
    std::vector<float> value_cache;

    // Sized for `config`; the KV cache holds context_length positions.
    // Errors: ErrorCode::invalid_input "runtime.state_too_large" when the
    // cache size overflows, "runtime.out_of_memory" (internal) when the
    // allocation fails.
    static Result<State> create(const format::ModelConfig& config);

    // Bytes held by all buffers (the KV cache dominates).
    std::uint64_t bytes() const;
};

}  // namespace slm::runtime
