#include "runtime/forward.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "quant/kernels.hpp"
#include "quant/matvec.hpp"
#include "quant/thread_pool.hpp"
#include "runtime/attention.hpp"
#include "runtime/ggml_forward.hpp"

namespace slm::runtime {

namespace {

// Causal attention for query heads [begin, end) of one layer (attend_head).
struct AttendHeads {
    const format::ModelConfig& c;
    State& s;
    KvLayer kv;  // this layer's cache
    std::size_t pos;
    const quant::KernelSet& kernels;

    void operator()(std::size_t begin, std::size_t end) const {
        for (std::size_t h = begin; h < end; ++h) {
            attend_head(c, kernels, s.q.data() + h * c.head_dim, h, kv, pos,
                        s.att.data() + h * c.context_length, s.xb2.data() + h * c.head_dim);
        }
    }
};

}  // namespace

void rmsnorm(float* out, const float* x, const float* w, std::size_t n, float eps) {
    double ss = 0.0;
    for (std::size_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * static_cast<double>(x[i]);
    const auto inv = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + static_cast<double>(eps)));
    for (std::size_t i = 0; i < n; ++i) out[i] = w[i] * (inv * x[i]);
}

Result<std::span<const float>> forward(const Model& model, State& s, std::uint32_t token, std::uint32_t pos,
                                       quant::ThreadPool* pool, Logits logits,
                                       quant::ActivationMode activations, Numerics numerics, StepBatch batch) {
    const format::ModelConfig& c = model.config();
    if (token >= c.vocab_size) {
        return make_error(ErrorCode::invalid_input, "runtime.bad_token",
                          "token id " + std::to_string(token) + " is outside the vocabulary (size " +
                              std::to_string(c.vocab_size) + ")");
    }
    if (pos >= c.context_length) {
        return make_error(ErrorCode::invalid_input, "runtime.context_full",
                          "position " + std::to_string(pos) + " is beyond the context length " +
                              std::to_string(c.context_length));
    }
    if (s.kv_values() != std::size_t{c.n_layers} * c.context_length * c.kv_dim() ||
        s.logits.size() != c.vocab_size || s.hb.size() != c.ffn_dim || s.x.size() != c.dim()) {
        return make_error(ErrorCode::internal, "runtime.state_mismatch",
                          "the state was not created for this model's configuration");
    }
    if (numerics == Numerics::ggml) {
        if (s.kv_type != KvType::f32) {
            return make_error(ErrorCode::incompatible, "runtime.numerics_unsupported",
                              "ggml numerics reproduce llama.cpp with an f32 KV cache; this session's is " +
                                  std::string(kv_type_name(s.kv_type)));
        }
        return ggml_forward(model, s, token, pos, pool, logits, batch);
    }

    const std::size_t dim = c.dim();
    const std::size_t kv_dim = c.kv_dim();
    const std::size_t ffn = c.ffn_dim;
    const std::size_t layer_stride = std::size_t{c.context_length} * kv_dim;
    const std::size_t hd = c.head_dim;
    const std::size_t group = c.n_heads / c.n_kv_heads;  // query heads per KV head
    // With a whole number of KV heads per thread, each thread computes its
    // heads' projections and attention in one go (same values either way).
    const bool heads_per_thread = pool != nullptr && pool->size() > 1 && c.n_kv_heads % pool->size() == 0;

    // cos/sin of pos * freq_i, computed in double once per step.
    const std::vector<double>& freqs = model.rope_frequencies();
    rope_angles(freqs.data(), freqs.size(), pos, s.rope_cos.data(), s.rope_sin.data());

    model.embed(token, s.x.data());  // x (dim,) = tok_embeddings[token]

    // An activation vector as matvec input; its int8 form (q8_0 mode) is
    // made once and shared by the products that read it.
    auto input = [&](const float* x, std::size_t n) {
        return quant::MatvecInput(x, n, activations, s.act_q.data(), s.act_scales.data());
    };
    const quant::KernelSet& kernels = quant::active_kernels();

    for (std::size_t l = 0; l < c.n_layers; ++l) {
        const LayerWeights& w = model.layers()[l];
        // This position's k and v: straight into an f32 cache; for an f16
        // one, into kv_new, rounded into the cache after RoPE.
        const bool f16 = s.kv_type == KvType::f16;
        float* k = f16 ? s.kv_new.data() : s.key_cache.data() + l * layer_stride + pos * kv_dim;
        float* v = f16 ? s.kv_new.data() + kv_dim : s.value_cache.data() + l * layer_stride + pos * kv_dim;

        // Attention block. q, k, v in one pass over the pool:
        // (dim, dim) @ (dim,) -> (dim,); (kv_dim, dim) @ (dim,) -> (kv_dim,) twice.
        rmsnorm(s.xb.data(), s.x.data(), w.attention_norm, dim, c.rms_eps);
        auto attn_in = input(s.xb.data(), dim);
        const quant::MatvecOutput qkv[] = {{s.q.data(), w.wq, dim}, {k, w.wk, kv_dim}, {v, w.wv, kv_dim}};
        const AttendHeads attend{c, s, s.kv_layer(l), pos, kernels};
        // KV heads [a, b) and their query heads: rotated, stored in the cache.
        auto place = [&](std::size_t a, std::size_t b) {
            rope(s.q.data() + a * group * hd, (b - a) * group, hd, s.rope_cos.data(), s.rope_sin.data());
            rope(k + a * hd, b - a, hd, s.rope_cos.data(), s.rope_sin.data());
            if (f16) s.store_f16(l, pos, k, v, 1, a * hd, b * hd);
        };
        if (heads_per_thread) {
            // Each thread's KV heads only need its own q, k and v rows: one
            // hand-off for the projections and attention.
            quant::matvec_units(qkv, c.n_kv_heads, attn_in, pool, [&](std::size_t a, std::size_t b) {
                place(a, b);
                attend(a * group, b * group);
            });
        } else {
            quant::matvec(qkv, attn_in, pool);
            place(0, c.n_kv_heads);
            const std::size_t work = std::size_t{c.n_heads} * (pos + 1) * hd;
            if (pool == nullptr || pool->size() == 1 || work < k_min_parallel_attention) {
                attend(0, c.n_heads);
            } else {
                pool->parallel_for(c.n_heads, attend);
            }
        }
        auto out_in = input(s.xb2.data(), dim);
        quant::matvec(s.xb.data(), w.wo, out_in, dim, pool);  // (dim, dim) @ (dim,)
        for (std::size_t i = 0; i < dim; ++i) s.x[i] += s.xb[i];

        // Feed-forward block (SwiGLU): gate and up in one pass, (ffn, dim) @ (dim,) each.
        rmsnorm(s.xb.data(), s.x.data(), w.ffn_norm, dim, c.rms_eps);
        // hb = silu(w1 xb) * (w3 xb), each chunk of rows finished by its thread.
        auto ffn_in = input(s.xb.data(), dim);
        const quant::MatvecOutput gate_up[] = {{s.hb.data(), w.w1, ffn}, {s.hb2.data(), w.w3, ffn}};
        quant::matvec_zip(gate_up, ffn_in, pool, [&s, &kernels](std::size_t begin, std::size_t end) {
            kernels.silu_mul(s.hb.data() + begin, s.hb2.data() + begin, end - begin);
        });
        auto down_in = input(s.hb.data(), ffn);
        quant::matvec(s.xb2.data(), w.w2, down_in, dim, pool);  // (dim, ffn) @ (ffn,) -> (dim,)
        for (std::size_t i = 0; i < dim; ++i) s.x[i] += s.xb2[i];
    }

    if (logits == Logits::skip) return std::span<const float>{};
    rmsnorm(s.x.data(), s.x.data(), model.final_norm(), dim, c.rms_eps);
    auto final_in = input(s.x.data(), dim);
    quant::matvec(s.logits.data(), model.output(), final_in, c.vocab_size, pool);  // (vocab, dim) @ (dim,)
    return std::span<const float>(s.logits);
}

}  // namespace slm::runtime
