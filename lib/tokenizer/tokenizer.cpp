#include "tokenizer/tokenizer.hpp"

#include <cmath>
#include <string>

#include "tokenizer/tokenizer_errors.hpp"

namespace slm::tokenizer {

using format::TokenType;
using format::k_no_token;

namespace {

bool valid_type(TokenType t) {
    const auto v = static_cast<std::uint8_t>(t);
    return v >= static_cast<std::uint8_t>(TokenType::normal) &&
           v <= static_cast<std::uint8_t>(TokenType::byte);
}

Status check_special_id(std::uint32_t id, const char* name, std::size_t n) {
    if (id != k_no_token && id >= n) {
        return tokenizer_error("tokenizer.bad_special_id",
                               std::string(name) + " id " + std::to_string(id) +
                                   " is outside the vocabulary (" + std::to_string(n) + " tokens)");
    }
    return {};
}

// Rules that hold for every kind; kind-specific ones live in the build_* functions.
Status check_common(const format::TokenizerSection& s) {
    const std::size_t n = s.tokens.size();
    if (n == 0) return tokenizer_error("tokenizer.empty_vocab", "the vocabulary has no tokens");
    if (n >= k_no_token) {
        return tokenizer_error("tokenizer.vocab_too_large",
                               "vocabulary of " + std::to_string(n) + " tokens; ids must stay below 2^32-1");
    }
    if (s.kind != format::TokenizerKind::byte_level && s.kind != format::TokenizerKind::bpe &&
        s.kind != format::TokenizerKind::sentencepiece) {
        return tokenizer_error("tokenizer.bad_kind",
                               "unknown tokenizer kind " + std::to_string(static_cast<std::uint32_t>(s.kind)));
    }
    if (s.flags & ~format::k_known_tokflags) {
        return tokenizer_error("tokenizer.bad_flags", "unknown flag bits " + std::to_string(s.flags));
    }
    if ((s.flags & format::k_tokflag_add_space_prefix) && s.kind != format::TokenizerKind::sentencepiece) {
        return tokenizer_error("tokenizer.bad_flags", "add_space_prefix is only meaningful for SPM1");
    }
    SLM_TRY(check_special_id(s.bos_id, "BOS", n));
    SLM_TRY(check_special_id(s.eos_id, "EOS", n));
    SLM_TRY(check_special_id(s.unk_id, "UNK", n));
    if ((s.flags & format::k_tokflag_add_bos) && s.bos_id == k_no_token) {
        return tokenizer_error("tokenizer.missing_bos", "flag add_bos is set but there is no BOS token");
    }
    if (s.kind != format::TokenizerKind::bpe && !s.merges.empty()) {
        return tokenizer_error("tokenizer.unexpected_merges",
                               std::string(format::tokenizer_kind_tag(s.kind)) + " has " +
                                   std::to_string(s.merges.size()) + " merges; only BPE1 uses merges");
    }
    for (std::size_t i = 0; i < n; ++i) {
        const format::TokenEntry& t = s.tokens[i];
        const std::string where = "token " + std::to_string(i);
        if (!valid_type(t.type)) {
            return tokenizer_error("tokenizer.bad_token_type",
                                   where + ": type " + std::to_string(static_cast<unsigned>(t.type)) +
                                       " is not a GGUF token type (1..6)");
        }
        if (t.text.size() > format::k_max_token_bytes) {
            return tokenizer_error("tokenizer.token_too_long",
                                   where + ": " + std::to_string(t.text.size()) + " bytes, at most " +
                                       std::to_string(format::k_max_token_bytes) + " allowed");
        }
        if (!std::isfinite(t.score)) {
            return tokenizer_error("tokenizer.bad_score", where + ": score is not finite");
        }
        if (t.text.empty() && produces_text(t.type)) {
            return tokenizer_error("tokenizer.empty_token", where + ": a text token must not be empty");
        }
    }
    return {};
}

}  // namespace

Result<Tokenizer> Tokenizer::create(const format::TokenizerSection& section) {
    SLM_TRY(check_common(section));
    Tokenizer tok;
    tok.kind_ = section.kind;
    tok.bos_id_ = section.bos_id;
    tok.eos_id_ = section.eos_id;
    tok.unk_id_ = section.unk_id;
    tok.flags_ = section.flags;
    tok.special_.reserve(section.tokens.size());
    for (std::size_t i = 0; i < section.tokens.size(); ++i) {
        const bool special = !produces_text(section.tokens[i].type) || i == section.bos_id || i == section.eos_id;
        tok.special_.push_back(special ? 1 : 0);
    }
    switch (section.kind) {
        case format::TokenizerKind::byte_level: SLM_TRY(tok.build_byte_level(section)); break;
        case format::TokenizerKind::bpe: SLM_TRY(tok.build_bpe(section)); break;
        case format::TokenizerKind::sentencepiece: SLM_TRY(tok.build_spm(section)); break;
    }
    return tok;
}

Status Tokenizer::build_byte_level(const format::TokenizerSection& s) {
    for (std::uint32_t b = 0; b < 256; ++b) {
        const bool ok = b < s.tokens.size() && s.tokens[b].text.size() == 1 &&
                        static_cast<unsigned char>(s.tokens[b].text[0]) == b &&
                        (s.tokens[b].type == TokenType::normal || s.tokens[b].type == TokenType::byte);
        if (!ok) {
            return tokenizer_error("tokenizer.missing_byte_token",
                                   "BTOK token " + std::to_string(b) +
                                       " must be the single byte " + std::to_string(b) + " (type normal or byte)");
        }
        byte_ids_[b] = b;
    }
    pieces_.resize(s.tokens.size());
    for (std::size_t i = 0; i < s.tokens.size(); ++i) {
        if (!special_[i]) pieces_[i] = s.tokens[i].text;
    }
    return {};
}

std::vector<std::uint32_t> Tokenizer::encode(std::string_view text, bool add_bos) const {
    std::vector<std::uint32_t> out;
    out.reserve(text.size() / 2 + 2);
    if (add_bos && bos_id_ != k_no_token) out.push_back(bos_id_);
    switch (kind_) {
        case format::TokenizerKind::byte_level:
            for (const char c : text) out.push_back(byte_ids_[static_cast<unsigned char>(c)]);
            break;
        case format::TokenizerKind::bpe: encode_bpe(text, out); break;
        case format::TokenizerKind::sentencepiece: encode_spm(text, out); break;
    }
    return out;
}

const std::string& Tokenizer::token_piece(std::uint32_t id) const {
    static const std::string k_empty;
    return id < pieces_.size() ? pieces_[id] : k_empty;
}

bool Tokenizer::is_special(std::uint32_t id) const {
    return id >= special_.size() || special_[id];
}

std::string Tokenizer::decode(std::span<const std::uint32_t> ids) const {
    std::string out;
    bool strip = add_space_prefix();
    for (const std::uint32_t id : ids) {
        const std::string& piece = token_piece(id);
        if (piece.empty()) continue;
        const bool drop_space = strip && piece[0] == ' ';
        out.append(piece, drop_space ? 1 : 0);
        strip = false;
    }
    return out;
}

}  // namespace slm::tokenizer
