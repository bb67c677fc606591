// runtime: Numerics::ggml on in-memory models. Bit-identity with llama.cpp
// itself is checked by tests/peers/test_llama_cpp.sh (crosscheck.py); the
// recipes are pinned in test_quant_ggml_compat.cpp. Here: the mode is
// deterministic (threads, kernel sets), close to the native numerics, and
// refuses what ggml has no counterpart for.
#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "format/reader.hpp"
#include "quant/kernels.hpp"
#include "runtime/generate.hpp"
#include "runtime/model.hpp"
#include "runtime/session.hpp"
#include "support/runtime_models.hpp"
#include "support/tiny_model.hpp"
#include "tokenizer/tokenizer.hpp"

using namespace slm;
using slm::test::fixture_config;
using slm::test::Loaded;
using slm::test::nmse;

namespace {

// Like the fixtures (dim 32, 2 layers, 4 heads of 8, ffn 64, context 128),
// with matrices stored as `dtype`.
std::unique_ptr<Loaded> load(format::DType dtype, std::uint32_t kv_heads = 4, std::uint32_t block_size = 0) {
    test::TinySpec spec;
    spec.config = fixture_config(kv_heads);
    spec.matrix_dtype = dtype;
    spec.block_size = block_size;
    return test::load(test::make_tiny_slm(spec));
}

// BOS + "the tiny model runs": 20 positions, the first 8 fed as a prompt batch.
std::vector<std::uint32_t> tokens() { return test::sample_tokens(); }

std::vector<float> sequence_logits(const runtime::Model& m, runtime::Numerics numerics, unsigned threads = 1,
                                   quant::ActivationMode activations = quant::ActivationMode::f32) {
    runtime::SessionOptions o;
    o.threads = threads;
    o.activations = activations;
    o.numerics = numerics;
    auto session = runtime::Session::create(m, o);
    REQUIRE(session.ok());
    std::vector<float> out;
    const auto ids = tokens();
    for (std::size_t i = 0; i < ids.size(); ++i) {
        auto logits = session->feed(ids[i], runtime::Logits::compute, {i < 8, i < 8});
        REQUIRE_MESSAGE(logits.ok(), logits.error().message);
        out.insert(out.end(), logits->begin(), logits->end());
    }
    return out;
}


struct KernelGuard {
    std::string saved{quant::kernel_name()};
    ~KernelGuard() { (void)quant::select_kernels(saved); }
};

}  // namespace

TEST_CASE("runtime.ggml: numerics names") {
    CHECK(runtime::find_numerics("ggml") == runtime::Numerics::ggml);
    CHECK(runtime::find_numerics("native") == runtime::Numerics::native);
    CHECK_FALSE(runtime::find_numerics("llama").has_value());
    CHECK(runtime::numerics_name(runtime::Numerics::ggml) == "ggml");
}

TEST_CASE("runtime.ggml: same bits for every thread count and kernel set, close to native") {
    KernelGuard guard;
    for (format::DType dtype : {format::DType::f32, format::DType::q8_0, format::DType::q4_0}) {
        for (std::uint32_t kv_heads : {4u, 2u, 1u}) {
            CAPTURE(format::dtype_name(dtype));
            CAPTURE(kv_heads);
            auto l = load(dtype, kv_heads);
            REQUIRE(quant::select_kernels("scalar").ok());
            const auto ref = sequence_logits(*l->model, runtime::Numerics::ggml);
            for (const quant::KernelSet* set : quant::supported_kernel_sets()) {
                CAPTURE(set->name);
                REQUIRE(quant::select_kernels(set->name).ok());
                CHECK(sequence_logits(*l->model, runtime::Numerics::ggml, 1) == ref);
                CHECK(sequence_logits(*l->model, runtime::Numerics::ggml, 3) == ref);
            }
            // The native path with llama.cpp's activations computes the same
            // function with other roundings (a q8_0 rounding flip moves a logit
            // by ~1e-3 here; f32 agrees to ~1e-13).
            const auto act = dtype == format::DType::f32 ? quant::ActivationMode::f32 : quant::ActivationMode::q8_0;
            const double err = nmse(ref, sequence_logits(*l->model, runtime::Numerics::native, 1, act));
            CHECK(err < (dtype == format::DType::f32 ? 1e-10 : 1e-3));
            if (dtype == format::DType::f32) CHECK(err > 0.0);
        }
    }
}

TEST_CASE("runtime.ggml: generate() feeds the prompt as llama.cpp's batch") {
    auto l = load(format::DType::f32);
    const auto& tok = l->tok;
    runtime::GenerateOptions o;
    o.max_tokens = 12;
    o.numerics = runtime::Numerics::ggml;
    auto plain = runtime::generate(*l->model, *tok, tokens(), o);
    std::vector<float> rows;
    o.on_logits = [&](std::uint32_t, std::span<const float> lg) { rows.insert(rows.end(), lg.begin(), lg.end()); };
    auto observed = runtime::generate(*l->model, *tok, tokens(), o);
    REQUIRE(plain.ok());
    REQUIRE(observed.ok());
    CHECK(observed->tokens == plain->tokens);
    CHECK(rows.size() == (tokens().size() + 11) * test::k_byte_vocab);
}

TEST_CASE("runtime.ggml: blocks other than ggml's 32 are refused") {
    auto l = load(format::DType::q8_0, 4, 16);
    auto session = runtime::Session::create(*l->model, {1, quant::ActivationMode::q8_0, runtime::Numerics::ggml});
    REQUIRE(session.ok());
    auto step = session->feed(test::k_byte_bos);
    REQUIRE_FALSE(step.ok());
    CHECK(step.error().id == "runtime.numerics_unsupported");
    CHECK(session->position() == 0);
}
