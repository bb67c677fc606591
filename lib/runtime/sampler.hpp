// Picks the next token from a step's logits. Kept apart from the model and
// the session, so the same logits can be sampled in different ways.
//
// Order of operations (that of Hugging Face transformers' generate()):
//   1. repetition penalty (llama.cpp / CTRL rule): every distinct token among
//      the last repeat_last_n of `history` has its logit divided by
//      repeat_penalty if positive, multiplied by it if negative;
//   2. temperature == 0: the argmax (the lowest id on ties), done;
//   3. logits / temperature;
//   4. top-k (k > 0): keep the k largest (ties: lower id first);
//   5. softmax (in double);
//   6. top-p (p < 1): keep the smallest most-probable prefix whose mass
//      reaches p (at least one token);
//   7. draw from what is left with the seeded xoshiro256** generator.
// With the same options (seed included) and the same logits a Sampler
// returns the same tokens on every run and platform that computes the same
// logits; top_k = 1 always returns the argmax, exactly like greedy.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "runtime/rng.hpp"

namespace slm::runtime {

struct SamplerOptions {
    float temperature = 0.0f;   // 0: greedy (argmax); must be >= 0
    int top_k = 0;              // 0: off; must be >= 0
    float top_p = 1.0f;         // 1: off; must be in (0, 1]
    float repeat_penalty = 1.0f;  // 1: off; must be > 0
    int repeat_last_n = 64;     // how far back the penalty looks; must be >= 0
    std::uint64_t seed = 0;
};

// ErrorCode::usage "runtime.bad_sampler_option", naming the option, the rule
// and the value (NaN and infinities are refused too).
Status validate(const SamplerOptions& options);

// Index of the largest value, the first one on ties (NaN never wins).
std::uint32_t argmax(std::span<const float> values);

class Sampler {
public:
    static Result<Sampler> create(const SamplerOptions& options);

    // `logits` has one value per vocabulary entry (non-empty); `history` is the
    // sequence so far (prompt and generated tokens), read by the penalty.
    std::uint32_t sample(std::span<const float> logits, std::span<const std::uint32_t> history);

    const SamplerOptions& options() const { return options_; }

private:
    explicit Sampler(const SamplerOptions& options) : options_(options), rng_(options.seed) {}

    SamplerOptions options_;
    Rng rng_;
    std::vector<float> adjusted_;                             // logits after the penalty
    std::vector<std::pair<float, std::uint32_t>> candidates_;  // (scaled logit, id)
    std::vector<double> probs_;
};

}  // namespace slm::runtime
