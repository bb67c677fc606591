#include "runtime/session.hpp"

#include <algorithm>

#include "quant/thread_pool.hpp"
#include "runtime/forward_batch.hpp"

namespace slm::runtime {

Result<Session> Session::create(const Model& model, const SessionOptions& options) {
    auto state = State::create(model.config(), options.kv_cache);
    if (!state) return state.take_error();
    return Session(model, std::move(*state), std::make_unique<quant::ThreadPool>(options.threads), options);
}

Session::Session(const Model& model, State state, std::unique_ptr<quant::ThreadPool> pool,
                 const SessionOptions& options)
    : model_(&model),
      state_(std::move(state)),
      pool_(std::move(pool)),
      activations_(options.activations),
      numerics_(options.numerics),
      prefill_batch_(std::max(1u, std::min(options.prefill_batch, model.config().context_length))) {}

Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

Result<std::span<const float>> Session::feed(std::uint32_t token, Logits logits, StepBatch batch) {
    auto out = forward(*model_, state_, token, pos_, pool_.get(), logits, activations_, numerics_, batch);
    if (out) ++pos_;
    return out;
}

Result<std::span<const float>> Session::feed_prompt(std::span<const std::uint32_t> tokens, const LogitsSink& each) {
    const format::ModelConfig& c = model_->config();
    SLM_TRY(check_positions(c, tokens, pos_));
    std::span<const float> last;
    if (numerics_ == Numerics::ggml || prefill_batch_ == 1 || tokens.size() < 2) {
        // llama.cpp evaluates a prompt of >= 2 tokens as one batch.
        const StepBatch batch{tokens.size() >= 2, tokens.size() >= 2 && each != nullptr};
        for (std::size_t i = 0; i < tokens.size(); ++i) {
            const bool wanted = i + 1 == tokens.size() || each != nullptr;
            const std::uint32_t pos = pos_;
            auto step = feed(tokens[i], wanted ? Logits::compute : Logits::skip, batch);
            if (!step) return step.take_error();
            last = *step;
            if (each) each(pos, last);
        }
        return last;
    }
    if (batch_ == nullptr) {
        auto created = BatchState::create(c, prefill_batch_, state_.kv_type);
        if (!created) return created.take_error();
        batch_ = std::make_unique<BatchState>(std::move(*created));
    }
    for (std::size_t begin = 0; begin < tokens.size(); begin += batch_->capacity) {
        const std::size_t count = std::min(batch_->capacity, tokens.size() - begin);
        const bool final_batch = begin + count == tokens.size();
        const BatchLogits want = each ? BatchLogits::all : final_batch ? BatchLogits::last : BatchLogits::none;
        auto out = forward_batch(*model_, state_, *batch_, tokens.subspan(begin, count), pos_, pool_.get(), want,
                                 activations_);
        if (!out) return out.take_error();
        if (want == BatchLogits::all) {
            for (std::size_t t = 0; t < count; ++t) {
                last = out->subspan(t * c.vocab_size, c.vocab_size);
                each(pos_ + static_cast<std::uint32_t>(t), last);
            }
        } else if (want == BatchLogits::last) {
            last = *out;
        }
        pos_ += static_cast<std::uint32_t>(count);
    }
    return last;
}

unsigned Session::threads() const { return pool_->size(); }

}  // namespace slm::runtime
