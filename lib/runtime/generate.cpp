#include "runtime/generate.hpp"

#include <chrono>
#include <string>

#include "runtime/session.hpp"

namespace slm::runtime {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

double per_second(std::size_t count, double ms) {
    return ms > 0.0 ? static_cast<double>(count) * 1000.0 / ms : 0.0;
}

}  // namespace

std::string_view stop_reason_name(StopReason reason) {
    switch (reason) {
        case StopReason::eos: return "eos";
        case StopReason::max_tokens: return "max_tokens";
        case StopReason::context: return "context";
        case StopReason::cancelled: return "cancelled";
    }
    return "unknown";
}

Result<GenerationResult> generate(const Model& model, const tokenizer::Tokenizer& tokenizer,
                                  std::span<const std::uint32_t> prompt, const GenerateOptions& options,
                                  const TokenCallback& on_token) {
    auto sampler = Sampler::create(options.sampling);
    if (!sampler) return sampler.take_error();
    const std::uint32_t context = model.config().context_length;
    if (prompt.empty()) {
        return make_error(ErrorCode::usage, "runtime.empty_prompt",
                          "the prompt has no tokens (and the tokenizer adds no BOS)");
    }
    if (prompt.size() >= context) {
        return make_error(ErrorCode::invalid_input, "runtime.prompt_too_long",
                          "the prompt has " + std::to_string(prompt.size()) +
                              " tokens but the model's context length is " + std::to_string(context) +
                              " (at most " + std::to_string(context - 1) +
                              " prompt tokens leave room to generate)");
    }

    GenerationResult result;
    const auto load_start = Clock::now();
    auto session = Session::create(model, SessionOptions{options.threads, options.activations, options.numerics});
    if (!session) return session.take_error();
    result.threads = session->threads();
    result.timings.load_ms = ms_since(load_start);

    // Prefill: only the last prompt position's logits are needed to sample.
    // llama.cpp would run the prompt as one batch, with logits of every
    // position only when on_logits asks for them.
    const auto prefill_start = Clock::now();
    const StepBatch batch{prompt.size() >= 2, prompt.size() >= 2 && options.on_logits != nullptr};
    std::span<const float> logits;
    for (std::size_t i = 0; i < prompt.size(); ++i) {
        const bool last = i + 1 == prompt.size();
        const Logits want = last || options.on_logits ? Logits::compute : Logits::skip;
        auto step = session->feed(prompt[i], want, batch);
        if (!step) return step.take_error();
        logits = *step;
        if (options.on_logits) options.on_logits(static_cast<std::uint32_t>(i), logits);
    }
    result.timings.prefill_ms = ms_since(prefill_start);
    result.timings.prefill_tok_s = per_second(prompt.size(), result.timings.prefill_ms);

    // Decode. `history` is what the repetition penalty looks back over.
    const auto decode_start = Clock::now();
    std::vector<std::uint32_t> history(prompt.begin(), prompt.end());
    const std::uint32_t eos = tokenizer.eos_id();
    auto stop = [&](StopReason reason) {
        result.stop_reason = reason;
        result.timings.decode_ms = ms_since(decode_start);
        result.timings.decode_tok_s = per_second(result.tokens.size(), result.timings.decode_ms);
        return std::move(result);
    };
    for (;;) {
        if (result.tokens.size() >= options.max_tokens) return stop(StopReason::max_tokens);
        if (history.size() >= context) return stop(StopReason::context);
        const std::uint32_t token = sampler->sample(logits, history);
        if (options.stop_at_eos && token == eos) return stop(StopReason::eos);
        result.tokens.push_back(token);
        history.push_back(token);
        if (on_token && !on_token(token)) return stop(StopReason::cancelled);
        // Feeding the last token would only produce logits nobody samples.
        if (result.tokens.size() >= options.max_tokens) return stop(StopReason::max_tokens);
        if (history.size() >= context) return stop(StopReason::context);
        const std::uint32_t pos = session->position();
        auto step = session->feed(token);
        if (!step) return step.take_error();
        logits = *step;
        if (options.on_logits) options.on_logits(pos, logits);
    }
}

}  // namespace slm::runtime
