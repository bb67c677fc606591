#include "runtime/ggml_forward.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "quant/ggml_compat.hpp"
#include "quant/kernels.hpp"
#include "quant/thread_pool.hpp"
#include "runtime/attention.hpp"

namespace slm::runtime {

namespace {

namespace gg = quant::ggml;
using format::DType;

// As quant/matvec.cpp: below this size one thread is faster (attention's
// threshold is forward()'s, attention.hpp).
constexpr std::size_t k_min_parallel_weights = 16 * 1024;
// Rows are handed out in groups of 8: q4_0_8x8 computes 8 rows per vector.
constexpr std::size_t k_row_group = 8;

struct Product {
    float* out;
    const quant::WeightView& w;
    std::size_t rows;
};

// out[begin, end) of one product with the kernel llama.cpp picks for its
// dtype and shape (docs/llama-cpp-numerics.md §2.3). x: f32 input (n,);
// xq/xs: its q8_0 form (quantized products only).
void product_rows(const gg::Kernels& k, const Product& p, const float* x, const std::int8_t* xq,
                  const float* xs, std::size_t n, bool batch, std::size_t begin, std::size_t end) {
    const std::size_t nb = n / gg::k_block;
    const std::size_t rows = end - begin;
    switch (p.w.dtype) {
        case DType::f32: {
            const bool tinyblas = batch && p.rows % 4 == 0 && n % 8 == 0;  // llamafile_sgemm's conditions
            k.rows_f32(static_cast<const float*>(p.w.values) + begin * n, x, n, rows, tinyblas, p.out + begin);
            return;
        }
        case DType::q8_0:
            k.rows_q8_0(static_cast<const std::int8_t*>(p.w.values) + begin * n, p.w.scales + begin * nb, xq, xs,
                        gg::k_block, n, rows, p.out + begin);
            return;
        case DType::q4_0: {
            const auto rows_fn = p.rows % 8 == 0 ? k.rows_q4_0_8x8 : k.rows_q4_0;  // repacked when rows % 8 == 0
            rows_fn(static_cast<const std::uint8_t*>(p.w.values) + begin * (n / 2), p.w.scales + begin * nb, xq, xs,
                    gg::k_block, n, rows, p.out + begin);
            return;
        }
    }
}

// Products reading the same input x (n,), rows split over the pool.
void products(const gg::Kernels& k, std::span<const Product> ps, const float* x, std::size_t n, bool batch,
              State& s, quant::ThreadPool* pool) {
    const bool quantized = std::any_of(ps.begin(), ps.end(), [](const Product& p) { return p.w.dtype != DType::f32; });
    if (quantized) quant::active_kernels().quantize_act_q8_0(x, n, gg::k_block, s.act_q.data(), s.act_scales.data());
    std::size_t groups = 0, weights = 0;
    for (const Product& p : ps) groups += (p.rows + k_row_group - 1) / k_row_group, weights += p.rows * n;
    // Global row groups [g0, g1) map to consecutive pieces of the products.
    auto run = [&](std::size_t g0, std::size_t g1) {
        std::size_t first = 0;
        for (const Product& p : ps) {
            const std::size_t count = (p.rows + k_row_group - 1) / k_row_group;
            const std::size_t b = std::max(g0, first), e = std::min(g1, first + count);
            if (b < e) {
                product_rows(k, p, x, s.act_q.data(), s.act_scales.data(), n, batch, (b - first) * k_row_group,
                             std::min(p.rows, (e - first) * k_row_group));
            }
            first += count;
        }
    };
    if (pool == nullptr || pool->size() == 1 || weights < k_min_parallel_weights) {
        run(0, groups);
    } else {
        pool->parallel_for(groups, run);
    }
}

}  // namespace

Status check_ggml_numerics(const Model& model) {
    auto check = [](const quant::WeightView& w) { return w.dtype == DType::f32 || w.block_size == gg::k_block; };
    bool ok = check(model.output()) && check(model.token_embedding());
    for (const LayerWeights& l : model.layers()) {
        for (const quant::WeightView* w : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w1, &l.w2, &l.w3}) ok = ok && check(*w);
    }
    if (ok) return {};
    return make_error(ErrorCode::incompatible, "runtime.numerics_unsupported",
                      "--numerics ggml needs q8_0/q4_0 blocks of 32 values (ggml's); this model has others");
}

Result<std::span<const float>> ggml_forward(const Model& model, State& s, std::uint32_t token, std::uint32_t pos,
                                            quant::ThreadPool* pool, Logits logits, StepBatch batch) {
    SLM_TRY(check_ggml_numerics(model));
    const format::ModelConfig& c = model.config();
    const gg::Kernels& k = gg::kernels();
    const std::size_t dim = c.dim(), kv_dim = c.kv_dim(), hd = c.head_dim, ffn = c.ffn_dim;
    const std::size_t layer_stride = std::size_t{c.context_length} * kv_dim;
    const std::size_t group = c.n_heads / c.n_kv_heads;
    const float kq_scale = 1.0f / std::sqrt(static_cast<float>(hd));
    const bool kqv_tinyblas = batch.prompt && hd % 4 == 0;  // sgemm: m = head_dim, k = n_kv (% 256)

    gg::rope_cache(s.rope_cos.data(), s.rope_sin.data(), hd, pos, c.rope_theta);
    model.embed(token, s.x.data());

    for (std::size_t l = 0; l < c.n_layers; ++l) {
        const LayerWeights& w = model.layers()[l];
        float* keys = s.key_cache.data() + l * layer_stride;
        float* values = s.value_cache.data() + l * layer_stride;
        float* kt = keys + pos * kv_dim;
        float* vt = values + pos * kv_dim;

        gg::rmsnorm(s.xb.data(), s.x.data(), w.attention_norm, dim, c.rms_eps);
        const Product qkv[] = {{s.q.data(), w.wq, dim}, {kt, w.wk, kv_dim}, {vt, w.wv, kv_dim}};
        products(k, qkv, s.xb.data(), dim, batch.prompt, s, pool);
        gg::rope(s.q.data(), c.n_heads, hd, s.rope_cos.data(), s.rope_sin.data());
        gg::rope(kt, c.n_kv_heads, hd, s.rope_cos.data(), s.rope_sin.data());

        // Heads [h0, h1): kq -> softmax -> kqv into xb (head_dim each).
        auto attend = [&](std::size_t h0, std::size_t h1) {
            for (std::size_t h = h0; h < h1; ++h) {
                const std::size_t kv_offset = (h / group) * hd;
                float* att = s.att.data() + h * c.context_length;
                k.kq(s.q.data() + h * hd, keys + kv_offset, kv_dim, hd, pos + 1, att);
                k.softmax(att, pos + 1, kq_scale);
                k.kqv(att, values + kv_offset, kv_dim, hd, pos + 1, kqv_tinyblas, s.xb.data() + h * hd);
            }
        };
        if (pool == nullptr || pool->size() == 1 || std::size_t{c.n_heads} * (pos + 1) * hd < k_min_parallel_attention) {
            attend(0, c.n_heads);
        } else {
            pool->parallel_for(c.n_heads, attend);
        }
        const Product wo[] = {{s.xb2.data(), w.wo, dim}};
        products(k, wo, s.xb.data(), dim, batch.prompt, s, pool);
        for (std::size_t i = 0; i < dim; ++i) s.x[i] = s.xb2[i] + s.x[i];

        // After the last layer's attention llama.cpp keeps only the output rows.
        const bool ffn_batch = batch.prompt && (l + 1 < c.n_layers || batch.many_outputs);
        gg::rmsnorm(s.xb.data(), s.x.data(), w.ffn_norm, dim, c.rms_eps);
        const Product up_gate[] = {{s.hb2.data(), w.w3, ffn}, {s.hb.data(), w.w1, ffn}};
        products(k, up_gate, s.xb.data(), dim, ffn_batch, s, pool);
        k.swiglu(s.hb.data(), s.hb2.data(), ffn);
        const Product down[] = {{s.xb2.data(), w.w2, dim}};
        products(k, down, s.hb.data(), ffn, ffn_batch, s, pool);
        for (std::size_t i = 0; i < dim; ++i) s.x[i] = s.xb2[i] + s.x[i];
    }

    if (logits == Logits::skip) return std::span<const float>{};
    gg::rmsnorm(s.x.data(), s.x.data(), model.final_norm(), dim, c.rms_eps);
    const Product out[] = {{s.logits.data(), model.output(), c.vocab_size}};
    products(k, out, s.x.data(), dim, batch.prompt && batch.many_outputs, s, pool);
    return std::span<const float>(s.logits);
}

}  // namespace slm::runtime
