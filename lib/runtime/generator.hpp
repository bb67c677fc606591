// Step-wise generation. generate() is a loop over next(); the WASM ABI's
// streaming step() calls next() once per token, so both produce the same
// tokens from the same code.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/result.hpp"
#include "runtime/generate.hpp"
#include "runtime/sampler.hpp"
#include "runtime/session.hpp"

namespace slm::runtime {

class Generator {
public:
    // Checks the options and the prompt (errors as generate()), creates the
    // session and feeds the prompt. The model must outlive the generator.
    static Result<Generator> start(const Model& model, std::uint32_t eos_id, std::span<const std::uint32_t> prompt,
                                   const GenerateOptions& options);

    // The next generated token, or nullopt once generation has stopped
    // (result().stop_reason says why). Errors as Session::feed().
    Result<std::optional<std::uint32_t>> next();

    // Stops with StopReason::cancelled; the tokens so far are kept.
    void cancel();

    bool done() const { return done_; }
    const GenerationResult& result() const { return result_; }
    GenerationResult take_result() { return std::move(result_); }
    std::size_t prompt_tokens() const { return prompt_size_; }

private:
    Generator(Session session, Sampler sampler, const GenerateOptions& options, std::uint32_t eos_id);
    std::optional<std::uint32_t> stop(StopReason reason);

    Session session_;
    Sampler sampler_;
    GenerateOptions options_;
    std::uint32_t eos_id_;
    std::uint32_t context_;
    std::size_t prompt_size_ = 0;
    std::vector<std::uint32_t> history_;  // prompt and generated tokens: what the penalty reads
    std::span<const float> logits_;       // of the last position fed
    bool feed_pending_ = false;           // the last token is fed on the next call, if one comes
    bool done_ = false;
    std::int64_t decode_start_ns_ = 0;
    GenerationResult result_;
};

}  // namespace slm::runtime
