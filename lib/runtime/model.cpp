#include "runtime/model.hpp"

#include <cassert>
#include <cmath>
#include <new>
#include <string>
#include <unordered_map>

#include "format/tensor_names.hpp"
#include "quant/dtype_traits.hpp"
#include "quant/kernels.hpp"

namespace slm::runtime {

namespace {

std::string shape_text(const std::array<std::uint32_t, 4>& dims, std::uint32_t rank) {
    std::string s = "(";
    for (std::uint32_t i = 0; i < rank; ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
    return s + ")";
}

// The tensor named by `spec`, checked against the shape the config implies.
Result<const format::TensorView*> find_checked(const format::SlmView& view,
                                               const format::TensorSpec& spec) {
    const format::TensorView* t = view.find(spec.name);
    if (t == nullptr) {
        return make_error(ErrorCode::invalid_input, "runtime.missing_tensor",
                          "model has no tensor '" + spec.name + "'");
    }
    if (t->entry.rank != spec.rank || t->entry.dims != spec.dims) {
        return make_error(ErrorCode::invalid_input, "runtime.bad_shape",
                          "tensor '" + spec.name + "': expected shape " +
                              shape_text(spec.dims, spec.rank) + ", found " +
                              shape_text(t->entry.dims, t->entry.rank));
    }
    return t;
}

quant::WeightView weight_view(const format::TensorView& t) {
    quant::WeightView w;
    w.dtype = t.dtype;
    w.values = t.data.data();
    w.scales = t.scales.empty() ? nullptr : t.scale_values();
    w.block_size = t.entry.block_size;
    return w;
}

}  // namespace

Result<Model> Model::create(const format::SlmView& view, const ModelOptions& options) {
    const format::ModelConfig& c = view.config();
    if (c.model_type != format::k_model_type_llama) {
        return make_error(ErrorCode::incompatible, "runtime.unsupported_model",
                          "model_type " + std::to_string(c.model_type) +
                              " is not supported (expected 1, llama-style decoder)");
    }
    if (c.head_dim % 2 != 0) {
        return make_error(ErrorCode::incompatible, "runtime.unsupported_model",
                          "head_dim " + std::to_string(c.head_dim) +
                              " is odd; RoPE rotates pairs of dimensions and needs it even");
    }
    if (c.n_kv_heads == 0 || c.n_heads % c.n_kv_heads != 0) {
        return make_error(ErrorCode::invalid_input, "runtime.bad_shape",
                          "n_heads " + std::to_string(c.n_heads) + " is not a multiple of n_kv_heads " +
                              std::to_string(c.n_kv_heads));
    }

    Model m;
    m.config_ = c;
    m.layers_.resize(c.n_layers);
    m.owned_norms_.reserve(2 * static_cast<std::size_t>(c.n_layers) + 1);

    // Norm weights: f32 in place, anything else dequantized once. A packed
    // model copies them too, so that decoding with int8 activations reads
    // nothing from the file: a page it touches can bring back the whole
    // large folio around it (2 MiB), undoing the release of packed bytes.
    auto norm_pointer = [&m, &options](const format::TensorView& t) -> const float* {
        if (t.dtype == format::DType::f32 && !options.pack_for_int8) return t.f32();
        const auto n = static_cast<std::size_t>(t.element_count());
        std::vector<float> values(n);
        quant::dtype_traits(t.dtype).dequantize_row(t.data.data(), t.scale_values(),
                                                    t.entry.block_size, values.data(), n);
        m.owned_norms_.push_back(std::move(values));
        return m.owned_norms_.back().data();
    };

    // Every tensor the config requires, checked against its expected shape.
    std::unordered_map<std::string, const format::TensorView*> tensors;
    for (const format::TensorSpec& spec : format::required_tensors(c)) {
        auto found = find_checked(view, spec);
        if (!found) return found.take_error();
        tensors.emplace(spec.name, *found);
        m.weight_bytes_ += (*found)->data.size() + (*found)->scales.size();
    }
    auto tensor = [&tensors](const std::string& name) -> const format::TensorView& {
        const auto it = tensors.find(name);
        assert(it != tensors.end() && "required_tensors() lists every name used here");
        return *it->second;
    };

    m.token_embedding_ = weight_view(tensor("tok_embeddings.weight"));
    for (std::uint32_t i = 0; i < c.n_layers; ++i) {
        LayerWeights& l = m.layers_[i];
        l.attention_norm = norm_pointer(tensor(format::layer_tensor_name(i, "attention_norm.weight")));
        l.wq = weight_view(tensor(format::layer_tensor_name(i, "attention.wq.weight")));
        l.wk = weight_view(tensor(format::layer_tensor_name(i, "attention.wk.weight")));
        l.wv = weight_view(tensor(format::layer_tensor_name(i, "attention.wv.weight")));
        l.wo = weight_view(tensor(format::layer_tensor_name(i, "attention.wo.weight")));
        l.ffn_norm = norm_pointer(tensor(format::layer_tensor_name(i, "ffn_norm.weight")));
        l.w1 = weight_view(tensor(format::layer_tensor_name(i, "feed_forward.w1.weight")));
        l.w2 = weight_view(tensor(format::layer_tensor_name(i, "feed_forward.w2.weight")));
        l.w3 = weight_view(tensor(format::layer_tensor_name(i, "feed_forward.w3.weight")));
    }
    m.final_norm_ = norm_pointer(tensor("norm.weight"));
    m.output_ = c.tied_output ? m.token_embedding_ : weight_view(tensor("output.weight"));
    if (options.pack_for_int8) {
#if defined(__cpp_exceptions)
        // Released source pages are only dropped from memory, so a failure
        // part-way loses nothing: the file still holds every byte.
        try {
            m.pack_matrices(options);
        } catch (const std::bad_alloc&) {
            return make_error(ErrorCode::internal, "runtime.out_of_memory",
                              "cannot allocate the packed copy of the q8_0/q4_0 matrices (up to " +
                                  std::to_string(m.weight_bytes_) +
                                  " bytes); without packing (slmctl run --no-repack) they are read in place");
        }
#else
        m.pack_matrices(options);
#endif
    }

    const std::uint32_t half = c.head_dim / 2;
    m.rope_freqs_.resize(half);
    for (std::uint32_t i = 0; i < half; ++i) {
        m.rope_freqs_[i] = std::pow(static_cast<double>(c.rope_theta),
                                    -2.0 * static_cast<double>(i) / static_cast<double>(c.head_dim));
    }
    return m;
}

void Model::pack_matrices(const ModelOptions& options) {
    const quant::KernelSet& kernels = quant::active_kernels();
    if (kernels.rows_q8_0_packed == nullptr || kernels.rows_q4_0_packed == nullptr) return;
    auto pack = [&](quant::WeightView& w, std::size_t rows, std::size_t n) {
        if (!quant::packable(w, rows, n)) return;  // e.g. a scale f16 cannot hold
        packed_.push_back(
            std::make_unique<quant::PackedMatrix>(quant::PackedMatrix::pack(w, rows, n, options.release)));
        w.packed = packed_.back().get();
        packed_bytes_ += w.packed->bytes();
    };
    const std::size_t dim = config_.dim();
    const std::size_t ffn = config_.ffn_dim;
    for (LayerWeights& l : layers_) {
        pack(l.wq, dim, dim);
        pack(l.wk, kv_dim(), dim);
        pack(l.wv, kv_dim(), dim);
        pack(l.wo, dim, dim);
        pack(l.w1, ffn, dim);
        pack(l.w2, dim, ffn);
        pack(l.w3, ffn, dim);
    }
    pack(output_, config_.vocab_size, dim);
    // A tied output is the embedding: lookups then read the packed copy too,
    // instead of faulting the released pages back in.
    if (config_.tied_output) token_embedding_.packed = output_.packed;
}

void Model::embed(std::uint32_t token, float* out) const {
    assert(token < config_.vocab_size);
    if (token_embedding_.packed != nullptr) return token_embedding_.packed->dequantize_row(token, out);
    const std::size_t n = dim();
    const quant::DTypeTraits& traits = quant::dtype_traits(token_embedding_.dtype);
    const auto* values = static_cast<const std::uint8_t*>(token_embedding_.values) +
                         static_cast<std::size_t>(traits.value_bytes(n)) * token;
    const float* scales = traits.quantized
                              ? token_embedding_.scales + (n / token_embedding_.block_size) * token
                              : nullptr;
    traits.dequantize_row(values, scales, token_embedding_.block_size, out, n);
}

}  // namespace slm::runtime
