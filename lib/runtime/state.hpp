// The mutable half of inference (llama2.c's RunState): activations of the
// current token and the KV cache of every position seen so far. One State
// belongs to one sequence; the Model it runs against is shared and immutable.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "format/layout.hpp"

namespace slm::runtime {

// How the KV cache stores keys and values: f32 (the default: exact), or f16
// (half the memory, and half the bytes attention reads per token; each value
// rounded to the nearest f16, as in llama.cpp's default cache).
enum class KvType { f32, f16 };
std::string_view kv_type_name(KvType type);  // "f32", "f16"
std::optional<KvType> find_kv_type(std::string_view name);

// One layer's cache as attention reads it: (context_length, kv_dim) keys and
// values, f32 or f16 as `type` says.
struct KvLayer {
    const void* keys = nullptr;
    const void* values = nullptr;
    KvType type = KvType::f32;
};

struct State {
    // Activations for the token being processed.
    std::vector<float> x;       // (dim,)  residual stream
    std::vector<float> xb;      // (dim,)  normed input, then wo's output before the residual add
    // (dim,) attention output (apart from xb: while one thread attends, another
    // may still read xb for its q/k/v rows), then w2's output before the residual add
    std::vector<float> xb2;
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
    // p of layer l starts at (l * context_length + p) * kv_dim. KvType::f32
    // fills key_cache/value_cache, KvType::f16 key_cache16/value_cache16
    // (the other pair stays empty).
    KvType kv_type = KvType::f32;
    std::vector<float> key_cache;
    std::vector<float> value_cache;
    std::vector<std::uint16_t> key_cache16;
    std::vector<std::uint16_t> value_cache16;
    std::size_t kv_dim = 0;          // values per position
    std::size_t kv_layer_stride = 0;  // context_length * kv_dim
    // KvType::f16: this position's k and v (kv_dim each) in f32, before they
    // are rounded into the cache (after RoPE for k).
    std::vector<float> kv_new;

    // Sized for `config`; the KV cache holds context_length positions.
    // Errors: ErrorCode::invalid_input "runtime.state_too_large" when the
    // cache size overflows, "runtime.out_of_memory" (internal) when the
    // allocation fails.
    static Result<State> create(const format::ModelConfig& config, KvType kv = KvType::f32);

    // Values in each of the two caches, whichever the type.
    std::size_t kv_values() const { return kv_type == KvType::f16 ? key_cache16.size() : key_cache.size(); }
    KvLayer kv_layer(std::size_t layer) const;
    // KvType::f16: positions [pos, pos + rows) of `layer` := the f32 rows of k
    // and v (kv_dim apart), rounded to f16.
    void store_f16(std::size_t layer, std::size_t pos, const float* k, const float* v, std::size_t rows) {
        store_f16(layer, pos, k, v, rows, 0, kv_dim);
    }
    // The same for elements [begin, end) of each row only (some KV heads).
    void store_f16(std::size_t layer, std::size_t pos, const float* k, const float* v, std::size_t rows,
                   std::size_t begin, std::size_t end);

    // Bytes held by all buffers (the KV cache dominates).
    std::uint64_t bytes() const;
};

}  // namespace slm::runtime
