// Canonical llama tensor names and the shape each must have for a config.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "format/layout.hpp"

namespace slm::format {

struct TensorSpec {
    std::string name;
    std::uint64_t name_hash = 0;
    std::uint32_t rank = 0;
    std::array<std::uint32_t, 4> dims{};  // dims[0] innermost (the row length)
};

// The exact set of tensors a model with this config must contain, in the
// canonical order the writer uses (embeddings, layers in order, norm, output).
//   tok_embeddings.weight           (dim, vocab)
//   layers.i.attention_norm.weight  (dim,)
//   layers.i.attention.wq.weight    (dim, n_heads*head_dim)
//   layers.i.attention.wk/wv.weight (dim, n_kv_heads*head_dim)
//   layers.i.attention.wo.weight    (n_heads*head_dim, dim)
//   layers.i.ffn_norm.weight        (dim,)
//   layers.i.feed_forward.w1/w3     (dim, ffn)   gate / up
//   layers.i.feed_forward.w2        (ffn, dim)   down
//   norm.weight                     (dim,)
//   output.weight                   (dim, vocab)  absent when tied
std::vector<TensorSpec> required_tensors(const ModelConfig& config);

// required_tensors(config).size(), computed without building the list (the
// reader checks it against tensor_count before trusting n_layers).
std::uint64_t required_tensor_count(const ModelConfig& config);

std::string layer_tensor_name(std::uint32_t layer, const char* suffix);

}  // namespace slm::format
