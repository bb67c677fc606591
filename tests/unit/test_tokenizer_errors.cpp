// Tokenizer::create() rejects sections that break a semantic rule, each with
// its own error id and ErrorCode::invalid_input.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <string>

#include "tokenizer/sections.hpp"
#include "tokenizer/tokenizer.hpp"

using namespace slm;
using namespace slm::tokenizer;
using format::TokenizerSection;
using format::TokenType;

namespace {

TokenizerSection good_bpe() { return train_byte_bpe("abab abab abc", 4); }

void check_rejects(const TokenizerSection& s, const std::string& id) {
    auto tok = Tokenizer::create(s);
    REQUIRE_FALSE(tok.ok());
    CHECK(tok.error().code == ErrorCode::invalid_input);
    CHECK(tok.error().id == id);
    CHECK(tok.error().message.rfind("tokenizer: ", 0) == 0);
}

TokenizerSection with(TokenizerSection s, const std::function<void(TokenizerSection&)>& edit) {
    edit(s);
    return s;
}

}  // namespace

TEST_CASE("tokenizer: valid sections are accepted") {
    CHECK(Tokenizer::create(good_bpe()).ok());
    CHECK(Tokenizer::create(make_byte_level_section()).ok());
}

TEST_CASE("tokenizer: create() rejects broken sections") {
    const TokenizerSection bpe = good_bpe();
    REQUIRE(bpe.merges.size() == 4);

    check_rejects(with(bpe, [](auto& s) { s.tokens.clear(); s.merges.clear(); s.bos_id = s.eos_id = format::k_no_token; s.flags = 0; }),
                  "tokenizer.empty_vocab");
    check_rejects(with(bpe, [](auto& s) { s.kind = static_cast<format::TokenizerKind>(7); }), "tokenizer.bad_kind");
    check_rejects(with(bpe, [](auto& s) { s.flags |= 1u << 5; }), "tokenizer.bad_flags");
    check_rejects(with(bpe, [](auto& s) { s.flags |= format::k_tokflag_add_space_prefix; }), "tokenizer.bad_flags");
    check_rejects(with(bpe, [](auto& s) { s.eos_id = 100000; }), "tokenizer.bad_special_id");
    check_rejects(with(bpe, [](auto& s) { s.bos_id = format::k_no_token; }), "tokenizer.missing_bos");
    check_rejects(with(bpe, [](auto& s) { s.tokens[300 % s.tokens.size()].type = static_cast<TokenType>(9); }),
                  "tokenizer.bad_token_type");
    check_rejects(with(bpe, [](auto& s) { s.tokens[10].score = std::nanf(""); }), "tokenizer.bad_score");
    check_rejects(with(bpe, [](auto& s) { s.tokens[258].text = std::string(format::k_max_token_bytes + 1, 'x'); }),
                  "tokenizer.token_too_long");
    check_rejects(with(bpe, [](auto& s) { s.tokens[258].text.clear(); }), "tokenizer.empty_token");

    // BPE1
    check_rejects(with(bpe, [](auto& s) { s.tokens['q'].text = "qq"; }), "tokenizer.missing_byte_token");
    check_rejects(with(bpe, [](auto& s) { s.tokens['q'].type = TokenType::control; }), "tokenizer.missing_byte_token");
    check_rejects(with(bpe, [](auto& s) { s.tokens.push_back({"a", 0.0f, TokenType::normal}); }),
                  "tokenizer.duplicate_token");
    check_rejects(with(bpe, [](auto& s) { s.merges.emplace_back(5, 99999); }), "tokenizer.bad_merge");
    check_rejects(with(bpe, [](auto& s) { s.merges.emplace_back('x', 'y'); }), "tokenizer.bad_merge");  // "xy" is no token
    check_rejects(with(bpe, [](auto& s) { s.merges.emplace_back(256, 'a'); }), "tokenizer.bad_merge");  // <s> is control

    // BTOK
    const TokenizerSection btok = make_byte_level_section();
    check_rejects(with(btok, [](auto& s) { s.merges.emplace_back(1, 2); }), "tokenizer.unexpected_merges");
    check_rejects(with(btok, [](auto& s) { s.tokens[65].text.assign(1, 'B'); }), "tokenizer.missing_byte_token");
    check_rejects(with(btok, [](auto& s) { s.tokens.resize(200); s.bos_id = s.eos_id = format::k_no_token; s.flags = 0; }),
                  "tokenizer.missing_byte_token");

    // SPM1
    TokenizerSection spm;
    spm.kind = format::TokenizerKind::sentencepiece;
    spm.tokens = {{"<unk>", 0.0f, TokenType::unknown}, {"<s>", 0.0f, TokenType::control}, {"a", -1.0f, TokenType::normal}};
    spm.unk_id = 0;
    spm.bos_id = 1;
    CHECK(Tokenizer::create(spm).ok());
    check_rejects(with(spm, [](auto& s) { s.unk_id = format::k_no_token; }), "tokenizer.missing_byte_fallback");
    check_rejects(with(spm, [](auto& s) { s.tokens.push_back({"<0xZZ>", 0.0f, TokenType::byte}); }),
                  "tokenizer.bad_byte_token");
}
