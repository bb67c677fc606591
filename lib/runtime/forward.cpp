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
                        s.att.data() + h * c.context_length, s.xb.data() + h * c.head_dim);
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

void softmax(float* x, std::size_t n) {
    const float max = *std::max_element(x, x + n);
    double sum = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        x[i] = std::exp(x[i] - max);
        sum += static_cast<double>(x[i]);
    }
    const auto inv = static_cast<float>(1.0 / sum);
    for (std::size_t i = 0; i < n; ++i) x[i] *= inv;
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
        quant::matvec(qkv, attn_in, pool);
        rope(s.q.data(), c.n_heads, c.head_dim, s.rope_cos.data(), s.rope_sin.data());
        rope(k, c.n_kv_heads, c.head_dim, s.rope_cos.data(), s.rope_sin.data());
        if (f16) s.store_f16(l, pos, k, v, 1);

        const AttendHeads attend{c, s, s.kv_layer(l), pos, kernels};
        const std::size_t work = std::size_t{c.n_heads} * (pos + 1) * c.head_dim;
        if (pool == nullptr || pool->size() == 1 || work < k_min_parallel_attention) {
            attend(0, c.n_heads);
        } else {
            pool->parallel_for(c.n_heads, attend);
        }
        auto out_in = input(s.xb.data(), dim);
        quant::matvec(s.xb2.data(), w.wo, out_in, dim, pool);  // (dim, dim) @ (dim,)
        for (std::size_t i = 0; i < dim; ++i) s.x[i] += s.xb2[i];

        // Feed-forward block (SwiGLU): gate and up in one pass, (ffn, dim) @ (dim,) each.
        rmsnorm(s.xb.data(), s.x.data(), w.ffn_norm, dim, c.rms_eps);
        // hb = silu(w1 xb) * (w3 xb), each chunk of rows finished by its thread.
        auto ffn_in = input(s.xb.data(), dim);
        const quant::MatvecOutput gate_up[] = {{s.hb.data(), w.w1, ffn}, {s.hb2.data(), w.w3, ffn}};
        quant::matvec_zip(gate_up, ffn_in, pool, [&s](std::size_t begin, std::size_t end) {
            for (std::size_t i = begin; i < end; ++i) {
                const float g = s.hb[i];
                s.hb[i] = g / (1.0f + std::exp(-g)) * s.hb2[i];
            }
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
