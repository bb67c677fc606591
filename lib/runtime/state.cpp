#include "runtime/state.hpp"

#include <algorithm>
#include <limits>
#include <new>
#include <string>

#include "core/bytes.hpp"

namespace slm::runtime {

namespace {

void allocate(State& s, const format::ModelConfig& c, std::size_t cache) {
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
    s.key_cache.resize(cache);
    s.value_cache.resize(cache);
}

}  // namespace

Result<State> State::create(const format::ModelConfig& c) {
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
        allocate(s, c, static_cast<std::size_t>(cache));
    } catch (const std::bad_alloc&) {
        return make_error(ErrorCode::internal, "runtime.out_of_memory",
                          "cannot allocate the KV cache (" +
                              std::to_string(2 * cache * sizeof(float)) + " bytes) and activations");
    }
#else
    // Without exceptions a failed allocation aborts; callers that must
    // survive it (the WASM ABI) compare required_bytes() with what they have.
    allocate(s, c, static_cast<std::size_t>(cache));
#endif
    return s;
}

std::uint64_t State::bytes() const {
    std::uint64_t n = 0;
    for (const auto* v : {&x, &xb, &xb2, &q, &hb, &hb2, &att, &rope_cos, &rope_sin, &logits, &key_cache,
                          &value_cache, &act_scales})
        n += v->size() * sizeof(float);
    return n + act_q.size();
}

}  // namespace slm::runtime
