// GGUF "llama" <-> .slm: names, hyper-parameters and tensor re-layout (see gguf_llama.hpp).
#include "interop/gguf_llama.hpp"

#include <bit>
#include <cmath>
#include <cstring>

#include "format/tensor_names.hpp"
#include "quant/f16.hpp"

namespace slm::interop {
namespace {

using format::DType;

constexpr std::pair<const char*, const char*> k_layer_names[] = {
    {"attn_norm", "attention_norm"},    {"attn_q", "attention.wq"},        {"attn_k", "attention.wk"},
    {"attn_v", "attention.wv"},         {"attn_output", "attention.wo"},   {"ffn_norm", "ffn_norm"},
    {"ffn_gate", "feed_forward.w1"},    {"ffn_down", "feed_forward.w2"},   {"ffn_up", "feed_forward.w3"},
};
constexpr std::pair<const char*, const char*> k_global_names[] = {
    {"token_embd.weight", "tok_embeddings.weight"}, {"output_norm.weight", "norm.weight"},
    {"output.weight", "output.weight"},
};

Error invalid(const GgufFile& f, const char* id, const std::string& message) {
    return make_error(ErrorCode::invalid_input, std::string("gguf.") + id, f.path() + ": " + message);
}
Error unsupported(const GgufFile& f, const std::string& message) {
    return make_error(ErrorCode::incompatible, "gguf.unsupported", f.path() + ": " + message);
}

// "blk.7.attn_q.weight" -> (7, "attn_q"); false for other shapes.
bool split_layer_name(std::string_view name, std::uint32_t& layer, std::string_view& part, std::string_view prefix,
                      std::string_view suffix) {
    if (name.size() <= prefix.size() + suffix.size() || name.substr(0, prefix.size()) != prefix ||
        name.substr(name.size() - suffix.size()) != suffix)
        return false;
    std::string_view rest = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    const std::size_t dot = rest.find('.');
    if (dot == 0 || dot == std::string_view::npos || dot > 9) return false;
    layer = 0;
    for (char c : rest.substr(0, dot)) {
        if (c < '0' || c > '9') return false;
        layer = layer * 10 + static_cast<std::uint32_t>(c - '0');
    }
    part = rest.substr(dot + 1);
    return true;
}

Result<std::uint32_t> get_u32(const GgufFile& f, const std::string& key) {
    auto v = f.get_uint(key);
    if (!v) return v.take_error();
    if (*v == 0 || *v > 0xFFFFFFFFull)
        return invalid(f, "bad_value", key + " = " + std::to_string(*v) + " is outside 1..2^32-1");
    return static_cast<std::uint32_t>(*v);
}

Status check_is_llama_model(const GgufFile& f) {
    if (const GgufValue* type = f.find("general.type"); type != nullptr && type->s == "adapter")
        return make_error(ErrorCode::incompatible, "gguf.is_adapter",
                          f.path() + ": this is an adapter, not a model (general.type = adapter); "
                                     "apply adapters with `slmctl adapter-apply`");
    auto arch = f.get_string("general.architecture");
    if (!arch) return arch.take_error();
    if (*arch != "llama")
        return unsupported(f, "architecture '" + *arch + "' is not supported (expected llama)");
    if (const GgufValue* experts = f.find("llama.expert_count"); experts != nullptr && (experts->u > 0 || experts->i > 0))
        return unsupported(f, "mixture-of-experts llama models (llama.expert_count > 0) are not supported");
    if (const GgufValue* scaling = f.find("llama.rope.scaling.type");
        scaling != nullptr && scaling->s != "none" && !scaling->s.empty())
        return unsupported(f, "RoPE scaling '" + scaling->s + "' is not supported");
    return {};
}

Result<format::ModelConfig> read_config(const GgufFile& f) {
    format::ModelConfig c;
    auto dim = get_u32(f, "llama.embedding_length");
    if (!dim) return dim.take_error();
    auto n_layers = get_u32(f, "llama.block_count");
    if (!n_layers) return n_layers.take_error();
    auto n_heads = get_u32(f, "llama.attention.head_count");
    if (!n_heads) return n_heads.take_error();
    auto ffn = get_u32(f, "llama.feed_forward_length");
    if (!ffn) return ffn.take_error();
    auto context = get_u32(f, "llama.context_length");
    if (!context) return context.take_error();
    auto eps = f.get_float("llama.attention.layer_norm_rms_epsilon");
    if (!eps) return eps.take_error();
    c.n_layers = *n_layers;
    c.n_heads = *n_heads;
    c.ffn_dim = *ffn;
    c.context_length = *context;
    c.rms_eps = static_cast<float>(*eps);
    c.n_kv_heads = c.n_heads;
    if (f.find("llama.attention.head_count_kv") != nullptr) {
        auto kv = get_u32(f, "llama.attention.head_count_kv");
        if (!kv) return kv.take_error();
        c.n_kv_heads = *kv;
    }
    if (*dim % c.n_heads != 0 || c.n_heads % c.n_kv_heads != 0)
        return invalid(f, "bad_value", "embedding_length " + std::to_string(*dim) + ", head_count " +
                                           std::to_string(c.n_heads) + " and head_count_kv " +
                                           std::to_string(c.n_kv_heads) + " do not divide evenly");
    c.head_dim = *dim / c.n_heads;
    if (f.find("llama.rope.dimension_count") != nullptr) {
        auto rot = get_u32(f, "llama.rope.dimension_count");
        if (!rot) return rot.take_error();
        if (*rot != c.head_dim)
            return unsupported(f, "partial rotary embeddings (rope.dimension_count " + std::to_string(*rot) +
                                      " != head dim " + std::to_string(c.head_dim) + ") are not supported");
    }
    if (f.find("llama.rope.freq_base") != nullptr) {
        auto theta = f.get_float("llama.rope.freq_base");
        if (!theta) return theta.take_error();
        c.rope_theta = static_cast<float>(*theta);
    }
    return c;
}

// One GGUF tensor as .slm payload (+ scales), owned by `storage`.
Result<format::TensorInput> convert_tensor(const GgufFile& f, const GgufTensorInfo& t, const format::TensorSpec& spec,
                                           std::vector<std::vector<std::uint8_t>>& storage) {
    format::TensorInput out;
    out.name = spec.name;
    out.dims.assign(spec.dims.begin(), spec.dims.begin() + spec.rank);
    bool shape_ok = t.ne.size() == spec.rank;
    for (std::size_t d = 0; shape_ok && d < t.ne.size(); ++d) shape_ok = t.ne[d] == spec.dims[d];
    if (!shape_ok) {
        std::string found, wanted;
        for (std::uint64_t d : t.ne) found += (found.empty() ? "" : ", ") + std::to_string(d);
        for (std::uint32_t d = 0; d < spec.rank; ++d) wanted += (d ? ", " : "") + std::to_string(spec.dims[d]);
        return invalid(f, "bad_shape", "tensor '" + t.name + "' has ne [" + found + "], expected [" + wanted + "]");
    }
    const Bytes data = f.tensor_data(t);
    const std::uint64_t n = t.element_count();
    auto finite = [&](float v, std::uint64_t at) -> Status {
        if (std::isfinite(v)) return {};
        return invalid(f, "non_finite", "tensor '" + t.name + "' holds a non-finite value at element " +
                                             std::to_string(at));
    };
    switch (t.ggml_type) {
        case 0: case 1: case 30: {  // F32, F16, BF16 -> f32 (copied: the mapping closes after import)
            std::vector<std::uint8_t>& buf = storage.emplace_back(n * sizeof(float));
            auto* dst = reinterpret_cast<float*>(buf.data());
            for (std::uint64_t k = 0; k < n; ++k) {
                float v;
                if (t.ggml_type == 0) v = load_le<float>(data.data() + 4 * k);
                else if (t.ggml_type == 1) v = quant::fp16_to_fp32(load_le<std::uint16_t>(data.data() + 2 * k));
                else v = std::bit_cast<float>(std::uint32_t{load_le<std::uint16_t>(data.data() + 2 * k)} << 16);  // bf16: exact
                if (auto st = finite(v, k); !st) return st.take_error();
                dst[k] = v;
            }
            out.dtype = DType::f32;
            out.data = Bytes(buf);
            return out;
        }
        case 2: case 8: {  // Q4_0 (f16 d + 16 nibble bytes), Q8_0 (f16 d + 32 int8)
            const bool q8 = t.ggml_type == 8;
            const std::uint64_t blocks = n / 32;
            const std::size_t value_bytes = q8 ? 32 : 16;
            const std::size_t block_bytes = 2 + value_bytes;
            std::vector<std::uint8_t> values(blocks * value_bytes);
            std::vector<std::uint8_t> scales(blocks * sizeof(float));
            for (std::uint64_t b = 0; b < blocks; ++b) {
                const std::uint8_t* block = data.data() + b * block_bytes;
                const float d = quant::fp16_to_fp32(load_le<std::uint16_t>(block));
                if (auto st = finite(d, b * 32); !st) return st.take_error();
                std::memcpy(scales.data() + b * sizeof(float), &d, sizeof d);
                std::memcpy(values.data() + b * value_bytes, block + 2, value_bytes);
            }
            // Moving a vector keeps its buffer, so the spans stay valid in storage.
            out.data = Bytes(storage.emplace_back(std::move(values)));
            out.scales = Bytes(storage.emplace_back(std::move(scales)));
            out.dtype = q8 ? DType::q8_0 : DType::q4_0;
            out.block_size = 32;
            return out;
        }
        default: {
            const GgmlTypeInfo* info = ggml_type_info(t.ggml_type);
            return unsupported(f, "tensor '" + t.name + "' has type " + (info ? info->name : "?") +
                                      "; slmctl imports F32, F16, BF16, Q8_0 and Q4_0 "
                                      "(re-quantize with llama.cpp's llama-quantize to one of those)");
        }
    }
}

}  // namespace

std::string slm_name_from_gguf(std::string_view name) {
    for (auto [gguf, slm] : k_global_names)
        if (name == gguf) return slm;
    std::uint32_t layer;
    std::string_view part;
    if (!split_layer_name(name, layer, part, "blk.", ".weight")) return {};
    for (auto [gguf, slm] : k_layer_names)
        if (part == gguf) return format::layer_tensor_name(layer, (std::string(slm) + ".weight").c_str());
    return {};
}

std::string gguf_name_from_slm(std::string_view name) {
    for (auto [gguf, slm] : k_global_names)
        if (name == slm) return gguf;
    std::uint32_t layer;
    std::string_view part;
    if (!split_layer_name(name, layer, part, "layers.", ".weight")) return {};
    for (auto [gguf, slm] : k_layer_names)
        if (part == slm) return "blk." + std::to_string(layer) + "." + gguf + ".weight";
    return {};
}

Result<ImportedModel> import_gguf_llama(const GgufFile& f) {
    if (auto st = check_is_llama_model(f); !st) return st.take_error();
    auto config = read_config(f);
    if (!config) return config.take_error();
    auto tokenizer = tokenizer_from_gguf(f);
    if (!tokenizer) return tokenizer.take_error();

    ImportedModel m;
    m.source_format = "gguf";
    if (const GgufValue* name = f.find("general.name"); name != nullptr) m.model_name = name->s;
    if (const GgufValue* version = f.find("general.version"); version != nullptr) m.model_version = version->s;
    m.input.config = *config;
    m.input.config.vocab_size = static_cast<std::uint32_t>(tokenizer->tokens.size());
    m.input.config.tied_output = f.find_tensor("output.weight") == nullptr;
    m.input.tokenizer = std::move(*tokenizer);
    if (f.find("llama.vocab_size") != nullptr) {
        auto v = f.get_uint("llama.vocab_size");
        if (!v) return v.take_error();
        if (*v != m.input.config.vocab_size)
            return invalid(f, "bad_value", "llama.vocab_size is " + std::to_string(*v) + " but the tokenizer has " +
                                               std::to_string(m.input.config.vocab_size) + " tokens");
    }

    // Compare counts before building the list: block_count is untrusted.
    const std::uint64_t expected = format::required_tensor_count(m.input.config);
    if (expected != f.tensors().size())
        return invalid(f, "tensor_count", "a llama model with " + std::to_string(m.input.config.n_layers) +
                                              " layers and " + (m.input.config.tied_output ? "tied" : "untied") +
                                              " output has " + std::to_string(expected) + " tensors, the file has " +
                                              std::to_string(f.tensors().size()));
    const auto required = format::required_tensors(m.input.config);
    for (const GgufTensorInfo& t : f.tensors()) {
        const std::string slm = slm_name_from_gguf(t.name);
        bool known = false;
        for (const auto& spec : required) known |= spec.name == slm;
        if (!known)
            return unsupported(f, "tensor '" + t.name + "' has no place in a llama model with " +
                                      std::to_string(m.input.config.n_layers) + " layers");
    }
    for (const auto& spec : required) {
        const GgufTensorInfo* t = f.find_tensor(gguf_name_from_slm(spec.name));
        if (t == nullptr)
            return invalid(f, "missing_tensor", "tensor '" + gguf_name_from_slm(spec.name) + "' is missing");
        auto converted = convert_tensor(f, *t, spec, m.storage);
        if (!converted) return converted.take_error();
        m.input.tensors.push_back(std::move(*converted));
    }
    return m;
}

Result<std::vector<std::uint8_t>> export_gguf_llama(const format::SlmView& view, const GgufExportOptions& options) {
    const format::ModelConfig& c = view.config();
    if (c.model_type != format::k_model_type_llama)
        return make_error(ErrorCode::incompatible, "gguf.unsupported", "only llama models can be exported to GGUF");
    std::vector<std::pair<std::string, GgufValue>> kv;
    kv.emplace_back("general.architecture", GgufValue::make_string("llama"));
    if (!options.model_name.empty()) kv.emplace_back("general.name", GgufValue::make_string(options.model_name));
    if (!options.model_version.empty())
        kv.emplace_back("general.version", GgufValue::make_string(options.model_version));
    kv.emplace_back("general.alignment", GgufValue::make_u32(k_gguf_default_alignment));
    kv.emplace_back("llama.vocab_size", GgufValue::make_u32(c.vocab_size));
    kv.emplace_back("llama.context_length", GgufValue::make_u32(c.context_length));
    kv.emplace_back("llama.embedding_length", GgufValue::make_u32(c.dim()));
    kv.emplace_back("llama.block_count", GgufValue::make_u32(c.n_layers));
    kv.emplace_back("llama.feed_forward_length", GgufValue::make_u32(c.ffn_dim));
    kv.emplace_back("llama.rope.dimension_count", GgufValue::make_u32(c.head_dim));
    kv.emplace_back("llama.attention.head_count", GgufValue::make_u32(c.n_heads));
    kv.emplace_back("llama.attention.head_count_kv", GgufValue::make_u32(c.n_kv_heads));
    kv.emplace_back("llama.attention.layer_norm_rms_epsilon", GgufValue::make_f32(c.rms_eps));
    kv.emplace_back("llama.rope.freq_base", GgufValue::make_f32(c.rope_theta));
    if (auto st = tokenizer_to_gguf(view.tokenizer(), kv); !st) return st.take_error();

    std::vector<std::vector<std::uint8_t>> blocks;  // ggml blocks built for quantized tensors
    blocks.reserve(view.tensors().size());
    std::vector<GgufTensorInput> tensors;
    for (const format::TensorView& t : view.tensors()) {
        GgufTensorInput g;
        g.name = gguf_name_from_slm(t.name);
        g.ne.assign(t.entry.dims.begin(), t.entry.dims.begin() + t.entry.rank);
        if (t.dtype == DType::f32) {
            g.ggml_type = 0;
            g.data = t.data;
            tensors.push_back(std::move(g));
            continue;
        }
        const bool q8 = t.dtype == DType::q8_0;
        if (t.entry.block_size != 32)
            return make_error(ErrorCode::incompatible, "gguf.block_size",
                              "tensor " + t.name + " uses block size " + std::to_string(t.entry.block_size) +
                                  "; GGUF Q8_0/Q4_0 need 32 (re-quantize with --block-size 32)");
        const std::size_t value_bytes = q8 ? 32 : 16;
        const std::uint64_t n_blocks = t.element_count() / 32;
        std::vector<std::uint8_t>& out = blocks.emplace_back(n_blocks * (2 + value_bytes));
        for (std::uint64_t b = 0; b < n_blocks; ++b) {
            const float d = t.scale_values()[b];
            const std::uint16_t h = quant::fp32_to_fp16(d);
            if (!(quant::fp16_to_fp32(h) == d))
                return make_error(ErrorCode::incompatible, "gguf.scale_not_f16",
                                  "tensor " + t.name + " block " + std::to_string(b) + ": scale " + std::to_string(d) +
                                      " is not an f16 value, so it cannot be stored as a ggml block");
            std::uint8_t* block = out.data() + b * (2 + value_bytes);
            std::memcpy(block, &h, 2);
            std::memcpy(block + 2, t.data.data() + b * value_bytes, value_bytes);
        }
        g.ggml_type = q8 ? 8 : 2;
        g.data = Bytes(out);
        tensors.push_back(std::move(g));
    }
    return write_gguf(kv, tensors);
}

}  // namespace slm::interop
