// Hugging Face LlamaForCausalLM directory -> .slm (see hf_llama.hpp).
#include "interop/hf_llama.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <optional>
#include <set>

#include "core/io.hpp"
#include "core/json_canonical.hpp"
#include "format/tensor_names.hpp"
#include "interop/hf_tokenizer_json.hpp"
#include "interop/safetensors.hpp"

namespace slm::interop {
namespace {

namespace fs = std::filesystem;
using format::k_no_token;
using nlohmann::json;

Error bad_config(const std::string& file, const std::string& field, const std::string& message) {
    return make_error(ErrorCode::invalid_input, "hf.bad_config", file + ": " + field + ": " + message);
}
Error unsupported(const char* id, const std::string& file, const std::string& message) {
    return make_error(ErrorCode::incompatible, std::string("hf.") + id, file + ": " + message);
}
Error invalid(const char* id, const std::string& file, const std::string& message) {
    return make_error(ErrorCode::invalid_input, std::string("hf.") + id, file + ": " + message);
}

std::string show(const json& v) {
    std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
    return s.size() > 100 ? s.substr(0, 97) + "..." : s;
}

std::string shape_text(const std::vector<std::uint64_t>& shape) {
    std::string s;
    for (std::uint64_t d : shape) s += (s.empty() ? "" : ", ") + std::to_string(d);
    return "[" + s + "]";
}

// The config.json fields this importer reads.
struct HfConfig {
    std::uint32_t hidden = 0, ffn = 0, heads = 0, kv_heads = 0, layers = 0, vocab = 0, context = 0;
    float rms_eps = 0.0f, rope_theta = 10000.0f;
    bool tied = false;
    std::uint32_t bos = k_no_token, eos = k_no_token;
    std::string name;
};

bool is_null_or_absent(const json& cfg, const char* key) {
    const auto it = cfg.find(key);
    return it == cfg.end() || it->is_null();
}

// A positive integer field; `fallback` (when given) stands in for a missing one.
Result<std::uint32_t> get_count(const std::string& file, const json& cfg, const char* key,
                                std::optional<std::uint32_t> fallback = std::nullopt) {
    const auto it = cfg.find(key);
    if (it == cfg.end() || it->is_null()) {
        if (fallback) return *fallback;
        return bad_config(file, key, "missing (expected a positive integer)");
    }
    if (!it->is_number_unsigned() || it->get<std::uint64_t>() == 0 || it->get<std::uint64_t>() > 0xFFFFFFFFull)
        return bad_config(file, key, "expected a positive integer below 2^32, found " + show(*it));
    return static_cast<std::uint32_t>(it->get<std::uint64_t>());
}

Result<float> get_positive_float(const std::string& file, const json& obj, const char* key, const std::string& field,
                                 std::optional<float> fallback) {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
        if (fallback) return *fallback;
        return bad_config(file, field, "missing (expected a positive number)");
    }
    if (!it->is_number() || !(it->get<double>() > 0.0) || !std::isfinite(static_cast<float>(it->get<double>())))
        return bad_config(file, field, "expected a positive finite number, found " + show(*it));
    return static_cast<float>(it->get<double>());
}

Result<bool> get_flag(const std::string& file, const json& cfg, const char* key, bool fallback) {
    const auto it = cfg.find(key);
    if (it == cfg.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) return bad_config(file, key, "expected true or false, found " + show(*it));
    return it->get<bool>();
}

// bos_token_id / eos_token_id: an id, a list of ids (the first counts) or null.
Result<std::uint32_t> get_token_id(const std::string& file, const json& cfg, const char* key) {
    const auto it = cfg.find(key);
    if (it == cfg.end() || it->is_null()) return k_no_token;
    const json& v = it->is_array() && !it->empty() ? (*it)[0] : *it;
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() >= k_no_token)
        return bad_config(file, key, "expected a token id or a list of token ids, found " + show(*it));
    return static_cast<std::uint32_t>(v.get<std::uint64_t>());
}

Status check_architecture(const std::string& file, const json& cfg) {
    const auto arch = cfg.find("architectures");
    if (arch != cfg.end() && !arch->is_null()) {
        if (!arch->is_array()) return bad_config(file, "architectures", "expected a list of class names");
        for (const json& a : *arch)
            if (a == "LlamaForCausalLM") return {};
        return unsupported("unsupported_architecture", file,
                           "architectures " + show(*arch) + " is not supported (expected LlamaForCausalLM)");
    }
    const auto type = cfg.find("model_type");
    if (type != cfg.end() && *type == "llama") return {};
    return unsupported("unsupported_architecture", file,
                       "neither architectures nor model_type name a llama model (expected architectures "
                       "[\"LlamaForCausalLM\"] or model_type \"llama\"; found model_type " +
                           (type == cfg.end() ? std::string("(none)") : show(*type)) + ")");
}

Result<HfConfig> read_config(const std::string& file) {
    auto text = read_text_file(file);
    if (!text) return text.take_error();
    auto parsed = parse_json(*text, file);
    if (!parsed) {
        Error e = parsed.take_error();
        e.id = "hf.bad_config";
        return e;
    }
    const json& cfg = *parsed;
    if (!cfg.is_object()) return bad_config(file, "(top level)", "expected a JSON object");
    SLM_TRY(check_architecture(file, cfg));

    HfConfig c;
    struct Count {
        const char* key;
        std::uint32_t* out;
    };
    for (auto [key, out] : {Count{"hidden_size", &c.hidden}, Count{"intermediate_size", &c.ffn},
                            Count{"num_attention_heads", &c.heads}, Count{"num_hidden_layers", &c.layers},
                            Count{"vocab_size", &c.vocab}, Count{"max_position_embeddings", &c.context}}) {
        auto v = get_count(file, cfg, key);
        if (!v) return v.take_error();
        *out = *v;
    }
    auto kv = get_count(file, cfg, "num_key_value_heads", c.heads);
    if (!kv) return kv.take_error();
    c.kv_heads = *kv;
    if (c.hidden % c.heads != 0 || (c.hidden / c.heads) % 2 != 0)
        return bad_config(file, "num_attention_heads",
                          std::to_string(c.heads) + " does not divide hidden_size " + std::to_string(c.hidden) +
                              " into heads of even width");
    if (c.heads % c.kv_heads != 0)
        return bad_config(file, "num_key_value_heads",
                          std::to_string(c.kv_heads) + " does not divide num_attention_heads " +
                              std::to_string(c.heads));
    if (!is_null_or_absent(cfg, "head_dim")) {
        auto hd = get_count(file, cfg, "head_dim");
        if (!hd) return hd.take_error();
        if (*hd != c.hidden / c.heads)
            return unsupported("unsupported_config", file,
                               "head_dim " + std::to_string(*hd) + " differs from hidden_size / num_attention_heads = " +
                                   std::to_string(c.hidden / c.heads) + "; .slm models have width heads x head_dim");
    }
    auto eps = get_positive_float(file, cfg, "rms_norm_eps", "rms_norm_eps", std::nullopt);
    if (!eps) return eps.take_error();
    c.rms_eps = *eps;

    // RoPE: plain rotary embeddings only. transformers 5 moved rope_theta into rope_parameters.
    if (!is_null_or_absent(cfg, "rope_scaling"))
        return unsupported("unsupported_config", file,
                           "rope_scaling " + show(cfg["rope_scaling"]) +
                               " is not supported (only unscaled rotary embeddings; expected null)");
    auto theta = get_positive_float(file, cfg, "rope_theta", "rope_theta", 10000.0f);
    if (!theta) return theta.take_error();
    c.rope_theta = *theta;
    if (const auto rp = cfg.find("rope_parameters"); rp != cfg.end() && !rp->is_null()) {
        if (!rp->is_object()) return bad_config(file, "rope_parameters", "expected an object");
        const auto type = rp->find("rope_type");
        if (type != rp->end() && *type != "default")
            return unsupported("unsupported_config", file,
                               "rope_parameters.rope_type " + show(*type) + " is not supported (expected \"default\")");
        auto t = get_positive_float(file, *rp, "rope_theta", "rope_parameters.rope_theta", c.rope_theta);
        if (!t) return t.take_error();
        c.rope_theta = *t;
    }
    if (const auto prf = cfg.find("partial_rotary_factor");
        prf != cfg.end() && !prf->is_null() && !(prf->is_number() && prf->get<double>() == 1.0))
        return unsupported("unsupported_config", file,
                           "partial_rotary_factor " + show(*prf) + " is not supported (expected 1)");
    if (const auto act = cfg.find("hidden_act"); act != cfg.end() && !act->is_null() && *act != "silu")
        return unsupported("unsupported_config", file,
                           "hidden_act " + show(*act) + " is not supported (expected \"silu\")");
    for (const char* key : {"attention_bias", "mlp_bias"}) {
        auto bias = get_flag(file, cfg, key, false);
        if (!bias) return bias.take_error();
        if (*bias)
            return unsupported("unsupported_config", file,
                               std::string(key) + " true is not supported (llama without biases only)");
    }
    auto tied = get_flag(file, cfg, "tie_word_embeddings", false);
    if (!tied) return tied.take_error();
    c.tied = *tied;
    auto bos = get_token_id(file, cfg, "bos_token_id");
    if (!bos) return bos.take_error();
    c.bos = *bos;
    auto eos = get_token_id(file, cfg, "eos_token_id");
    if (!eos) return eos.take_error();
    c.eos = *eos;
    if (const auto name = cfg.find("_name_or_path"); name != cfg.end() && name->is_string()) c.name = *name;
    return c;
}

// One HF tensor and where it goes.
struct Wanted {
    std::string hf_name;
    std::string slm_name;
    std::vector<std::uint64_t> shape;  // HF (row-major, outermost first)
    const char* shape_meaning;
    std::uint32_t permute_heads = 0;   // q/k: heads whose rotary rows to re-pair
};

std::vector<Wanted> wanted_tensors(const HfConfig& c) {
    const std::uint64_t hd = c.hidden / c.heads, q = c.heads * hd, kv = c.kv_heads * hd;
    std::vector<Wanted> w;
    w.push_back({"model.embed_tokens.weight", "tok_embeddings.weight", {c.vocab, c.hidden}, "vocab_size, hidden_size"});
    for (std::uint32_t l = 0; l < c.layers; ++l) {
        const std::string p = "model.layers." + std::to_string(l) + ".";
        const auto slm = [&](const char* suffix) { return format::layer_tensor_name(l, suffix); };
        w.push_back({p + "input_layernorm.weight", slm("attention_norm.weight"), {c.hidden}, "hidden_size"});
        w.push_back({p + "self_attn.q_proj.weight", slm("attention.wq.weight"), {q, c.hidden},
                     "num_attention_heads x head_dim, hidden_size", c.heads});
        w.push_back({p + "self_attn.k_proj.weight", slm("attention.wk.weight"), {kv, c.hidden},
                     "num_key_value_heads x head_dim, hidden_size", c.kv_heads});
        w.push_back({p + "self_attn.v_proj.weight", slm("attention.wv.weight"), {kv, c.hidden},
                     "num_key_value_heads x head_dim, hidden_size"});
        w.push_back({p + "self_attn.o_proj.weight", slm("attention.wo.weight"), {c.hidden, q},
                     "hidden_size, num_attention_heads x head_dim"});
        w.push_back({p + "post_attention_layernorm.weight", slm("ffn_norm.weight"), {c.hidden}, "hidden_size"});
        w.push_back({p + "mlp.gate_proj.weight", slm("feed_forward.w1.weight"), {c.ffn, c.hidden},
                     "intermediate_size, hidden_size"});
        w.push_back({p + "mlp.down_proj.weight", slm("feed_forward.w2.weight"), {c.hidden, c.ffn},
                     "hidden_size, intermediate_size"});
        w.push_back({p + "mlp.up_proj.weight", slm("feed_forward.w3.weight"), {c.ffn, c.hidden},
                     "intermediate_size, hidden_size"});
    }
    w.push_back({"model.norm.weight", "norm.weight", {c.hidden}, "hidden_size"});
    w.push_back({"lm_head.weight", "output.weight", {c.vocab, c.hidden}, "vocab_size, hidden_size"});
    return w;
}

// Non-persistent RoPE buffers some older checkpoints saved; they hold nothing
// the runtime needs.
bool is_rotary_buffer(std::string_view name) {
    return name.ends_with("rotary_emb.inv_freq") && name.starts_with("model.");
}

// Undoes Hugging Face's q/k permutation. Per head of width hd, HF row
// j*hd/2 + i holds what the adjacent-pair (Meta / GGUF / .slm) layout keeps in
// row 2*i + j. This is convert_hf_to_gguf.py's LlamaModel.permute:
//   w.reshape(n_head, 2, rows // n_head // 2, cols).swapaxes(1, 2).reshape(rows, cols)
void unpermute_rotary_rows(const float* src, float* dst, std::uint64_t heads, std::uint64_t rows,
                           std::uint64_t cols) {
    const std::uint64_t hd = rows / heads, half = hd / 2;
    for (std::uint64_t h = 0; h < heads; ++h)
        for (std::uint64_t i = 0; i < half; ++i)
            for (std::uint64_t j = 0; j < 2; ++j)
                std::memcpy(dst + (h * hd + 2 * i + j) * cols, src + (h * hd + j * half + i) * cols,
                            cols * sizeof(float));
}

Status check_files(const fs::path& dir, const std::string& where) {
    std::error_code ec;
    if (!fs::exists(dir, ec))
        return make_error(ErrorCode::not_found, "hf.not_found", where + ": no such directory");
    if (!fs::is_directory(dir, ec))
        return invalid("not_a_directory", where,
                       "not a directory (a Hugging Face model is a directory holding config.json, "
                       "model.safetensors and tokenizer.json)");
    if (!fs::exists(dir / "config.json", ec))
        return make_error(ErrorCode::not_found, "hf.missing_file",
                          where + ": no config.json (a Hugging Face model directory holds config.json, "
                                  "model.safetensors and tokenizer.json)");
    return {};
}

Status check_weights_file(const fs::path& dir) {
    std::error_code ec;
    if (fs::exists(dir / "model.safetensors", ec)) return {};
    if (fs::exists(dir / "model.safetensors.index.json", ec))
        return unsupported("sharded", (dir / "model.safetensors.index.json").string(),
                           "sharded checkpoints are not supported; merge the shards into one model.safetensors "
                           "(e.g. transformers' save_pretrained with a max_shard_size above the model's size)");
    if (fs::exists(dir / "pytorch_model.bin", ec) || fs::exists(dir / "pytorch_model.bin.index.json", ec))
        return unsupported("unsupported_weights", dir.string(),
                           "PyTorch pickle checkpoints (pytorch_model.bin) are not read; save the model as "
                           "model.safetensors");
    return make_error(ErrorCode::not_found, "hf.missing_file", dir.string() + ": no model.safetensors");
}

Result<format::TokenizerSection> read_tokenizer(const fs::path& dir, const HfConfig& c) {
    const std::string file = (dir / "tokenizer.json").string();
    std::error_code ec;
    if (!fs::exists(file, ec)) {
        std::string message = dir.string() + ": no tokenizer.json";
        if (fs::exists(dir / "tokenizer.model", ec))
            message += " (tokenizer.model, the sentencepiece file, is not read: save the tokenizer with "
                       "transformers' fast tokenizer to get tokenizer.json)";
        return make_error(ErrorCode::not_found, "hf.missing_file", message);
    }
    auto text = read_text_file(file);
    if (!text) return text.take_error();
    HfTokenizerHints hints;
    hints.bos_id = c.bos;
    hints.eos_id = c.eos;
    auto section = tokenizer_from_hf_json(*text, file, hints);
    if (!section) return section.take_error();
    if (section->tokens.size() != c.vocab)
        return invalid("vocab_mismatch", file,
                       "has " + std::to_string(section->tokens.size()) +
                           " tokens (model.vocab and added_tokens) but config.json vocab_size is " +
                           std::to_string(c.vocab) + "; they must be equal");
    return section;
}

}  // namespace

Result<ImportedModel> import_hf_llama(const std::string& directory) {
    const fs::path dir = fs::path(directory);
    SLM_TRY(check_files(dir, directory));
    const std::string config_file = (dir / "config.json").string();
    auto config = read_config(config_file);
    if (!config) return config.take_error();
    const HfConfig& c = *config;
    SLM_TRY(check_weights_file(dir));
    auto tokenizer = read_tokenizer(dir, c);
    if (!tokenizer) return tokenizer.take_error();

    const std::string weights_file = (dir / "model.safetensors").string();
    auto weights = SafetensorsFile::open(weights_file);
    if (!weights) return weights.take_error();

    const std::vector<Wanted> wanted = wanted_tensors(c);
    std::set<std::string, std::less<>> known;
    for (const Wanted& w : wanted) known.insert(w.hf_name);
    for (const std::string& name : weights->names()) {
        if (known.count(name) || is_rotary_buffer(name)) continue;
        return unsupported("unknown_tensor", weights_file,
                           "tensor '" + name + "' " + shape_text(weights->find(name)->shape) +
                               " is not part of a LlamaForCausalLM with " + std::to_string(c.layers) +
                               " layers (config.json num_hidden_layers); biases, extra heads and adapter weights "
                               "are not supported");
    }

    ImportedModel m;
    m.source_format = "hf-safetensors";
    m.model_name = c.name;
    if (m.model_name.empty()) {
        const fs::path normal = dir.lexically_normal();
        m.model_name = (normal.has_filename() ? normal : normal.parent_path()).filename().string();
    }
    format::ModelConfig& mc = m.input.config;
    mc.vocab_size = c.vocab;
    mc.n_layers = c.layers;
    mc.n_heads = c.heads;
    mc.n_kv_heads = c.kv_heads;
    mc.head_dim = c.hidden / c.heads;
    mc.ffn_dim = c.ffn;
    mc.context_length = c.context;
    mc.rope_theta = c.rope_theta;
    mc.rms_eps = c.rms_eps;
    mc.tied_output = c.tied;
    m.input.tokenizer = std::move(*tokenizer);

    for (const Wanted& w : wanted) {
        const bool is_head = w.hf_name == "lm_head.weight";
        const SafetensorsTensorInfo* info = weights->find(w.hf_name);
        if (info == nullptr) {
            if (is_head && c.tied) continue;
            return invalid("missing_tensor", weights_file,
                           "tensor '" + w.hf_name + "' is missing" +
                               (is_head ? std::string(" and config.json tie_word_embeddings is not true") : ""));
        }
        if (info->shape != w.shape)
            return invalid("bad_shape", weights_file,
                           "tensor '" + w.hf_name + "' has shape " + shape_text(info->shape) + ", expected " +
                               shape_text(w.shape) + " ([" + w.shape_meaning + "] from config.json)");
        auto values = weights->read_f32(w.hf_name);
        if (!values) return values.take_error();
        for (std::size_t k = 0; k < values->size(); ++k) {
            if (!std::isfinite((*values)[k]))
                return invalid("non_finite", weights_file,
                               "tensor '" + w.hf_name + "' holds a non-finite value at element " + std::to_string(k));
        }
        if (is_head && c.tied) {
            // The embeddings were stored first; a tied head must be the same bits.
            const Bytes embedding = m.input.tensors.front().data;
            if (embedding.size() != values->size() * sizeof(float) ||
                std::memcmp(embedding.data(), values->data(), embedding.size()) != 0)
                return invalid("tied_mismatch", weights_file,
                               "config.json tie_word_embeddings is true but lm_head.weight differs from "
                               "model.embed_tokens.weight");
            continue;  // the same values: the tied output uses the embeddings
        }

        std::vector<std::uint8_t>& bytes = m.storage.emplace_back(values->size() * sizeof(float));
        if (w.permute_heads != 0)
            unpermute_rotary_rows(values->data(), reinterpret_cast<float*>(bytes.data()), w.permute_heads,
                                  w.shape[0], w.shape[1]);
        else
            std::memcpy(bytes.data(), values->data(), bytes.size());

        format::TensorInput t;
        t.name = w.slm_name;
        t.dtype = format::DType::f32;
        for (auto d = w.shape.rbegin(); d != w.shape.rend(); ++d) t.dims.push_back(static_cast<std::uint32_t>(*d));
        t.data = Bytes(bytes);
        m.input.tensors.push_back(std::move(t));
    }
    return m;
}

}  // namespace slm::interop
