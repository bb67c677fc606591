#include "runtime/state.hpp"

#include <algorithm>
#include <limits>
#include <new>
#include <string>

#include "core/bytes.hpp"
#include "quant/f16.hpp"

namespace slm::runtime {

namespace {

void allocate(State& s, const format::ModelConfig& c, std::size_t cache, KvType kv) {
    s.x.resize(c.dim());
    s.xb.resize(c.dim());
    s.xb2.resize(c.dim());
    s.q.resize(c.dim());
    s.hb.resize(c.ffn_dim);
    s.hb2.resize(c.ffn_dim);
    s.att.resize(static_cast<std::size_t>(c.n_heads) * c.context_length);
    s.rope_cos.resize(c.head_dim / 2);
    s.rope_sin.resize(c.head_dim / 2);
    s.logits.resize(c.vocab_size);
    s.act_q.resize(std::max(c.dim(), c.ffn_dim));
    s.act_scales.resize(std::max(c.dim(), c.ffn_dim));
    s.kv_type = kv;
    s.kv_dim = c.kv_dim();
    s.kv_layer_stride = std::size_t{c.context_length} * c.kv_dim();
    if (kv == KvType::f16) {
        s.key_cache16.resize(cache);
        s.value_cache16.resize(cache);
        s.kv_new.resize(2 * std::size_t{c.kv_dim()});
    } else {
        s.key_cache.resize(cache);
        s.value_cache.resize(cache);
    }
}

}  // namespace

std::string_view kv_type_name(KvType type) { return type == KvType::f16 ? "f16" : "f32"; }

std::optional<KvType> find_kv_type(std::string_view name) {
    if (name == "f32") return KvType::f32;
    if (name == "f16") return KvType::f16;
    return std::nullopt;
}

Result<State> State::create(const format::ModelConfig& c, KvType kv) {
    // n_layers * context_length * kv_dim floats per cache; every factor is a
    // u32 from the header, so the product can exceed what size_t addresses.
    std::uint64_t cache = 0;
    if (!checked_mul(c.n_layers, c.context_length, cache) || !checked_mul(cache, c.kv_dim(), cache) ||
        cache > std::numeric_limits<std::size_t>::max() / (2 * sizeof(float))) {
        return make_error(ErrorCode::invalid_input, "runtime.state_too_large",
                          "KV cache for " + std::to_string(c.n_layers) + " layers x " +
                              std::to_string(c.context_length) + " positions x " + std::to_string(c.kv_dim()) +
                              " values does not fit in memory");
    }
    State s;
#if defined(__cpp_exceptions)
    try {
        allocate(s, c, static_cast<std::size_t>(cache), kv);
    } catch (const std::bad_alloc&) {
        return make_error(ErrorCode::internal, "runtime.out_of_memory",
                          "cannot allocate the KV cache (" +
                              std::to_string(2 * cache * (kv == KvType::f16 ? 2 : sizeof(float))) +
                              " bytes) and activations");
    }
#else
    // Without exceptions a failed allocation aborts; callers that must
    // survive it (the WASM ABI) compare required_bytes() with what they have.
    allocate(s, c, static_cast<std::size_t>(cache), kv);
#endif
    return s;
}

std::uint64_t State::bytes() const {
    std::uint64_t n = 0;
    for (const auto* v : {&x, &xb, &xb2, &q, &hb, &hb2, &att, &rope_cos, &rope_sin, &logits, &key_cache,
                          &value_cache, &act_scales, &kv_new})
        n += v->size() * sizeof(float);
    n += (key_cache16.size() + value_cache16.size()) * sizeof(std::uint16_t);
    return n + act_q.size();
}

KvLayer State::kv_layer(std::size_t layer) const {
    const std::size_t at = layer * kv_layer_stride;
    if (kv_type == KvType::f16) return {key_cache16.data() + at, value_cache16.data() + at, KvType::f16};
    return {key_cache.data() + at, value_cache.data() + at, KvType::f32};
}

void State::store_f16(std::size_t layer, std::size_t pos, const float* k, const float* v, std::size_t rows,
                      std::size_t begin, std::size_t end) {
    for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t at = layer * kv_layer_stride + (pos + r) * kv_dim;
        for (std::size_t i = begin; i < end; ++i) {
            key_cache16[at + i] = quant::fp32_to_fp16(k[r * kv_dim + i]);
            value_cache16[at + i] = quant::fp32_to_fp16(v[r * kv_dim + i]);
        }
    }
}

}  // namespace slm::runtime
