#include "runtime/batch_state.hpp"

#include <algorithm>
#include <new>
#include <string>

namespace slm::runtime {

namespace {

void allocate(BatchState& b, const format::ModelConfig& c, std::size_t n, KvType kv) {
    b.x.resize(n * c.dim());
    b.xb.resize(n * c.dim());
    b.xb2.resize(n * c.dim());
    b.q.resize(n * c.dim());
    b.hb.resize(n * c.ffn_dim);
    b.hb2.resize(n * c.ffn_dim);
    b.att.resize(n * c.n_heads * c.context_length);
    b.rope_cos.resize(n * (c.head_dim / 2));
    b.rope_sin.resize(n * (c.head_dim / 2));
    b.act_q.resize(n * std::max(c.dim(), c.ffn_dim));
    b.act_scales.resize(n * std::max(c.dim(), c.ffn_dim));
    if (kv == KvType::f16) b.kv_new.resize(2 * n * c.kv_dim());
}

}  // namespace

Result<BatchState> BatchState::create(const format::ModelConfig& c, std::size_t capacity, KvType kv) {
    BatchState b;
    b.capacity = capacity;
#if defined(__cpp_exceptions)
    try {
        allocate(b, c, capacity, kv);
    } catch (const std::bad_alloc&) {
        return make_error(ErrorCode::internal, "runtime.out_of_memory",
                          "cannot allocate activations for a batch of " + std::to_string(capacity) + " positions");
    }
#else
    allocate(b, c, capacity, kv);
#endif
    return b;
}

Status BatchState::reserve_logits(std::size_t vocab_size) {
    if (logits.size() >= capacity * vocab_size) return {};
#if defined(__cpp_exceptions)
    try {
        logits.resize(capacity * vocab_size);
    } catch (const std::bad_alloc&) {
        return make_error(ErrorCode::internal, "runtime.out_of_memory",
                          "cannot allocate the logits of a batch of " + std::to_string(capacity) + " positions");
    }
#else
    logits.resize(capacity * vocab_size);
#endif
    return {};
}

}  // namespace slm::runtime
