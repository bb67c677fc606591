#include "format/tensor_names.hpp"

#include "core/hash.hpp"

namespace slm::format {
namespace {

TensorSpec spec(std::string name, std::uint32_t d0, std::uint32_t d1 = 0) {
    TensorSpec s;
    s.name_hash = fnv1a64(name);
    s.name = std::move(name);
    s.rank = d1 == 0 ? 1 : 2;
    s.dims = {d0, d1, 0, 0};  // unused dims are stored as 0
    return s;
}

}  // namespace

std::string layer_tensor_name(std::uint32_t layer, const char* suffix) {
    return "layers." + std::to_string(layer) + "." + suffix;
}

std::uint64_t required_tensor_count(const ModelConfig& c) {
    return (c.tied_output ? 2u : 3u) + 9 * std::uint64_t(c.n_layers);
}

std::vector<TensorSpec> required_tensors(const ModelConfig& c) {
    const std::uint32_t dim = c.dim();
    const std::uint32_t kv_dim = c.kv_dim();
    std::vector<TensorSpec> out;
    out.reserve(3 + 9 * static_cast<std::size_t>(c.n_layers));
    out.push_back(spec("tok_embeddings.weight", dim, c.vocab_size));
    for (std::uint32_t i = 0; i < c.n_layers; ++i) {
        out.push_back(spec(layer_tensor_name(i, "attention_norm.weight"), dim));
        out.push_back(spec(layer_tensor_name(i, "attention.wq.weight"), dim, dim));
        out.push_back(spec(layer_tensor_name(i, "attention.wk.weight"), dim, kv_dim));
        out.push_back(spec(layer_tensor_name(i, "attention.wv.weight"), dim, kv_dim));
        out.push_back(spec(layer_tensor_name(i, "attention.wo.weight"), dim, dim));
        out.push_back(spec(layer_tensor_name(i, "ffn_norm.weight"), dim));
        out.push_back(spec(layer_tensor_name(i, "feed_forward.w1.weight"), dim, c.ffn_dim));
        out.push_back(spec(layer_tensor_name(i, "feed_forward.w2.weight"), c.ffn_dim, dim));
        out.push_back(spec(layer_tensor_name(i, "feed_forward.w3.weight"), dim, c.ffn_dim));
    }
    out.push_back(spec("norm.weight", dim));
    if (!c.tied_output) out.push_back(spec("output.weight", dim, c.vocab_size));
    return out;
}

}  // namespace slm::format
