// Compares a derived model (quantized, adapted) with its parent on the same
// token sequence: per position, the next-token distributions of both.
//
//   KL(parent || derived) = sum_i p_i (log p_i - log q_i)   averaged over positions
//   same-top-1            = share of positions where both argmax agree
//   perplexity            = exp(mean -log p(next token))    for each model
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.hpp"
#include "runtime/model.hpp"

namespace slm::runtime {

struct ComparisonReport {
    std::uint32_t positions = 0;      // predictions compared (tokens - 1)
    double mean_kl = 0.0;             // nats
    double max_kl = 0.0;
    double same_top1 = 0.0;           // in [0, 1]
    double perplexity_parent = 0.0;
    double perplexity_derived = 0.0;
    double max_abs_logit_diff = 0.0;
};

// Log-probabilities of a logit vector, computed in double.
void log_softmax(std::span<const float> logits, std::span<double> out);

// KL(p || q) between the distributions of two logit vectors, in nats.
double kl_divergence(std::span<const float> p_logits, std::span<const float> q_logits);

// Both models must share vocab size and context; `tokens` needs at least two
// tokens and at most context_length. Errors: "runtime.compare_mismatch"
// (incompatible), "runtime.compare_too_short" (invalid_input).
Result<ComparisonReport> compare_models(const Model& parent, const Model& derived,
                                        std::span<const std::uint32_t> tokens, unsigned threads = 1);

// Perplexity of one model on a token sequence (same rules as compare_models).
Result<double> perplexity(const Model& model, std::span<const std::uint32_t> tokens, unsigned threads = 1);

// Several sequences scored as one text: every sequence starts with an empty
// cache, and the results cover all their positions (KL and same-top-1
// averaged per position, perplexity over the total log-likelihood).
using Sequences = std::vector<std::vector<std::uint32_t>>;

// `tokens` cut into windows of at most `context` tokens, consecutive windows
// sharing one token so that every next-token prediction is scored once. A
// text longer than the context is then scored whole rather than truncated.
Sequences context_windows(std::span<const std::uint32_t> tokens, std::uint32_t context);

Result<ComparisonReport> compare_models(const Model& parent, const Model& derived, const Sequences& sequences,
                                        unsigned threads = 1);
Result<double> perplexity(const Model& model, const Sequences& sequences, unsigned threads = 1);

}  // namespace slm::runtime
