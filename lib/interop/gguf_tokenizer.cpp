// Tokenizer section <-> GGUF tokenizer.ggml.* metadata.
//
//   SPM1 <-> model "llama": pieces as stored (U+2581 for spaces), scores, types.
//   BPE1 <-> model "gpt2", pre "gpt-2": normal tokens spelled with GPT-2's
//            byte-to-character mapping, merges as "left right" in that spelling.
//   BTOK  -> model "gpt2" with no merges (byte-level BPE without merges is
//            exactly byte-level) plus slmctl.tokenizer.kind = "BTOK".
// llama.cpp aborts on byte-typed tokens in a "gpt2" vocabulary, so byte
// tokens are written as normal there and the exact types are kept in
// slmctl.tokenizer.token_type.
#include <unordered_map>

#include "interop/gguf_llama.hpp"
#include "tokenizer/gpt2_bytes.hpp"

namespace slm::interop {
namespace {

using format::TokenizerKind;
using format::TokenType;

constexpr const char* k_kind_key = "slmctl.tokenizer.kind";
constexpr const char* k_types_key = "slmctl.tokenizer.token_type";

Error invalid(const GgufFile& f, const std::string& message) {
    return make_error(ErrorCode::invalid_input, "gguf.bad_tokenizer", f.path() + ": " + message);
}

Error unsupported(const GgufFile& f, const std::string& message) {
    return make_error(ErrorCode::incompatible, "gguf.unsupported_tokenizer", f.path() + ": " + message);
}

bool gpt2_spelled(TokenType t) { return t == TokenType::normal || t == TokenType::byte; }

// An optional array key of `count` elements of `type`; nullptr when absent.
Result<const GgufValue*> optional_array(const GgufFile& f, const char* key, GgufType type, std::size_t count) {
    const GgufValue* v = f.find(key);
    if (v == nullptr) return v;
    if (v->type != GgufType::array || v->array_type != type || v->array.size() != count)
        return invalid(f, std::string(key) + ": expected an array of " + std::to_string(count) + " " +
                              std::string(gguf_type_name(type)));
    return v;
}

Result<std::uint32_t> optional_id(const GgufFile& f, const char* key, std::size_t n_tokens) {
    if (f.find(key) == nullptr) return format::k_no_token;
    auto id = f.get_uint(key);
    if (!id) return id.take_error();
    if (*id >= n_tokens)
        return invalid(f, std::string(key) + " = " + std::to_string(*id) + " is outside the vocabulary of " +
                              std::to_string(n_tokens) + " tokens");
    return static_cast<std::uint32_t>(*id);
}

Result<bool> optional_bool(const GgufFile& f, const char* key, bool fallback) {
    if (f.find(key) == nullptr) return fallback;
    return f.get_bool(key);
}

Result<TokenType> token_type(const GgufFile& f, const GgufValue& v, std::size_t index) {
    if (v.i == 0) return TokenType::normal;  // "undefined": llama.cpp treats it as normal
    if (v.i < 1 || v.i > 6)
        return invalid(f, "tokenizer.ggml.token_type[" + std::to_string(index) + "] = " + std::to_string(v.i) +
                              " is not a token type (1..6)");
    return static_cast<TokenType>(v.i);
}

Result<TokenizerKind> kind_of(const GgufFile& f) {
    auto model = f.get_string("tokenizer.ggml.model");
    if (!model) return model.take_error();
    if (*model == "llama") return TokenizerKind::sentencepiece;
    if (*model != "gpt2")
        return unsupported(f, "tokenizer model '" + *model + "' is not supported (expected llama or gpt2)");
    if (const GgufValue* pre = f.find("tokenizer.ggml.pre")) {
        if (pre->type != GgufType::string || (pre->s != "default" && pre->s != "gpt-2" && pre->s != "gpt2"))
            return unsupported(f, "pre-tokenizer '" + pre->s +
                                      "' is not supported (slmctl's BPE1 uses GPT-2's pre-tokenizer)");
    }
    if (const GgufValue* k = f.find(k_kind_key); k != nullptr && k->type == GgufType::string && k->s == "BTOK")
        return TokenizerKind::byte_level;
    return TokenizerKind::bpe;
}

Status read_merges(const GgufFile& f, const std::vector<std::string>& spelled, format::TokenizerSection& s) {
    if (s.kind == TokenizerKind::sentencepiece) return {};  // SPM scores pieces; merges unused
    const GgufValue* merges = f.find("tokenizer.ggml.merges");
    if (merges == nullptr) {
        if (s.kind == TokenizerKind::bpe) return invalid(f, "tokenizer.ggml.merges is missing (required for gpt2)");
        return {};
    }
    if (merges->type != GgufType::array || merges->array_type != GgufType::string)
        return invalid(f, "tokenizer.ggml.merges: expected an array of strings");
    if (s.kind == TokenizerKind::byte_level && !merges->array.empty())
        return invalid(f, "a BTOK vocabulary has no merges, found " + std::to_string(merges->array.size()));
    std::unordered_map<std::string_view, std::uint32_t> id_of;
    for (std::uint32_t i = 0; i < spelled.size(); ++i) id_of.emplace(spelled[i], i);
    s.merges.reserve(merges->array.size());
    for (std::size_t m = 0; m < merges->array.size(); ++m) {
        const std::string& text = merges->array[m].s;
        const std::size_t space = text.find(' ', 1);  // as llama.cpp splits them
        auto left = space == std::string::npos ? id_of.end() : id_of.find(std::string_view(text).substr(0, space));
        auto right = space == std::string::npos ? id_of.end() : id_of.find(std::string_view(text).substr(space + 1));
        if (left == id_of.end() || right == id_of.end())
            return invalid(f, "tokenizer.ggml.merges[" + std::to_string(m) + "] = '" + text +
                                  "' is not two tokens of the vocabulary separated by a space");
        s.merges.emplace_back(left->second, right->second);
    }
    return {};
}

}  // namespace

Result<format::TokenizerSection> tokenizer_from_gguf(const GgufFile& f) {
    format::TokenizerSection s;
    auto kind = kind_of(f);
    if (!kind) return kind.take_error();
    s.kind = *kind;
    const GgufValue* tokens = f.find("tokenizer.ggml.tokens");
    if (tokens == nullptr || tokens->type != GgufType::array || tokens->array_type != GgufType::string ||
        tokens->array.empty())
        return invalid(f, "tokenizer.ggml.tokens: expected a non-empty array of strings");
    const std::size_t n = tokens->array.size();
    auto scores = optional_array(f, "tokenizer.ggml.scores", GgufType::f32, n);
    if (!scores) return scores.take_error();
    auto types = optional_array(f, "tokenizer.ggml.token_type", GgufType::i32, n);
    if (!types) return types.take_error();
    auto exact_types = optional_array(f, k_types_key, GgufType::i32, n);
    if (!exact_types) return exact_types.take_error();

    std::vector<std::string> spelled(n);  // as GGUF spells them, for merges
    s.tokens.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        spelled[i] = tokens->array[i].s;
        format::TokenEntry& t = s.tokens[i];
        TokenType gguf_type = TokenType::normal;
        if (*types) {
            auto ty = token_type(f, (*types)->array[i], i);
            if (!ty) return ty.take_error();
            gguf_type = *ty;
        }
        t.type = gguf_type;
        if (*exact_types) {
            auto ty = token_type(f, (*exact_types)->array[i], i);
            if (!ty) return ty.take_error();
            t.type = *ty;
        }
        if (*scores) t.score = static_cast<float>((*scores)->array[i].f);
        t.text = spelled[i];
        if (s.kind != TokenizerKind::sentencepiece && gpt2_spelled(gguf_type)) {
            auto raw = tokenizer::gpt2_text_to_bytes(spelled[i]);
            if (!raw)
                return invalid(f, "token " + std::to_string(i) + " '" + spelled[i] +
                                      "' is not spelled with GPT-2's byte mapping");
            t.text = std::move(*raw);
        }
        if (t.text.size() > format::k_max_token_bytes)
            return invalid(f, "token " + std::to_string(i) + " is " + std::to_string(t.text.size()) +
                                  " bytes long (at most " + std::to_string(format::k_max_token_bytes) + ")");
    }
    if (auto st = read_merges(f, spelled, s); !st) return st.take_error();

    for (auto [key, id] : {std::pair{"tokenizer.ggml.bos_token_id", &s.bos_id},
                           std::pair{"tokenizer.ggml.eos_token_id", &s.eos_id},
                           std::pair{"tokenizer.ggml.unknown_token_id", &s.unk_id}}) {
        auto v = optional_id(f, key, n);
        if (!v) return v.take_error();
        *id = *v;
    }
    const bool spm = s.kind == TokenizerKind::sentencepiece;
    auto add_bos = optional_bool(f, "tokenizer.ggml.add_bos_token", spm);
    if (!add_bos) return add_bos.take_error();
    auto add_space = optional_bool(f, "tokenizer.ggml.add_space_prefix", spm);
    if (!add_space) return add_space.take_error();
    s.flags = (*add_bos ? format::k_tokflag_add_bos : 0) | (*add_space ? format::k_tokflag_add_space_prefix : 0);
    return s;
}

Status tokenizer_to_gguf(const format::TokenizerSection& s, std::vector<std::pair<std::string, GgufValue>>& kv) {
    const bool spm = s.kind == TokenizerKind::sentencepiece;
    kv.emplace_back("tokenizer.ggml.model", GgufValue::make_string(spm ? "llama" : "gpt2"));
    kv.emplace_back("tokenizer.ggml.pre", GgufValue::make_string(spm ? "default" : "gpt-2"));
    if (s.kind == TokenizerKind::byte_level) kv.emplace_back(k_kind_key, GgufValue::make_string("BTOK"));

    std::vector<GgufValue> tokens, scores, types, exact_types;
    std::vector<std::string> spelled;
    bool types_differ = false;
    for (const format::TokenEntry& t : s.tokens) {
        spelled.push_back(!spm && gpt2_spelled(t.type) ? tokenizer::gpt2_bytes_to_text(t.text) : t.text);
        tokens.push_back(GgufValue::make_string(spelled.back()));
        scores.push_back(GgufValue::make_f32(t.score));
        const TokenType written = !spm && t.type == TokenType::byte ? TokenType::normal : t.type;
        types_differ |= written != t.type;
        types.push_back(GgufValue::make_i32(static_cast<std::int32_t>(written)));
        exact_types.push_back(GgufValue::make_i32(static_cast<std::int32_t>(t.type)));
    }
    kv.emplace_back("tokenizer.ggml.tokens", GgufValue::make_array(GgufType::string, std::move(tokens)));
    kv.emplace_back("tokenizer.ggml.scores", GgufValue::make_array(GgufType::f32, std::move(scores)));
    kv.emplace_back("tokenizer.ggml.token_type", GgufValue::make_array(GgufType::i32, std::move(types)));
    if (types_differ) kv.emplace_back(k_types_key, GgufValue::make_array(GgufType::i32, std::move(exact_types)));
    if (!spm) {
        std::vector<GgufValue> merges;
        for (auto [left, right] : s.merges) {
            if (left >= spelled.size() || right >= spelled.size())
                return make_error(ErrorCode::invalid_input, "gguf.bad_tokenizer", "a merge names a token outside the vocabulary");
            merges.push_back(GgufValue::make_string(spelled[left] + " " + spelled[right]));
        }
        kv.emplace_back("tokenizer.ggml.merges", GgufValue::make_array(GgufType::string, std::move(merges)));
    }
    if (s.bos_id != format::k_no_token) kv.emplace_back("tokenizer.ggml.bos_token_id", GgufValue::make_u32(s.bos_id));
    if (s.eos_id != format::k_no_token) kv.emplace_back("tokenizer.ggml.eos_token_id", GgufValue::make_u32(s.eos_id));
    if (s.unk_id != format::k_no_token)
        kv.emplace_back("tokenizer.ggml.unknown_token_id", GgufValue::make_u32(s.unk_id));
    kv.emplace_back("tokenizer.ggml.add_bos_token", GgufValue::make_bool((s.flags & format::k_tokflag_add_bos) != 0));
    kv.emplace_back("tokenizer.ggml.add_space_prefix",
                    GgufValue::make_bool((s.flags & format::k_tokflag_add_space_prefix) != 0));
    return {};
}

}  // namespace slm::interop
