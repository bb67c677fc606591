// In-memory models for runtime tests: the fixtures' shape, a parsed model
// with what points into its bytes, and helpers to run it.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "format/reader.hpp"
#include "format/writer.hpp"
#include "quant/dtype_traits.hpp"
#include "quant/kernels.hpp"
#include "runtime/generate.hpp"
#include "runtime/model.hpp"
#include "runtime/session.hpp"
#include "tiny_model.hpp"
#include "tokenizer/tokenizer.hpp"

namespace slm::test {

// Like the fixtures: dim 32, 2 layers, 4 heads of 8, ffn 64, context 128.
inline format::ModelConfig fixture_config(std::uint32_t kv_heads = 4, bool tied = false) {
    format::ModelConfig c;
    c.vocab_size = test::k_byte_vocab;
    c.n_layers = 2;
    c.n_heads = 4;
    c.n_kv_heads = kv_heads;
    c.head_dim = 8;
    c.ffn_dim = 64;
    c.context_length = 128;
    c.tied_output = tied;
    return c;
}

// Large enough that matvecs (>= 16K weights) and attention (late positions)
// are really split across a pool, with GQA: dim 128, 8 heads over 4 KV
// heads, ffn 256, context 160.
inline format::ModelConfig threaded_config() {
    format::ModelConfig c = fixture_config(4);
    c.n_heads = 8;
    c.n_kv_heads = 4;
    c.head_dim = 16;
    c.ffn_dim = 256;
    c.context_length = 160;
    return c;
}

// A parsed model with everything that points into its bytes.
struct Loaded {
    std::vector<std::uint8_t> bytes;
    std::optional<format::SlmView> view;
    std::optional<runtime::Model> model;
    std::optional<tokenizer::Tokenizer> tok;
};

inline std::unique_ptr<Loaded> load(std::vector<std::uint8_t> bytes) {
    auto l = std::make_unique<Loaded>();
    l->bytes = std::move(bytes);
    auto view = format::parse_slm(l->bytes, "test.slm");
    REQUIRE_MESSAGE(view.ok(), view.error().message);
    l->view.emplace(std::move(*view));
    auto model = runtime::Model::create(*l->view);
    REQUIRE_MESSAGE(model.ok(), model.error().message);
    l->model.emplace(std::move(*model));
    auto tok = tokenizer::Tokenizer::create(l->view->tokenizer());
    REQUIRE(tok.ok());
    l->tok.emplace(std::move(*tok));
    return l;
}

inline std::unique_ptr<Loaded> load(const format::SlmInput& input) {
    auto bytes = format::write_slm(input);
    REQUIRE_MESSAGE(bytes.ok(), bytes.error().message);
    return load(std::move(*bytes));
}

inline std::unique_ptr<Loaded> load_spec(const format::ModelConfig& c, std::uint64_t seed = 1) {
    test::TinySpec spec;
    spec.config = c;
    spec.seed = seed;
    return load(test::make_tiny_slm(spec));
}

// BOS + the bytes of a short text: 20 positions.
inline std::vector<std::uint32_t> sample_tokens() {
    std::vector<std::uint32_t> ids = {test::k_byte_bos};
    for (unsigned char ch : std::string("the tiny model runs")) ids.push_back(ch);
    return ids;
}

// Logits of every position, back to back.
inline std::vector<float> sequence_logits(const runtime::Model& m, const std::vector<std::uint32_t>& tokens,
                                   unsigned threads = 1,
                                   quant::ActivationMode activations = quant::ActivationMode::f32) {
    auto session = runtime::Session::create(m, {threads, activations});
    REQUIRE(session.ok());
    std::vector<float> out;
    for (std::uint32_t t : tokens) {
        auto logits = session->feed(t);
        REQUIRE_MESSAGE(logits.ok(), logits.error().message);
        out.insert(out.end(), logits->begin(), logits->end());
    }
    return out;
}

inline double nmse(const std::vector<float>& a, const std::vector<float>& ref) {
    REQUIRE(a.size() == ref.size());
    double num = 0.0, den = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double d = static_cast<double>(a[i]) - static_cast<double>(ref[i]);
        num += d * d;
        den += static_cast<double>(ref[i]) * static_cast<double>(ref[i]);
    }
    return num / den;
}

inline double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
    REQUIRE(a.size() == b.size());
    double m = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        m = std::max(m, std::fabs(static_cast<double>(a[i]) - static_cast<double>(b[i])));
    }
    return m;
}

inline runtime::GenerationResult greedy(const Loaded& l, std::uint32_t n, unsigned threads = 1,
                                 quant::ActivationMode activations = quant::ActivationMode::f32) {
    runtime::GenerateOptions o;
    o.max_tokens = n;
    o.threads = threads;
    o.activations = activations;
    auto r = runtime::generate(*l.model, *l.tok, sample_tokens(), o);
    REQUIRE_MESSAGE(r.ok(), r.error().message);
    return std::move(*r);
}

// The f32 values of a TinyModel tensor, writable.
inline float* tensor_values(test::TinyModel& m, const std::string& name) {
    for (auto& t : m.input.tensors) {
        if (t.name == name) return reinterpret_cast<float*>(const_cast<std::uint8_t*>(t.data.data()));
    }
    FAIL("no tensor " << name);
    return nullptr;
}

// Stores every matrix of `input` as `dtype` (block 32); `dequantized`, if
// given, receives the same model with the dequantized values in f32.
// `storage` owns the new bytes.
inline void quantize_matrices(format::SlmInput& input, format::DType dtype,
                              std::vector<std::vector<std::uint8_t>>& storage,
                              format::SlmInput* dequantized = nullptr) {
    const quant::DTypeTraits& traits = quant::dtype_traits(dtype);
    storage.reserve(storage.size() + 3 * input.tensors.size());
    for (std::size_t i = 0; i < input.tensors.size(); ++i) {
        format::TensorInput& t = input.tensors[i];
        if (t.dims.size() != 2) continue;  // norms stay f32
        const std::size_t n = static_cast<std::size_t>(t.dims[0]) * t.dims[1];
        std::vector<std::uint8_t> values(traits.value_bytes(n));
        std::vector<std::uint8_t> scales(traits.scale_count(n, 32) * sizeof(float));
        std::vector<std::uint8_t> back(n * sizeof(float));
        auto* scale_values = reinterpret_cast<float*>(scales.data());
        REQUIRE(traits.quantize_row_ref(reinterpret_cast<const float*>(t.data.data()), n, 32, values.data(),
                                        scale_values)
                    .ok());
        traits.dequantize_row(values.data(), scale_values, 32, reinterpret_cast<float*>(back.data()), n);
        storage.push_back(std::move(values));
        t.data = storage.back();
        storage.push_back(std::move(scales));
        t.scales = storage.back();
        t.dtype = dtype;
        t.block_size = 32;
        storage.push_back(std::move(back));
        if (dequantized != nullptr) dequantized->tensors[i].data = storage.back();
    }
}

// Restores the process-wide kernel choice when a test changes it.
struct KernelGuard {
    std::string saved{quant::kernel_name()};
    ~KernelGuard() { (void)quant::select_kernels(saved); }
};

}  // namespace slm::test
