#include "interop/llama2c.hpp"

#include <cmath>
#include <cstring>

#include "core/io.hpp"
#include "format/tensor_names.hpp"

namespace slm::interop {
namespace {

constexpr std::uint32_t k_magic_v1 = 0x616b3432;  // "ak42"
constexpr std::size_t k_v1_header_bytes = 256;

Error invalid(const std::string& where, const char* id, const std::string& message) {
    return make_error(ErrorCode::invalid_input, std::string("llama2c.") + id, where + ": " + message);
}

// One array of the file: a global tensor or the stack of one tensor over all layers.
struct Block {
    const char* name;   // canonical name, or layer suffix when per_layer
    bool per_layer;
    std::uint64_t rows, cols;  // per layer
};

struct Params {
    std::uint32_t dim = 0, hidden = 0, n_layers = 0, n_heads = 0, n_kv_heads = 0, vocab = 0, seq_len = 0;
    bool shared = true;
};

std::vector<Block> file_blocks(const Params& p, bool v1) {
    const std::uint64_t kv_dim = std::uint64_t{p.dim} / p.n_heads * p.n_kv_heads;
    const std::uint64_t half_head = std::uint64_t{p.dim} / p.n_heads / 2;
    const Block emb{"tok_embeddings.weight", false, p.vocab, p.dim};
    const Block att_norm{"attention_norm.weight", true, 1, p.dim};
    const Block ffn_norm{"ffn_norm.weight", true, 1, p.dim};
    const Block final_norm{"norm.weight", false, 1, p.dim};
    const Block mats[] = {{"attention.wq.weight", true, p.dim, p.dim},     {"attention.wk.weight", true, kv_dim, p.dim},
                          {"attention.wv.weight", true, kv_dim, p.dim},    {"attention.wo.weight", true, p.dim, p.dim}};
    const Block ffn[] = {{"feed_forward.w1.weight", true, p.hidden, p.dim},
                         {"feed_forward.w2.weight", true, p.dim, p.hidden},
                         {"feed_forward.w3.weight", true, p.hidden, p.dim}};
    std::vector<Block> b;
    if (v1) {
        b = {att_norm, ffn_norm, final_norm, emb, mats[0], mats[1], mats[2], mats[3], ffn[0], ffn[1], ffn[2]};
    } else {
        b = {emb, att_norm, mats[0], mats[1], mats[2], mats[3], ffn_norm, ffn[0], ffn[1], ffn[2], final_norm,
             {"", false, p.seq_len, half_head}, {"", false, p.seq_len, half_head}};  // RoPE tables: skipped
    }
    if (!p.shared) b.push_back({"output.weight", false, p.vocab, p.dim});
    return b;
}

Result<Params> read_params(const std::string& where, Bytes file, bool& v1, std::size_t& header_bytes) {
    ByteReader r(file);
    v1 = file.size() >= 8 && load_le<std::uint32_t>(file.data()) == k_magic_v1;
    if (v1) {
        (void)r.read<std::uint32_t>();
        const auto version = r.read<std::int32_t>();
        if (r.ok() && version != 1)
            return make_error(ErrorCode::incompatible, "llama2c.unsupported_version",
                              where + ": llama2.c export version " + std::to_string(version) +
                                  " is not supported (legacy and version 1 f32 checkpoints are)");
    }
    std::int32_t f[7];
    for (auto& v : f) v = r.read<std::int32_t>();
    const std::uint8_t shared_flag = v1 ? r.read<std::uint8_t>() : 1;
    if (!r.ok()) return invalid(where, "truncated", "the file is shorter than the checkpoint header");
    header_bytes = v1 ? k_v1_header_bytes : r.position();
    static const char* names[] = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
    for (int k = 0; k < 7; ++k) {
        if (f[k] == 0 || (f[k] < 0 && k != 5) || f[k] == INT32_MIN)
            return invalid(where, "bad_header", std::string("header field ") + names[k] + " = " +
                                                    std::to_string(f[k]) + " must be positive");
    }
    Params p;
    p.dim = static_cast<std::uint32_t>(f[0]);
    p.hidden = static_cast<std::uint32_t>(f[1]);
    p.n_layers = static_cast<std::uint32_t>(f[2]);
    p.n_heads = static_cast<std::uint32_t>(f[3]);
    p.n_kv_heads = static_cast<std::uint32_t>(f[4]);
    p.vocab = static_cast<std::uint32_t>(f[5] < 0 ? -f[5] : f[5]);
    p.seq_len = static_cast<std::uint32_t>(f[6]);
    p.shared = v1 ? shared_flag != 0 : f[5] > 0;
    if (p.dim % p.n_heads != 0 || (p.dim / p.n_heads) % 2 != 0 || p.n_heads % p.n_kv_heads != 0)
        return invalid(where, "bad_header", "dim " + std::to_string(p.dim) + ", n_heads " + std::to_string(p.n_heads) +
                                                " and n_kv_heads " + std::to_string(p.n_kv_heads) +
                                                " do not give an even head size and whole groups");
    return p;
}

Error tokenizer_error(const std::string& where, const std::string& message) {
    return invalid(where, "bad_tokenizer", message);
}

}  // namespace

Result<format::TokenizerSection> read_llama2c_tokenizer(const std::string& path, std::uint32_t vocab_size) {
    auto file = MappedFile::open(path);
    if (!file) {
        Error e = file.take_error();
        e.message += " (a llama2.c checkpoint needs its tokenizer.bin; pass it with --tokenizer)";
        return e;
    }
    ByteReader r(file->bytes());
    const auto max_len = r.read<std::int32_t>();
    if (!r.ok() || max_len <= 0) return tokenizer_error(path, "max_token_length is missing or not positive");
    format::TokenizerSection s;
    s.kind = format::TokenizerKind::sentencepiece;
    s.unk_id = 0;
    s.bos_id = 1;
    s.eos_id = 2;
    s.flags = format::k_tokflag_add_bos | format::k_tokflag_add_space_prefix;
    s.tokens.reserve(std::min<std::size_t>(vocab_size, file->bytes().size() / 8));
    for (std::uint32_t i = 0; i < vocab_size; ++i) {
        const float score = r.read<float>();
        const auto len = r.read<std::int32_t>();
        if (!r.ok()) return tokenizer_error(path, "ends after " + std::to_string(i) + " of " +
                                                      std::to_string(vocab_size) + " tokens");
        if (len < 0 || len > max_len || static_cast<std::size_t>(len) > format::k_max_token_bytes)
            return tokenizer_error(path, "token " + std::to_string(i) + " has length " + std::to_string(len) +
                                             " (max_token_length " + std::to_string(max_len) + ")");
        const Bytes b = r.take(static_cast<std::uint64_t>(len));
        if (!r.ok()) return tokenizer_error(path, "token " + std::to_string(i) + " runs past the end of the file");
        if (!std::isfinite(score)) return tokenizer_error(path, "token " + std::to_string(i) + " has a non-finite score");
        format::TokenEntry t;
        t.score = score;
        const std::string text(as_string_view(b));
        if (i == 0) {
            t.text = "<unk>";
            t.type = format::TokenType::unknown;
        } else if (i == 1 || i == 2) {
            t.text = i == 1 ? "<s>" : "</s>";
            t.type = format::TokenType::control;
        } else if (text.size() == 6 && text.compare(0, 3, "<0x") == 0 && text[5] == '>') {
            t.text = text;
            t.type = format::TokenType::byte;
        } else {
            for (char c : text) t.text += c == ' ' ? std::string("\xE2\x96\x81") : std::string(1, c);
        }
        s.tokens.push_back(std::move(t));
    }
    if (r.remaining() != 0)
        return tokenizer_error(path, std::to_string(r.remaining()) + " bytes follow the " + std::to_string(vocab_size) +
                                         " tokens the checkpoint's vocab_size calls for");
    return s;
}

Result<ImportedModel> import_llama2c(const std::string& path, const std::string& tokenizer_path) {
    auto file = MappedFile::open(path);
    if (!file) return file.take_error();
    const Bytes bytes = file->bytes();
    bool v1 = false;
    std::size_t header_bytes = 0;
    auto params = read_params(path, bytes, v1, header_bytes);
    if (!params) return params.take_error();
    const Params& p = *params;

    const auto blocks = file_blocks(p, v1);
    std::uint64_t expected = header_bytes;
    for (const Block& b : blocks) {
        std::uint64_t n = 0;
        const bool ok = checked_mul(b.rows, b.cols, n) && checked_mul(n, b.per_layer ? p.n_layers : 1, n) &&
                        checked_mul(n, 4, n) && checked_add(expected, n, expected);
        if (!ok) return invalid(path, "bad_header", "the header describes more weights than 64 bits can count");
    }
    if (expected != bytes.size())
        return invalid(path, "size_mismatch",
                       "the header (dim " + std::to_string(p.dim) + ", hidden " + std::to_string(p.hidden) + ", " +
                           std::to_string(p.n_layers) + " layers, vocab " + std::to_string(p.vocab) + ", seq_len " +
                           std::to_string(p.seq_len) + ") calls for " + std::to_string(expected) +
                           " bytes but the file has " + std::to_string(bytes.size()));

    ImportedModel m;
    m.source_format = "llama2c";
    format::ModelConfig& c = m.input.config;
    c.vocab_size = p.vocab;
    c.n_layers = p.n_layers;
    c.n_heads = p.n_heads;
    c.n_kv_heads = p.n_kv_heads;
    c.head_dim = p.dim / p.n_heads;
    c.ffn_dim = p.hidden;
    c.context_length = p.seq_len;
    c.rope_theta = 10000.0f;
    c.rms_eps = 1e-5f;
    c.tied_output = p.shared;
    auto tokenizer = read_llama2c_tokenizer(tokenizer_path, p.vocab);
    if (!tokenizer) return tokenizer.take_error();
    m.input.tokenizer = std::move(*tokenizer);

    std::uint64_t at = header_bytes;
    for (const Block& b : blocks) {
        const std::uint64_t per = b.rows * b.cols * 4;
        const std::uint32_t copies = b.per_layer ? p.n_layers : 1;
        for (std::uint32_t l = 0; l < copies; ++l, at += per) {
            if (b.name[0] == '\0') continue;
            const Bytes src = bytes.subspan(static_cast<std::size_t>(at), static_cast<std::size_t>(per));
            for (std::uint64_t k = 0; k < b.rows * b.cols; ++k) {
                if (!std::isfinite(load_le<float>(src.data() + 4 * k)))
                    return invalid(path, "non_finite", std::string("tensor ") + b.name + " (layer " +
                                                           std::to_string(l) + ") holds a non-finite value");
            }
            format::TensorInput t;
            t.name = b.per_layer ? format::layer_tensor_name(l, b.name) : b.name;
            t.dtype = format::DType::f32;
            t.dims = b.rows == 1 ? std::vector<std::uint32_t>{static_cast<std::uint32_t>(b.cols)}
                                 : std::vector<std::uint32_t>{static_cast<std::uint32_t>(b.cols),
                                                              static_cast<std::uint32_t>(b.rows)};
            t.data = Bytes(m.storage.emplace_back(src.begin(), src.end()));
            m.input.tensors.push_back(std::move(t));
        }
    }
    return m;
}

}  // namespace slm::interop
