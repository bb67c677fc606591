#include "runtime/forward_batch.hpp"

#include <cassert>
#include <cmath>
#include <string>
#include <vector>

#include "quant/kernels.hpp"
#include "quant/matmul.hpp"
#include "quant/thread_pool.hpp"
#include "runtime/attention.hpp"
#include "runtime/forward.hpp"

namespace slm::runtime {

Status check_positions(const format::ModelConfig& c, std::span<const std::uint32_t> tokens, std::uint32_t pos) {
    for (std::uint32_t token : tokens) {
        if (token >= c.vocab_size) {
            return make_error(ErrorCode::invalid_input, "runtime.bad_token",
                              "token id " + std::to_string(token) + " is outside the vocabulary (size " +
                                  std::to_string(c.vocab_size) + ")");
        }
    }
    if (std::uint64_t{pos} + tokens.size() > c.context_length) {
        return make_error(ErrorCode::invalid_input, "runtime.context_full",
                          std::to_string(tokens.size()) + " tokens from position " + std::to_string(pos) +
                              " go beyond the context length " + std::to_string(c.context_length));
    }
    return {};
}

namespace {

Status check_batch(const format::ModelConfig& c, const State& s, const BatchState& b,
                   std::span<const std::uint32_t> tokens, std::uint32_t pos) {
    SLM_TRY(check_positions(c, tokens, pos));
    if (s.kv_values() != std::size_t{c.n_layers} * c.context_length * c.kv_dim() ||
        s.logits.size() != c.vocab_size || b.x.size() != b.capacity * c.dim() ||
        b.hb.size() != b.capacity * c.ffn_dim || tokens.size() > b.capacity) {
        return make_error(ErrorCode::internal, "runtime.state_mismatch",
                          "the state or batch was not created for this model's configuration and batch size");
    }
    return {};
}

// The batch's views of one layer's work; t indexes positions of the batch.
struct BatchLayer {
    const format::ModelConfig& c;
    BatchState& b;
    std::size_t count;  // positions in this batch
    std::uint32_t pos;  // position of the first
    quant::ActivationMode activations;
    quant::ThreadPool* pool;

    float* row(std::vector<float>& v, std::size_t t, std::size_t width) const { return v.data() + t * width; }

    // One matmul input per position: rows of `v` with `width` floats.
    std::vector<quant::MatvecInput> inputs(std::vector<float>& v, std::size_t width) const {
        std::vector<quant::MatvecInput> xs;
        xs.reserve(count);
        const std::size_t stride = b.act_stride();
        for (std::size_t t = 0; t < count; ++t) {
            xs.emplace_back(row(v, t, width), width, activations, b.act_q.data() + t * stride,
                            b.act_scales.data() + t * stride);
        }
        return xs;
    }

    void rmsnorm_rows(std::vector<float>& out, std::vector<float>& x, const float* w) const {
        for (std::size_t t = 0; t < count; ++t) {
            rmsnorm(row(out, t, c.dim()), row(x, t, c.dim()), w, c.dim(), c.rms_eps);
        }
    }

    // x += xb2 for every position (the residual connection).
    void add_residual() const {
        for (std::size_t i = 0; i < count * c.dim(); ++i) b.x[i] += b.xb2[i];
    }

    void attention(const quant::KernelSet& kernels, const KvLayer& kv) const {
        const std::size_t heads = c.n_heads;
        auto attend = [&](std::size_t begin, std::size_t end) {
            // Head-major: a thread's contiguous range covers whole heads at
            // every position, so later positions' longer rows do not pile up
            // on the last thread.
            for (std::size_t i = begin; i < end; ++i) {
                const std::size_t h = i / count, t = i % count;
                attend_head(c, kernels, row(b.q, t, c.dim()) + h * c.head_dim, h, kv, pos + t,
                            b.att.data() + i * c.context_length, row(b.xb, t, c.dim()) + h * c.head_dim);
            }
        };
        // Multiply-adds of the whole batch, as forward()'s threshold counts them.
        const std::size_t work = heads * c.head_dim * (count * (pos + 1) + count * (count - 1) / 2);
        if (pool == nullptr || pool->size() == 1 || work < k_min_parallel_attention) {
            attend(0, count * heads);
        } else {
            pool->parallel_for(count * heads, attend);
        }
    }
};

}  // namespace

Result<std::span<const float>> forward_batch(const Model& model, State& s, BatchState& b,
                                             std::span<const std::uint32_t> tokens, std::uint32_t pos,
                                             quant::ThreadPool* pool, BatchLogits logits,
                                             quant::ActivationMode activations) {
    const format::ModelConfig& c = model.config();
    SLM_TRY(check_batch(c, s, b, tokens, pos));
    if (logits == BatchLogits::all) SLM_TRY(b.reserve_logits(c.vocab_size));  // before the cache changes
    if (tokens.empty()) return std::span<const float>{};
    const std::size_t count = tokens.size();
    const std::size_t dim = c.dim();
    const std::size_t kv_dim = c.kv_dim();
    const std::size_t ffn = c.ffn_dim;
    const std::size_t half = c.head_dim / 2;
    const std::size_t layer_stride = std::size_t{c.context_length} * kv_dim;
    const BatchLayer L{c, b, count, pos, activations, pool};
    const quant::KernelSet& kernels = quant::active_kernels();

    const std::vector<double>& freqs = model.rope_frequencies();
    for (std::size_t t = 0; t < count; ++t) {
        rope_angles(freqs.data(), freqs.size(), pos + t, b.rope_cos.data() + t * half, b.rope_sin.data() + t * half);
        model.embed(tokens[t], L.row(b.x, t, dim));
    }

    for (std::size_t l = 0; l < c.n_layers; ++l) {
        const LayerWeights& w = model.layers()[l];
        // The batch's k and v rows, consecutive: straight into an f32 cache;
        // for an f16 one, into kv_new, rounded into the cache after RoPE.
        const bool f16 = s.kv_type == KvType::f16;
        float* k = f16 ? b.kv_new.data() : s.key_cache.data() + l * layer_stride + std::size_t{pos} * kv_dim;
        float* v = f16 ? b.kv_new.data() + count * kv_dim
                       : s.value_cache.data() + l * layer_stride + std::size_t{pos} * kv_dim;

        L.rmsnorm_rows(b.xb, b.x, w.attention_norm);
        auto attn_in = L.inputs(b.xb, dim);
        const quant::MatmulOutput qkv[] = {{b.q.data(), dim, w.wq, dim}, {k, kv_dim, w.wk, kv_dim},
                                           {v, kv_dim, w.wv, kv_dim}};
        quant::matmul(qkv, attn_in, pool);
        for (std::size_t t = 0; t < count; ++t) {
            const float* cos_t = b.rope_cos.data() + t * half;
            const float* sin_t = b.rope_sin.data() + t * half;
            rope(L.row(b.q, t, dim), c.n_heads, c.head_dim, cos_t, sin_t);
            rope(k + t * kv_dim, c.n_kv_heads, c.head_dim, cos_t, sin_t);
        }
        if (f16) s.store_f16(l, pos, k, v, count);
        L.attention(kernels, s.kv_layer(l));

        auto out_in = L.inputs(b.xb, dim);
        const quant::MatmulOutput wo[] = {{b.xb2.data(), dim, w.wo, dim}};
        quant::matmul(wo, out_in, pool);
        L.add_residual();

        L.rmsnorm_rows(b.xb, b.x, w.ffn_norm);
        auto ffn_in = L.inputs(b.xb, dim);
        const quant::MatmulOutput gate_up[] = {{b.hb.data(), ffn, w.w1, ffn}, {b.hb2.data(), ffn, w.w3, ffn}};
        quant::matmul_zip(gate_up, ffn_in, pool, [&](std::size_t begin, std::size_t end) {
            for (std::size_t t = 0; t < count; ++t) {
                float* hb = L.row(b.hb, t, ffn);
                const float* hb2 = L.row(b.hb2, t, ffn);
                kernels.silu_mul(hb + begin, hb2 + begin, end - begin);
            }
        });
        auto down_in = L.inputs(b.hb, ffn);
        const quant::MatmulOutput down[] = {{b.xb2.data(), dim, w.w2, dim}};
        quant::matmul(down, down_in, pool);
        L.add_residual();
    }

    switch (logits) {
        case BatchLogits::none:
            return std::span<const float>{};
        case BatchLogits::last: {
            float* x = L.row(b.x, count - 1, dim);
            rmsnorm(x, x, model.final_norm(), dim, c.rms_eps);
            quant::MatvecInput in(x, dim, activations, b.act_q.data(), b.act_scales.data());
            quant::matvec(s.logits.data(), model.output(), in, c.vocab_size, pool);
            return std::span<const float>(s.logits);
        }
        case BatchLogits::all: {
            for (std::size_t t = 0; t < count; ++t) {
                float* x = L.row(b.x, t, dim);
                rmsnorm(x, x, model.final_norm(), dim, c.rms_eps);
            }
            auto final_in = L.inputs(b.x, dim);
            const quant::MatmulOutput out[] = {{b.logits.data(), c.vocab_size, model.output(), c.vocab_size}};
            quant::matmul(out, final_in, pool);
            return std::span<const float>(b.logits.data(), count * c.vocab_size);
        }
    }
    assert(false && "forward_batch: invalid BatchLogits");
    return std::span<const float>{};
}

}  // namespace slm::runtime
