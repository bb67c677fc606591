// Which arithmetic the forward pass uses.
//
//   native  slmctl's own kernels (the default; forward.hpp).
//   ggml    llama.cpp's CPU backend op by op (ggml_forward.hpp), so that the
//           logits are bit-identical to llama.cpp's: node-llama-cpp 3.22.1's
//           haswell build, 1 thread, f32 KV cache, flash attention off, the
//           prompt in one batch (docs/llama-cpp-numerics.md). Exact on an
//           AVX2 host without AVX-512 (there llama.cpp loads that build);
//           elsewhere llama.cpp itself computes differently. Quantized
//           matrices always read int8 activations (llama.cpp's scheme).
#pragma once

#include <optional>
#include <string_view>

namespace slm::runtime {

enum class Numerics { native, ggml };

inline std::string_view numerics_name(Numerics n) { return n == Numerics::ggml ? "ggml" : "native"; }

inline std::optional<Numerics> find_numerics(std::string_view name) {
    if (name == "native") return Numerics::native;
    if (name == "ggml") return Numerics::ggml;
    return std::nullopt;
}

// Where a step sits in llama.cpp's batching; only Numerics::ggml reads it.
// llama.cpp evaluates a prompt of >= 2 tokens as one batch, whose kernels
// differ from one-token decoding for f32 weights (tinyBLAS) and attention.
struct StepBatch {
    bool prompt = false;        // a position of a prompt batch of >= 2 tokens
    bool many_outputs = false;  // that batch returns logits for >= 2 positions, so
                                // the last layer's FFN and the output product run
                                // batched too (otherwise on the last row alone)
};

}  // namespace slm::runtime
