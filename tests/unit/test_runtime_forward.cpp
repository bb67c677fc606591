// runtime: Model, State/Session, forward() and generate() on in-memory models.
// Agreement with an independent float64 implementation is checked by
// tests/cli/test_run.sh (tests/reference/llama_ref.py) on the fixtures.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "format/reader.hpp"
#include "format/writer.hpp"
#include "quant/dtype_traits.hpp"
#include "quant/kernels.hpp"
#include "quant/f16.hpp"
#include "runtime/forward.hpp"
#include "runtime/generate.hpp"
#include "runtime/model.hpp"
#include "runtime/session.hpp"
#include "support/runtime_models.hpp"
#include "support/tiny_model.hpp"
#include "tokenizer/tokenizer.hpp"

using namespace slm;

using namespace slm::test;

TEST_CASE("runtime.model: weights are views into the file, nothing is copied") {
    for (bool tied : {false, true}) {
        auto l = load_spec(fixture_config(4, tied));
        const runtime::Model& m = *l->model;
        const auto* begin = l->bytes.data();
        const auto* end = begin + l->bytes.size();
        auto inside = [&](const void* p) {
            const auto* b = static_cast<const std::uint8_t*>(p);
            return b >= begin && b < end;
        };
        CHECK(inside(m.token_embedding().values));
        CHECK(inside(m.output().values));
        CHECK((m.output().values == m.token_embedding().values) == tied);
        CHECK(inside(m.final_norm()));
        REQUIRE(m.layers().size() == 2);
        for (const auto& layer : m.layers()) {
            for (const auto* w : {&layer.wq, &layer.wk, &layer.wv, &layer.wo, &layer.w1, &layer.w2, &layer.w3})
                CHECK(inside(w->values));
            CHECK(inside(layer.attention_norm));
            CHECK(inside(layer.ffn_norm));
        }
        CHECK(m.rope_frequencies().size() == 4);
        CHECK(m.rope_frequencies()[0] == 1.0);
    }
}

TEST_CASE("runtime.model: odd head_dim is refused (RoPE rotates pairs)") {
    format::ModelConfig c = fixture_config();
    c.n_heads = 4;
    c.head_dim = 5;
    test::TinySpec spec;
    spec.config = c;
    auto bytes = test::make_tiny_slm(spec);
    auto view = format::parse_slm(bytes, "odd.slm");
    REQUIRE(view.ok());
    auto model = runtime::Model::create(*view);
    REQUIRE_FALSE(model.ok());
    CHECK(model.error().code == ErrorCode::incompatible);
    CHECK(model.error().id == "runtime.unsupported_model");
}

TEST_CASE("runtime.state: the KV cache is sized by context_length") {
    auto l = load_spec(fixture_config(2));
    auto state = runtime::State::create(l->model->config());
    REQUIRE(state.ok());
    CHECK(state->key_cache.size() == 2u * 128 * 16);  // layers x context x kv_dim
    CHECK(state->value_cache.size() == 2u * 128 * 16);
    CHECK(state->bytes() < 2 * 2 * 128 * 16 * sizeof(float) + 64 * 1024);

    format::ModelConfig huge = fixture_config();
    huge.context_length = 0xFFFFFFFFu;
    huge.n_layers = 0xFFFFFFFFu;
    auto refused = runtime::State::create(huge);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().id == "runtime.state_too_large");
}

TEST_CASE("runtime.state: an f16 KV cache takes half the bytes") {
    auto l = load_spec(fixture_config(2));
    auto f32 = runtime::State::create(l->model->config());
    auto f16 = runtime::State::create(l->model->config(), runtime::KvType::f16);
    REQUIRE(f32.ok());
    REQUIRE(f16.ok());
    CHECK(f16->key_cache16.size() == 2u * 128 * 16);
    CHECK(f16->value_cache16.size() == 2u * 128 * 16);
    CHECK(f16->key_cache.empty());
    CHECK(f16->kv_values() == f32->kv_values());
    CHECK(f32->bytes() - f16->bytes() == 2u * 2 * 128 * 16 * 2 - 2 * 16 * sizeof(float));  // less kv_new
    CHECK(runtime::find_kv_type("f16") == runtime::KvType::f16);
    CHECK_FALSE(runtime::find_kv_type("q8_0").has_value());
}

TEST_CASE("runtime.forward: an f16 KV cache stores rounded keys and values, and stays close") {
    using quant::ActivationMode;
    auto l = load_spec(threaded_config(), 9);
    const format::ModelConfig& c = l->model->config();
    const auto tokens = sample_tokens();
    auto run = [&](runtime::KvType kv, unsigned threads) {
        auto s = runtime::Session::create(*l->model, {threads, ActivationMode::f32, runtime::Numerics::native, 32, kv});
        REQUIRE(s.ok());
        std::vector<float> logits;
        for (std::uint32_t t : tokens) {
            auto out = s->feed(t);
            REQUIRE(out.ok());
            logits.insert(logits.end(), out->begin(), out->end());
        }
        return std::make_pair(std::move(logits), std::move(*s));
    };
    auto [exact, f32_session] = run(runtime::KvType::f32, 1);
    auto [half, f16_session] = run(runtime::KvType::f16, 1);
    // Layer 0's keys and values depend on the tokens alone: the f16 cache
    // holds the f32 cache's values rounded to nearest.
    const std::size_t layer0 = tokens.size() * c.kv_dim();
    for (std::size_t i = 0; i < layer0; ++i) {
        CHECK(f16_session.state().key_cache16[i] == quant::fp32_to_fp16(f32_session.state().key_cache[i]));
        CHECK(f16_session.state().value_cache16[i] == quant::fp32_to_fp16(f32_session.state().value_cache[i]));
    }
    const double err = nmse(half, exact);
    MESSAGE("NMSE of f16- vs f32-cache logits: " << err);
    CHECK(err > 0.0);
    CHECK(err < 1e-5);
    // Thread counts and prompt batching change nothing, as with f32.
    CHECK(run(runtime::KvType::f16, 3).first == half);
    auto batched = runtime::Session::create(*l->model, {2, ActivationMode::f32, runtime::Numerics::native, 8,
                                                        runtime::KvType::f16});
    REQUIRE(batched.ok());
    auto prompt_logits = batched->feed_prompt(tokens);
    REQUIRE(prompt_logits.ok());
    CHECK(std::equal(prompt_logits->begin(), prompt_logits->end(), half.end() - c.vocab_size));
    // ggml numerics reproduce llama.cpp with an f32 cache only.
    auto ggml = runtime::Session::create(*l->model, {1, ActivationMode::q8_0, runtime::Numerics::ggml, 32,
                                                     runtime::KvType::f16});
    REQUIRE(ggml.ok());
    auto refused = ggml->feed(tokens[0]);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().id == "runtime.numerics_unsupported");
}

TEST_CASE("runtime.forward: bad token and position are errors, not crashes") {
    auto l = load_spec(fixture_config());
    auto state = runtime::State::create(l->model->config());
    REQUIRE(state.ok());
    auto bad_token = runtime::forward(*l->model, *state, test::k_byte_vocab, 0);
    REQUIRE_FALSE(bad_token.ok());
    CHECK(bad_token.error().id == "runtime.bad_token");
    auto bad_pos = runtime::forward(*l->model, *state, 1, 128);
    REQUIRE_FALSE(bad_pos.ok());
    CHECK(bad_pos.error().id == "runtime.context_full");
    auto ok = runtime::forward(*l->model, *state, 1, 0);
    REQUIRE(ok.ok());
    CHECK(ok->size() == test::k_byte_vocab);
    for (float v : *ok) CHECK(std::isfinite(v));
    auto skipped = runtime::forward(*l->model, *state, 2, 1, nullptr, runtime::Logits::skip);
    REQUIRE(skipped.ok());
    CHECK(skipped->empty());

    auto other = load_spec(fixture_config(1));
    auto mismatch = runtime::forward(*other->model, *state, 1, 0);
    REQUIRE_FALSE(mismatch.ok());
    CHECK(mismatch.error().id == "runtime.state_mismatch");
}

TEST_CASE("runtime.forward: position 0 attends only to itself") {
    // With one cached position the softmax weight is exactly 1, so the first
    // step does not depend on anything earlier in the cache: a fresh session
    // and a reset one agree.
    auto l = load_spec(fixture_config());
    auto session = runtime::Session::create(*l->model);
    REQUIRE(session.ok());
    auto first = session->feed(65);
    REQUIRE(first.ok());
    const std::vector<float> a(first->begin(), first->end());
    REQUIRE(session->feed(66).ok());
    session->reset();
    auto again = session->feed(65);
    REQUIRE(again.ok());
    CHECK(std::vector<float>(again->begin(), again->end()) == a);
}

TEST_CASE("runtime.forward: sessions sharing one model are independent") {
    auto l = load_spec(fixture_config(2));
    const auto tokens = sample_tokens();
    const auto alone = sequence_logits(*l->model, tokens);
    auto s1 = runtime::Session::create(*l->model);
    auto s2 = runtime::Session::create(*l->model);
    REQUIRE(s1.ok());
    REQUIRE(s2.ok());
    std::vector<float> interleaved;
    for (std::uint32_t t : tokens) {
        auto a = s1->feed(t);
        REQUIRE(a.ok());
        interleaved.insert(interleaved.end(), a->begin(), a->end());
        REQUIRE(s2->feed(static_cast<std::uint32_t>((t * 7) % 256)).ok());  // another sequence
    }
    CHECK(interleaved == alone);
}

TEST_CASE("runtime.forward: GQA equals the same model with K/V heads repeated") {
    for (std::uint32_t kv_heads : {2u, 1u}) {
        CAPTURE(kv_heads);
        auto gqa = load_spec(fixture_config(kv_heads), 40 + kv_heads);
        const format::ModelConfig& c = gqa->model->config();
        const std::uint32_t group = c.n_heads / c.n_kv_heads;
        const std::size_t row_bytes = c.dim() * sizeof(float);

        // Rebuild from the GQA view's tensors; wk/wv get kv head h / group as head h.
        format::SlmInput input;
        input.config = c;
        input.config.n_kv_heads = c.n_heads;
        input.tokenizer = gqa->view->tokenizer();
        std::vector<std::vector<std::uint8_t>> storage;
        storage.reserve(2 * c.n_layers);
        for (const auto& t : gqa->view->tensors()) {
            format::TensorInput in;
            in.name = t.name;
            in.dtype = t.dtype;
            in.dims.assign(t.entry.dims.begin(), t.entry.dims.begin() + t.entry.rank);
            in.data = t.data;
            const bool kv = t.name.find("attention.wk") != std::string::npos ||
                            t.name.find("attention.wv") != std::string::npos;
            if (kv) {
                std::vector<std::uint8_t> repeated;
                for (std::uint32_t h = 0; h < c.n_heads; ++h) {
                    const std::size_t from = (h / group) * c.head_dim * row_bytes;
                    repeated.insert(repeated.end(), t.data.begin() + static_cast<std::ptrdiff_t>(from),
                                    t.data.begin() + static_cast<std::ptrdiff_t>(from + c.head_dim * row_bytes));
                }
                storage.push_back(std::move(repeated));
                in.data = storage.back();
                in.dims[1] = c.dim();
            }
            input.tensors.push_back(std::move(in));
        }
        auto mha = load(input);
        CHECK(mha->model->config().n_kv_heads == c.n_heads);

        const auto tokens = sample_tokens();
        const auto a = sequence_logits(*gqa->model, tokens);
        const auto b = sequence_logits(*mha->model, tokens);
        CHECK(max_abs_diff(a, b) <= 1e-5);
    }
}

TEST_CASE("runtime.forward: results do not depend on the thread count") {
    auto l = load_spec(threaded_config(), 7);
    std::vector<std::uint32_t> tokens;
    for (std::uint32_t i = 0; i < 150; ++i) tokens.push_back((i * 37 + 11) % 256);
    const auto one = sequence_logits(*l->model, tokens, 1);
    CHECK(sequence_logits(*l->model, tokens, 2) == one);  // bit for bit
    CHECK(sequence_logits(*l->model, tokens, 3) == one);

    auto small = load_spec(fixture_config(2), 9);
    CHECK(greedy(*small, 48, 2).tokens == greedy(*small, 48, 1).tokens);
}

TEST_CASE("runtime.forward: every kernel set gives the same tokens") {
    KernelGuard guard;
    auto l = load_spec(fixture_config(2), 11);
    const auto tokens = sample_tokens();
    REQUIRE(quant::select_kernels("scalar").ok());
    const auto ref_tokens = greedy(*l, 48).tokens;
    const auto ref_logits = sequence_logits(*l->model, tokens);
    for (const quant::KernelSet* set : quant::supported_kernel_sets()) {
        CAPTURE(set->name);
        REQUIRE(quant::select_kernels(set->name).ok());
        CHECK(greedy(*l, 48).tokens == ref_tokens);
        CHECK(greedy(*l, 48, 2).tokens == ref_tokens);
        CHECK(nmse(sequence_logits(*l->model, tokens), ref_logits) < 1e-12);
    }
}

TEST_CASE("runtime.forward: q8_0 and q4_0 models run on their quantized weights") {
    test::TinySpec spec;
    spec.config = fixture_config(2);
    spec.seed = 21;
    test::TinyModel f32 = test::make_tiny_input(spec);
    auto reference = load(f32.input);
    const auto tokens = sample_tokens();
    const auto ref = sequence_logits(*reference->model, tokens);

    // Loose bounds against the f32 model (quantization noise on random
    // weights, measured: q8_0 ~6e-4, q4_0 ~0.15); tight against an f32 model
    // holding the dequantized weights, which isolates the quantized kernels.
    for (auto [dtype, bound] : {std::pair{format::DType::q8_0, 5e-3}, std::pair{format::DType::q4_0, 0.4}}) {
        const quant::DTypeTraits& traits = quant::dtype_traits(dtype);
        CAPTURE(traits.name);
        format::SlmInput input = f32.input;
        format::SlmInput dequantized = f32.input;
        std::vector<std::vector<std::uint8_t>> storage;
        quantize_matrices(input, dtype, storage, &dequantized);
        auto quantized = load(input);
        auto widened = load(dequantized);
        CHECK(quantized->model->token_embedding().dtype == dtype);
        const auto logits = sequence_logits(*quantized->model, tokens);
        CHECK(nmse(logits, ref) < bound);
        CHECK(nmse(logits, sequence_logits(*widened->model, tokens)) < 1e-10);

        // Embedding rows dequantize to what the dtype table says.
        std::vector<float> row(32), expect(32);
        quantized->model->embed(100, row.data());
        const auto* emb = quantized->view->find("tok_embeddings.weight");
        traits.dequantize_row(emb->data.data() + traits.value_bytes(32) * 100, emb->scale_values() + 100, 32,
                              expect.data(), 32);
        CHECK(row == expect);

        // Decoding works and agrees with the dequantized twin.
        const auto g = greedy(*quantized, 24);
        for (auto id : g.tokens) CHECK(id < test::k_byte_vocab);
        CHECK(g.tokens == greedy(*widened, 24).tokens);
    }
}

TEST_CASE("runtime.forward: int8 activations (q8_0 mode)") {
    using quant::ActivationMode;
    format::ModelConfig c = fixture_config(2);
    c.head_dim = 16;  // dim 64: two blocks per row
    c.ffn_dim = 128;
    test::TinySpec spec;
    spec.config = c;
    spec.seed = 31;
    test::TinyModel f32 = test::make_tiny_input(spec);
    auto plain = load(f32.input);
    const auto tokens = sample_tokens();

    // f32 matrices ignore the mode: same bits.
    CHECK(sequence_logits(*plain->model, tokens, 1, ActivationMode::q8_0) == sequence_logits(*plain->model, tokens));

    // Quantized matrices: bit-identical for any thread count, close to f32
    // activations (NMSE measured ~2e-3 on this small random model, whose two
    // layers amplify the rounding of each activation vector). Kernel sets
    // differ in f32 summation order, which may move an activation across an
    // int8 rounding boundary: the same greedy tokens, logits close.
    KernelGuard guard;
    for (format::DType dtype : {format::DType::q8_0, format::DType::q4_0}) {
        CAPTURE(format::dtype_name(dtype));
        format::SlmInput input = f32.input;
        std::vector<std::vector<std::uint8_t>> storage;
        quantize_matrices(input, dtype, storage);
        auto l = load(input);
        const auto exact = sequence_logits(*l->model, tokens);
        const auto int8 = sequence_logits(*l->model, tokens, 1, ActivationMode::q8_0);
        CHECK(sequence_logits(*l->model, tokens, 2, ActivationMode::q8_0) == int8);
        CHECK(sequence_logits(*l->model, tokens, 3, ActivationMode::q8_0) == int8);
        const double err = nmse(int8, exact);
        MESSAGE(format::dtype_name(dtype) << " model: NMSE of int8- vs f32-activation logits " << err);
        CHECK(err < 1e-2);
        CHECK(err > 0.0);

        REQUIRE(quant::select_kernels("scalar").ok());
        const auto ref_tokens = greedy(*l, 32, 1, ActivationMode::q8_0).tokens;
        const auto ref_logits = sequence_logits(*l->model, tokens, 1, ActivationMode::q8_0);
        for (const quant::KernelSet* set : quant::supported_kernel_sets()) {
            CAPTURE(set->name);
            REQUIRE(quant::select_kernels(set->name).ok());
            CHECK(greedy(*l, 32, 2, ActivationMode::q8_0).tokens == ref_tokens);
            CHECK(nmse(sequence_logits(*l->model, tokens, 1, ActivationMode::q8_0), ref_logits) < 1e-4);
        }
    }
}

TEST_CASE("runtime.model: packed matrices give int8 sessions the reference's logits") {
    using quant::ActivationMode;
    // The scalar set's packed kernels are the reference's arithmetic on the
    // packed layout, so packing must change no bit; tied models also look
    // their embeddings up in the packed copy.
    KernelGuard guard;
    REQUIRE(quant::select_kernels("scalar").ok());
    for (bool tied : {false, true}) {
        for (format::DType dtype : {format::DType::q8_0, format::DType::q4_0}) {
            CAPTURE(tied);
            CAPTURE(format::dtype_name(dtype));
            format::ModelConfig c = fixture_config(2, tied);
            c.head_dim = 16;  // dim 64: two blocks per row
            c.ffn_dim = 96;   // 6 groups of 16 rows
            c.vocab_size = test::k_byte_vocab;
            test::TinySpec spec;
            spec.config = c;
            spec.seed = 41;
            test::TinyModel f32 = test::make_tiny_input(spec);
            format::SlmInput input = f32.input;
            std::vector<std::vector<std::uint8_t>> storage;
            quantize_matrices(input, dtype, storage);
            auto l = load(input);
            CHECK(l->model->packed_bytes() == 0);
            runtime::ModelOptions options;
            options.pack_for_int8 = true;
            auto packed = runtime::Model::create(*l->view, options);
            REQUIRE(packed.ok());
            // Every matrix: 2 layers x 7, plus the output (the embedding when tied).
            const std::uint64_t dim = c.dim(), kv = c.kv_dim(), ffn = c.ffn_dim;
            auto bytes = [&](std::uint64_t rows, std::uint64_t n) {
                return (rows + 15) / 16 * quant::packed_layout(dtype, n).group_bytes();
            };
            CHECK(packed->packed_bytes() == 2 * (2 * bytes(dim, dim) + 2 * bytes(kv, dim) + 2 * bytes(ffn, dim) +
                                                 bytes(dim, ffn)) +
                                                bytes(c.vocab_size, dim));

            const auto tokens = sample_tokens();
            const auto want = sequence_logits(*l->model, tokens, 1, ActivationMode::q8_0);
            CHECK(sequence_logits(*packed, tokens, 1, ActivationMode::q8_0) == want);
            CHECK(sequence_logits(*packed, tokens, 3, ActivationMode::q8_0) == want);
            runtime::GenerateOptions o;  // the prompt goes through batched prefill (matmul)
            o.max_tokens = 24;
            o.threads = 2;
            o.activations = ActivationMode::q8_0;
            auto g = runtime::generate(*packed, *l->tok, tokens, o);
            REQUIRE(g.ok());
            CHECK(g->tokens == greedy(*l, 24, 1, ActivationMode::q8_0).tokens);
            // f32 activations read the file's layout as before.
            CHECK(sequence_logits(*packed, tokens) == sequence_logits(*l->model, tokens));
            std::vector<float> e0(dim), e1(dim);
            for (std::uint32_t t : {0u, 7u, c.vocab_size - 1}) {
                l->model->embed(t, e0.data());
                packed->embed(t, e1.data());
                CHECK(e0 == e1);
            }
        }
    }
}

TEST_CASE("runtime.generate: stops at max_tokens, context, cancel and EOS") {
    auto l = load_spec(fixture_config(2), 5);
    runtime::GenerateOptions o;

    o.max_tokens = 0;
    auto none = runtime::generate(*l->model, *l->tok, sample_tokens(), o);
    REQUIRE(none.ok());
    CHECK(none->tokens.empty());
    CHECK(none->stop_reason == runtime::StopReason::max_tokens);

    // The prompt fills all but two positions: two tokens fit.
    o.max_tokens = 100;
    o.stop_at_eos = false;
    std::vector<std::uint32_t> long_prompt(126, 'a');
    auto ctx = runtime::generate(*l->model, *l->tok, long_prompt, o);
    REQUIRE(ctx.ok());
    CHECK(ctx->tokens.size() == 2);
    CHECK(ctx->stop_reason == runtime::StopReason::context);

    std::vector<std::uint32_t> seen;
    auto cancelled = runtime::generate(*l->model, *l->tok, sample_tokens(), o, [&](std::uint32_t id) {
        seen.push_back(id);
        return seen.size() < 3;
    });
    REQUIRE(cancelled.ok());
    CHECK(cancelled->stop_reason == runtime::StopReason::cancelled);
    CHECK(cancelled->tokens == seen);
    CHECK(seen.size() == 3);

    // Every logit step reaches on_logits, prompt positions included.
    std::vector<std::uint32_t> positions;
    o.max_tokens = 5;
    o.on_logits = [&](std::uint32_t pos, std::span<const float> logits) {
        positions.push_back(pos);
        CHECK(logits.size() == test::k_byte_vocab);
    };
    auto observed = runtime::generate(*l->model, *l->tok, sample_tokens(), o);
    REQUIRE(observed.ok());
    CHECK(positions.size() == sample_tokens().size() + 4);  // the 5th token is never fed
    for (std::size_t i = 0; i < positions.size(); ++i) CHECK(positions[i] == i);
    CHECK(observed->timings.prefill_tok_s > 0.0);

    // A model whose layers are all zero keeps x = embedding; with every
    // embedding 1 and only the EOS output row non-zero, EOS always wins.
    test::TinySpec spec;
    spec.config = fixture_config(2);
    test::TinyModel eos_model = test::make_tiny_input(spec);
    for (auto& t : eos_model.input.tensors) {
        float* v = tensor_values(eos_model, t.name);
        const std::size_t n = t.data.size() / sizeof(float);
        const bool matrix = t.dims.size() == 2;
        const float fill = t.name == "tok_embeddings.weight" || !matrix ? 1.0f : 0.0f;
        std::fill(v, v + n, fill);
        if (t.name == "output.weight") std::fill(v + test::k_byte_eos * 32, v + (test::k_byte_eos + 1) * 32, 1.0f);
    }
    auto eos = load(eos_model.input);
    runtime::GenerateOptions eo;
    auto stopped = runtime::generate(*eos->model, *eos->tok, sample_tokens(), eo);
    REQUIRE(stopped.ok());
    CHECK(stopped->stop_reason == runtime::StopReason::eos);
    CHECK(stopped->tokens.empty());
}

TEST_CASE("runtime.generate: a prompt that does not fit the context is refused") {
    auto l = load_spec(fixture_config());
    runtime::GenerateOptions o;
    std::vector<std::uint32_t> prompt(128, 'x');
    auto r = runtime::generate(*l->model, *l->tok, prompt, o);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::invalid_input);
    CHECK(r.error().id == "runtime.prompt_too_long");
    CHECK(r.error().message.find("128 tokens") != std::string::npos);
    CHECK(r.error().message.find("context length is 128") != std::string::npos);

    auto empty = runtime::generate(*l->model, *l->tok, {}, o);
    REQUIRE_FALSE(empty.ok());
    CHECK(empty.error().id == "runtime.empty_prompt");

    o.sampling.top_p = 0.0f;
    auto bad = runtime::generate(*l->model, *l->tok, sample_tokens(), o);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == ErrorCode::usage);
}
