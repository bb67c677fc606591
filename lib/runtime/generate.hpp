// Text generation: prefill a prompt, then sample and feed tokens one at a
// time until EOS, the token budget, the context length or the caller stops.
//
//   prompt p_0 .. p_{P-1}  -> positions 0 .. P-1 (prefill)
//   generated g_0 .. g_{G-1}: g_i is sampled from the logits of position P-1+i
//                             and fed at position P+i if generation continues
// so prompt + generated never exceeds context_length. EOS ends generation
// and is not part of `tokens`.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "quant/matvec.hpp"
#include "runtime/model.hpp"
#include "runtime/numerics.hpp"
#include "runtime/sampler.hpp"
#include "runtime/session.hpp"
#include "tokenizer/tokenizer.hpp"

namespace slm::runtime {

enum class StopReason { eos, max_tokens, context, cancelled };

// "eos", "max_tokens", "context", "cancelled"
std::string_view stop_reason_name(StopReason reason);

struct GenerateOptions {
    std::uint32_t max_tokens = 64;  // generated tokens at most (0: prefill only)
    SamplerOptions sampling;        // default: greedy
    unsigned threads = 1;           // see SessionOptions
    quant::ActivationMode activations = quant::ActivationMode::f32;  // see SessionOptions
    Numerics numerics = Numerics::native;                            // see SessionOptions
    std::uint32_t prefill_batch = k_prefill_batch;                   // see SessionOptions
    KvType kv_cache = KvType::f32;                                   // see SessionOptions
    bool stop_at_eos = true;
    // Diagnostics: receives the logits of every step in order (prompt
    // positions included), with the position that produced them. Setting it
    // makes prefill compute logits it would otherwise skip.
    std::function<void(std::uint32_t pos, std::span<const float> logits)> on_logits;
};

struct Timings {
    double load_ms = 0.0;     // session set-up: KV cache allocation, thread start
    double prefill_ms = 0.0;  // feeding the prompt
    double decode_ms = 0.0;   // sampling and feeding generated tokens
    double prefill_tok_s = 0.0;  // prompt tokens / prefill time
    double decode_tok_s = 0.0;   // generated tokens / decode time
};

struct GenerationResult {
    std::vector<std::uint32_t> tokens;  // generated ids (EOS excluded)
    StopReason stop_reason = StopReason::max_tokens;
    Timings timings;
    unsigned threads = 1;  // threads actually used
};

// Called with each generated token as soon as it is sampled; return false to
// stop (stop_reason cancelled; the token is kept in the result).
using TokenCallback = std::function<bool(std::uint32_t token)>;

// Errors: the sampler's (usage) for invalid options; ErrorCode::usage
// "runtime.empty_prompt" for no prompt tokens; ErrorCode::invalid_input
// "runtime.prompt_too_long" when the prompt leaves no room to generate
// (prompt tokens >= context_length); forward()'s for ids outside the vocabulary.
Result<GenerationResult> generate(const Model& model, const tokenizer::Tokenizer& tokenizer,
                                  std::span<const std::uint32_t> prompt, const GenerateOptions& options,
                                  const TokenCallback& on_token = {});

}  // namespace slm::runtime
