#include "runtime/generator.hpp"

#include <chrono>
#include <string>
#include <utility>

namespace slm::runtime {

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

double ms_since(std::int64_t start_ns) { return static_cast<double>(now_ns() - start_ns) / 1e6; }

double per_second(std::size_t count, double ms) {
    return ms > 0.0 ? static_cast<double>(count) * 1000.0 / ms : 0.0;
}

}  // namespace

Generator::Generator(Session session, Sampler sampler, const GenerateOptions& options, std::uint32_t eos_id)
    : session_(std::move(session)),
      sampler_(std::move(sampler)),
      options_(options),
      eos_id_(eos_id),
      context_(session_.model().config().context_length) {}

Result<Generator> Generator::start(const Model& model, std::uint32_t eos_id, std::span<const std::uint32_t> prompt,
                                   const GenerateOptions& options) {
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

    const std::int64_t load_start = now_ns();
    auto session = Session::create(model, SessionOptions{options.threads, options.activations, options.numerics,
                                                         options.prefill_batch, options.kv_cache});
    if (!session) return session.take_error();
    Generator g(std::move(*session), std::move(*sampler), options, eos_id);
    g.result_.threads = g.session_.threads();
    g.result_.timings.load_ms = ms_since(load_start);

    // Prefill: only the last prompt position's logits are needed to sample,
    // unless on_logits asks for every position's.
    const std::int64_t prefill_start = now_ns();
    auto last = g.session_.feed_prompt(prompt, options.on_logits);
    if (!last) return last.take_error();
    g.logits_ = *last;
    g.result_.timings.prefill_ms = ms_since(prefill_start);
    g.result_.timings.prefill_tok_s = per_second(prompt.size(), g.result_.timings.prefill_ms);
    g.prompt_size_ = prompt.size();
    g.history_.assign(prompt.begin(), prompt.end());
    g.decode_start_ns_ = now_ns();
    return g;
}

std::optional<std::uint32_t> Generator::stop(StopReason reason) {
    if (!done_) {
        done_ = true;
        result_.stop_reason = reason;
        result_.timings.decode_ms = ms_since(decode_start_ns_);
        result_.timings.decode_tok_s = per_second(result_.tokens.size(), result_.timings.decode_ms);
    }
    return std::nullopt;
}

void Generator::cancel() { stop(StopReason::cancelled); }

Result<std::optional<std::uint32_t>> Generator::next() {
    if (done_) return std::optional<std::uint32_t>{};
    auto out_of_room = [&]() -> std::optional<StopReason> {
        if (result_.tokens.size() >= options_.max_tokens) return StopReason::max_tokens;
        if (history_.size() >= context_) return StopReason::context;
        return std::nullopt;
    };
    if (auto reason = out_of_room()) return stop(*reason);
    // The previous token is fed only now: when generation stops right after
    // it, its logits would have had no reader.
    if (feed_pending_) {
        feed_pending_ = false;
        const std::uint32_t pos = session_.position();
        auto step = session_.feed(history_.back());
        if (!step) return step.take_error();
        logits_ = *step;
        if (options_.on_logits) options_.on_logits(pos, logits_);
    }
    const std::uint32_t token = sampler_.sample(logits_, history_);
    if (options_.stop_at_eos && token == eos_id_) return stop(StopReason::eos);
    result_.tokens.push_back(token);
    history_.push_back(token);
    feed_pending_ = true;
    return std::optional<std::uint32_t>{token};
}

}  // namespace slm::runtime
