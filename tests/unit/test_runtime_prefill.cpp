// Batched prefill (Session::feed_prompt, forward_batch) against feeding the
// same tokens one at a time: logits and KV cache must be identical bit for
// bit, for every dtype, activation mode, thread count and batch boundary.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "runtime/forward_batch.hpp"
#include "runtime/model_compare.hpp"
#include "support/runtime_models.hpp"

using namespace slm;
using namespace slm::test;

namespace {

struct Fed {
    std::vector<float> logits;  // every position's, back to back (or the last only)
    std::vector<float> keys, values;
};

Fed one_at_a_time(const runtime::Model& m, const std::vector<std::uint32_t>& tokens, unsigned threads,
                  quant::ActivationMode activations, bool every) {
    auto s = runtime::Session::create(m, {threads, activations});
    REQUIRE(s.ok());
    Fed f;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        auto l = s->feed(tokens[i]);
        REQUIRE_MESSAGE(l.ok(), l.error().message);
        if (every || i + 1 == tokens.size()) f.logits.insert(f.logits.end(), l->begin(), l->end());
    }
    f.keys = s->state().key_cache;
    f.values = s->state().value_cache;
    return f;
}

// Fed in pieces of `split` tokens through feed_prompt (a batch boundary
// inside a prompt, and a prompt continuing a sequence).
Fed batched(const runtime::Model& m, const std::vector<std::uint32_t>& tokens, unsigned threads,
            quant::ActivationMode activations, bool every, std::size_t split,
            std::uint32_t batch_size = runtime::k_prefill_batch) {
    auto s = runtime::Session::create(m, {threads, activations, runtime::Numerics::native, batch_size});
    REQUIRE(s.ok());
    Fed f;
    std::uint32_t expected_pos = 0;
    auto sink = [&](std::uint32_t pos, std::span<const float> l) {
        CHECK(pos == expected_pos++);
        f.logits.insert(f.logits.end(), l.begin(), l.end());
    };
    std::span<const float> last;
    for (std::size_t begin = 0; begin < tokens.size(); begin += split) {
        const std::size_t n = std::min(split, tokens.size() - begin);
        auto out = s->feed_prompt(std::span(tokens).subspan(begin, n),
                                  every ? runtime::Session::LogitsSink(sink) : nullptr);
        REQUIRE_MESSAGE(out.ok(), out.error().message);
        last = *out;
    }
    if (!every) f.logits.assign(last.begin(), last.end());
    CHECK(s->position() == tokens.size());
    f.keys = s->state().key_cache;
    f.values = s->state().value_cache;
    return f;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

void check_identical(const runtime::Model& m, const std::vector<std::uint32_t>& tokens,
                     quant::ActivationMode activations) {
    for (unsigned threads : {1u, 2u, 3u}) {
        for (bool every : {false, true}) {
            const Fed ref = one_at_a_time(m, tokens, threads, activations, every);
            for (std::size_t split : {tokens.size(), std::size_t{7}, std::size_t{1}}) {
                for (std::uint32_t batch_size : {runtime::k_prefill_batch, 5u}) {
                    CAPTURE(threads);
                    CAPTURE(every);
                    CAPTURE(split);
                    CAPTURE(batch_size);
                    const Fed got = batched(m, tokens, threads, activations, every, split, batch_size);
                    CHECK(same_bits(got.logits, ref.logits));
                    CHECK(same_bits(got.keys, ref.keys));
                    CHECK(same_bits(got.values, ref.values));
                }
            }
        }
    }
}

// Split across threads, with GQA (threaded_config), and prompts longer than
// one batch.
format::ModelConfig prefill_config() { return threaded_config(); }

std::vector<std::uint32_t> long_prompt(std::size_t n) {
    std::vector<std::uint32_t> tokens;
    for (std::uint32_t i = 0; i < n; ++i) tokens.push_back((i * 37 + 11) % 256);
    return tokens;
}

}  // namespace

TEST_CASE("runtime.prefill: batches give the logits and cache of one-at-a-time feeding, bit for bit") {
    static_assert(runtime::k_prefill_batch < 75, "the prompt must span several batches");
    auto f32 = load_spec(prefill_config(), 7);
    const auto tokens = long_prompt(75);
    check_identical(*f32->model, tokens, quant::ActivationMode::f32);

    test::TinySpec spec;
    spec.config = prefill_config();
    spec.seed = 5;
    test::TinyModel base = test::make_tiny_input(spec);
    for (auto dtype : {format::DType::q8_0, format::DType::q4_0}) {
        CAPTURE(quant::dtype_traits(dtype).name);
        format::SlmInput input = base.input;
        std::vector<std::vector<std::uint8_t>> storage;
        quantize_matrices(input, dtype, storage);
        auto quantized = load(input);
        check_identical(*quantized->model, tokens, quant::ActivationMode::f32);
        check_identical(*quantized->model, tokens, quant::ActivationMode::q8_0);
    }
}

TEST_CASE("runtime.prefill: every kernel set batches exactly as it decodes") {
    KernelGuard guard;
    auto l = load_spec(fixture_config(2, true), 13);
    const auto tokens = long_prompt(40);
    for (const quant::KernelSet* set : quant::supported_kernel_sets()) {
        CAPTURE(set->name);
        REQUIRE(quant::select_kernels(set->name).ok());
        const Fed ref = one_at_a_time(*l->model, tokens, 1, quant::ActivationMode::f32, true);
        CHECK(same_bits(batched(*l->model, tokens, 2, quant::ActivationMode::f32, true, 40).logits, ref.logits));
    }
}

TEST_CASE("runtime.prefill: bad input is refused before anything is fed") {
    auto l = load_spec(fixture_config(), 3);
    auto s = runtime::Session::create(*l->model);
    REQUIRE(s.ok());
    const std::vector<std::uint32_t> bad = {1, 2, test::k_byte_vocab, 4};
    auto r = s->feed_prompt(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().id == "runtime.bad_token");
    CHECK(s->position() == 0);

    const auto too_long = long_prompt(l->model->config().context_length + 1);
    auto t = s->feed_prompt(too_long);
    REQUIRE_FALSE(t.ok());
    CHECK(t.error().id == "runtime.context_full");
    CHECK(s->position() == 0);

    // Exactly filling the context is allowed; one more position is not.
    const auto full = long_prompt(l->model->config().context_length);
    REQUIRE(s->feed_prompt(full).ok());
    CHECK(s->position() == l->model->config().context_length);
    const std::vector<std::uint32_t> one = {5};
    CHECK(s->feed_prompt(one).error().id == "runtime.context_full");
    CHECK(s->feed_prompt({}).ok());
}

TEST_CASE("runtime.prefill: generation and perplexity are unchanged") {
    // generate() prefills through feed_prompt; its sampled tokens continue
    // from the batched cache exactly as the stepwise reference does.
    auto l = load_spec(prefill_config(), 17);
    const auto tokens = long_prompt(70);
    runtime::GenerateOptions o;
    o.max_tokens = 20;
    auto g = runtime::generate(*l->model, *l->tok, tokens, o);
    REQUIRE(g.ok());
    auto s = runtime::Session::create(*l->model);
    REQUIRE(s.ok());
    std::span<const float> logits;
    for (auto t : tokens) logits = *s->feed(t);
    for (std::uint32_t expected : g->tokens) {
        const auto next = static_cast<std::uint32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
        CHECK(next == expected);
        logits = *s->feed(next);
    }

    // perplexity() over batches equals the stepwise log-likelihood.
    auto ppl = runtime::perplexity(*l->model, tokens, 1);
    REQUIRE(ppl.ok());
    const auto every = sequence_logits(*l->model, tokens);
    const std::size_t vocab = l->model->config().vocab_size;
    double nll = 0.0;
    std::vector<double> lp(vocab);
    for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
        runtime::log_softmax(std::span(every).subspan(i * vocab, vocab), lp);
        nll -= lp[tokens[i + 1]];
    }
    CHECK(*ppl == std::exp(nll / static_cast<double>(tokens.size() - 1)));
}
