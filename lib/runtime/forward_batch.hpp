// Several consecutive positions in one pass (batched prefill):
// forward_batch(tokens, pos) leaves the KV cache and the logits exactly as
// forward() called for tokens[0] at pos, tokens[1] at pos + 1, ... would,
// bit for bit: every value is computed by the same code (attention.hpp,
// matmul.hpp), only the loops are reordered so that each matrix is read once
// per batch instead of once per token. Native numerics only.
#pragma once

#include <cstdint>
#include <span>

#include "core/result.hpp"
#include "quant/matvec.hpp"
#include "runtime/batch_state.hpp"
#include "runtime/model.hpp"
#include "runtime/state.hpp"

namespace slm::quant {
class ThreadPool;
}

namespace slm::runtime {

// Which positions of the batch need logits.
enum class BatchLogits { none, last, all };

// "runtime.bad_token" for a token >= vocab_size, "runtime.context_full" when
// positions pos .. pos + tokens.size() - 1 do not all fit in the context.
Status check_positions(const format::ModelConfig& config, std::span<const std::uint32_t> tokens,
                       std::uint32_t pos);

// tokens.size() <= batch.capacity and pos + tokens.size() <= context_length.
// Returns the logits: empty (none), state.logits for the last position (last),
// or batch.logits with tokens.size() rows of vocab_size (all); valid until
// the next call. Errors as forward(), checked for every token before any is
// fed (then nothing changed).
Result<std::span<const float>> forward_batch(const Model& model, State& state, BatchState& batch,
                                             std::span<const std::uint32_t> tokens, std::uint32_t pos,
                                             quant::ThreadPool* pool, BatchLogits logits,
                                             quant::ActivationMode activations);

}  // namespace slm::runtime
