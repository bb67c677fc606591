// A Session is one sequence being decoded against a shared Model: its State
// (KV cache, activations), its thread pool and the next position to fill.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "core/result.hpp"
#include "runtime/batch_state.hpp"
#include "runtime/forward.hpp"
#include "runtime/model.hpp"
#include "runtime/state.hpp"

namespace slm::quant {
class ThreadPool;
}

namespace slm::runtime {

// Positions per batch of Session::feed_prompt: enough that re-reading the
// weights is a small part of the work, small enough that the activations
// stay in cache.
inline constexpr std::uint32_t k_prefill_batch = 32;

struct SessionOptions {
    // Threads for matvecs and attention, the caller included; 0 means one per
    // hardware thread. Results are identical for every value.
    unsigned threads = 1;
    // f32 (default: exact to the dequantized weights) or q8_0 (int8
    // activations for q8_0/q4_0 matrices, as llama.cpp; see forward.hpp).
    quant::ActivationMode activations = quant::ActivationMode::f32;
    // native, or ggml: llama.cpp's arithmetic, bit for bit (numerics.hpp).
    Numerics numerics = Numerics::native;
    // Positions per feed_prompt batch (capped by the context length); 1 feeds
    // a prompt one position at a time. Results are identical for every value.
    std::uint32_t prefill_batch = k_prefill_batch;
    // The KV cache's type: f32 (exact) or f16 (half the memory; state.hpp).
    KvType kv_cache = KvType::f32;
};

class Session {
public:
    // The model must outlive the session. Errors come from State::create().
    static Result<Session> create(const Model& model, const SessionOptions& options = {});

    Session(Session&&) noexcept;
    Session& operator=(Session&&) noexcept;
    ~Session();

    // Feeds `token` at position() and advances it. Errors as runtime::forward();
    // "runtime.context_full" once position() == context_length. `batch` says
    // how llama.cpp would batch this position (read by Numerics::ggml only).
    Result<std::span<const float>> feed(std::uint32_t token, Logits logits = Logits::compute,
                                        StepBatch batch = {});

    // Feeds `tokens` from position() on with the result of feed() called for
    // each in turn (bit-identical logits and cache), but in batches of up to
    // SessionOptions::prefill_batch positions, each matrix read once per batch (native
    // numerics; ggml numerics feed one position at a time, batched as
    // llama.cpp would batch the prompt). Returns the last position's logits.
    // With `each`, it is first called with every position and its logits.
    // A bad token or a prompt past the context is refused before anything
    // is fed.
    using LogitsSink = std::function<void(std::uint32_t pos, std::span<const float> logits)>;
    Result<std::span<const float>> feed_prompt(std::span<const std::uint32_t> tokens,
                                               const LogitsSink& each = nullptr);

    // Forgets the sequence (the cache is overwritten as positions are refilled).
    void reset() { pos_ = 0; }

    std::uint32_t position() const { return pos_; }
    unsigned threads() const;
    quant::ActivationMode activations() const { return activations_; }
    Numerics numerics() const { return numerics_; }
    const Model& model() const { return *model_; }
    const State& state() const { return state_; }

private:
    Session(const Model& model, State state, std::unique_ptr<quant::ThreadPool> pool,
            const SessionOptions& options);

    const Model* model_;
    State state_;
    std::unique_ptr<quant::ThreadPool> pool_;
    std::unique_ptr<BatchState> batch_;  // made by the first batched feed_prompt
    std::uint32_t pos_ = 0;
    quant::ActivationMode activations_;
    Numerics numerics_;
    std::uint32_t prefill_batch_;
};

}  // namespace slm::runtime
