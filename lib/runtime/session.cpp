#include "runtime/session.hpp"

#include "quant/thread_pool.hpp"

namespace slm::runtime {

Result<Session> Session::create(const Model& model, const SessionOptions& options) {
    auto state = State::create(model.config());
    if (!state) return state.take_error();
    return Session(model, std::move(*state), std::make_unique<quant::ThreadPool>(options.threads),
                   options.activations, options.numerics);
}

Session::Session(const Model& model, State state, std::unique_ptr<quant::ThreadPool> pool,
                 quant::ActivationMode activations, Numerics numerics)
    : model_(&model),
      state_(std::move(state)),
      pool_(std::move(pool)),
      activations_(activations),
      numerics_(numerics) {}

Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

Result<std::span<const float>> Session::feed(std::uint32_t token, Logits logits, StepBatch batch) {
    auto out = forward(*model_, state_, token, pos_, pool_.get(), logits, activations_, numerics_, batch);
    if (out) ++pos_;
    return out;
}

unsigned Session::threads() const { return pool_->size(); }

}  // namespace slm::runtime
