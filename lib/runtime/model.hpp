// The weights of a llama-style decoder as the forward pass sees them.
//
// A Model is built once from a validated SlmView and never changes, so any
// number of sessions (and threads) may share it. Matrices are quant::WeightView
// pointers into the container's bytes: nothing is copied or dequantized, and
// the bytes the view was parsed from (normally a MappedFile) must outlive the
// Model. Only derived vectors that are tiny next to the matrices are owned:
// the RoPE frequencies and, if a file stores them quantized, the norm weights.
// The exception, on request (ModelOptions::pack_for_int8): a packed copy of
// the q8_0/q4_0 matrices for kernels that read 16 rows at once.
//
// Shapes (rows x row length; a row is dims[0] of the .slm tensor):
//   token_embedding  (vocab, dim)               one row per token
//   wq               (n_heads*head_dim, dim)
//   wk, wv           (n_kv_heads*head_dim, dim)
//   wo               (dim, n_heads*head_dim)
//   w1, w3           (ffn, dim)                 gate, up
//   w2               (dim, ffn)                 down
//   output           (vocab, dim)               token_embedding when tied
//   norms            (dim,) f32
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/result.hpp"
#include "format/layout.hpp"
#include "format/reader.hpp"
#include "quant/matvec.hpp"
#include "quant/packed.hpp"

namespace slm::runtime {

struct LayerWeights {
    const float* attention_norm = nullptr;  // (dim,)
    quant::WeightView wq, wk, wv, wo;
    const float* ffn_norm = nullptr;  // (dim,)
    quant::WeightView w1, w2, w3;
};

struct ModelOptions {
    // Copy the q8_0/q4_0 matrices into the packed layout (quant/packed.hpp)
    // when the active kernel set has packed kernels; sessions with int8
    // activations then use them (faster, and the scalar reference's bits),
    // f32 activations keep reading the file's layout. Costs a copy of those
    // matrices and a few milliseconds per 10 MB.
    bool pack_for_int8 = false;
    // Called with file ranges whose bytes have been packed, a slice at a
    // time, so their owner can drop them from memory
    // (format::SlmFile::release); int8 sessions no longer read them. May be
    // empty.
    quant::ReleaseFn release;
};

class Model {
public:
    // Errors: ErrorCode::incompatible "runtime.unsupported_model" for a
    // model_type other than llama or an odd head_dim (RoPE rotates pairs);
    // ErrorCode::invalid_input "runtime.missing_tensor" / "runtime.bad_shape"
    // if the view lacks a tensor or has an unexpected shape (the reader has
    // already checked this; the runtime does not rely on it); ErrorCode::internal
    // "runtime.out_of_memory" if packing (ModelOptions) cannot allocate.
    static Result<Model> create(const format::SlmView& view, const ModelOptions& options = {});

    // Move-only: layer pointers may refer to owned_norms_, whose buffers a
    // move keeps in place but a copy would not.
    Model(Model&&) noexcept = default;
    Model& operator=(Model&&) noexcept = default;
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;

    const format::ModelConfig& config() const { return config_; }
    std::uint32_t dim() const { return config_.dim(); }
    std::uint32_t kv_dim() const { return config_.kv_dim(); }

    const quant::WeightView& token_embedding() const { return token_embedding_; }
    const std::vector<LayerWeights>& layers() const { return layers_; }
    const float* final_norm() const { return final_norm_; }
    const quant::WeightView& output() const { return output_; }  // the embedding when tied

    // theta^(-2i/head_dim) for i in [0, head_dim/2), in double precision.
    const std::vector<double>& rope_frequencies() const { return rope_freqs_; }

    // out[0, dim) = row `token` of the embedding, dequantized to f32.
    // Requires token < vocab_size.
    void embed(std::uint32_t token, float* out) const;

    // Bytes of weight data the model points at (matrices and norms).
    std::uint64_t weight_bytes() const { return weight_bytes_; }
    // Bytes of packed copies (0 unless ModelOptions::pack_for_int8 packed some).
    std::uint64_t packed_bytes() const { return packed_bytes_; }

private:
    Model() = default;
    void pack_matrices(const ModelOptions& options);

    format::ModelConfig config_;
    quant::WeightView token_embedding_;
    std::vector<LayerWeights> layers_;
    const float* final_norm_ = nullptr;
    quant::WeightView output_;
    std::vector<double> rope_freqs_;
    // Norm weights stored quantized in the file, dequantized once (dim floats each).
    std::vector<std::vector<float>> owned_norms_;
    std::uint64_t weight_bytes_ = 0;
    // Packed copies the views' `packed` pointers refer to (heap: moves keep them).
    std::vector<std::unique_ptr<quant::PackedMatrix>> packed_;
    std::uint64_t packed_bytes_ = 0;
};

}  // namespace slm::runtime
