#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "test_tokenizer_helpers.hpp"
#include "tokenizer/tokenizer.hpp"

using namespace slm;
using namespace slm::tokenizer;
using format::TokenizerSection;
using format::TokenType;
using tokenizer_test::id_of;

namespace {

const std::string k_sp = "\xE2\x96\x81";  // ▁

// A llama-shaped vocabulary: <unk>, <s>, </s>, <0x00>..<0xFF>, then pieces.
TokenizerSection spm_vocab(bool byte_tokens = true) {
    TokenizerSection s;
    s.kind = format::TokenizerKind::sentencepiece;
    s.tokens.push_back({"<unk>", 0.0f, TokenType::unknown});
    s.tokens.push_back({"<s>", 0.0f, TokenType::control});
    s.tokens.push_back({"</s>", 0.0f, TokenType::control});
    if (byte_tokens) {
        for (int b = 0; b < 256; ++b) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "<0x%02X>", b);
            s.tokens.push_back({buf, 0.0f, TokenType::byte});
        }
    }
    const std::pair<std::string, float> pieces[] = {
        {k_sp, -5}, {"h", -5}, {"e", -5}, {"l", -5}, {"o", -5}, {"w", -5}, {"r", -5}, {"d", -5},
        {"a", -5}, {"he", -1}, {"ll", -2}, {"hell", -1.5f}, {"hello", -0.5f}, {k_sp + "hello", -0.2f},
        {k_sp + "he", -3}, {"aa", -1}, {k_sp + k_sp, -4},
    };
    for (const auto& [text, score] : pieces) s.tokens.push_back({text, score, TokenType::normal});
    s.bos_id = 1;
    s.eos_id = 2;
    s.unk_id = 0;
    s.flags = format::k_tokflag_add_bos | format::k_tokflag_add_space_prefix;
    return s;
}

Tokenizer make(const TokenizerSection& s) {
    auto tok = Tokenizer::create(s);
    REQUIRE_MESSAGE(tok.ok(), (tok.ok() ? "" : tok.error().message));
    return std::move(tok).value();
}

std::vector<std::uint32_t> ids(const TokenizerSection& s, const std::vector<std::string>& texts) {
    std::vector<std::uint32_t> out;
    for (const auto& t : texts) out.push_back(id_of(s, t));
    return out;
}

}  // namespace

TEST_CASE("tokenizer: SPM merges by piece score") {
    const TokenizerSection s = spm_vocab();
    const Tokenizer tok = make(s);
    // "▁hello▁world": he(-1) > ll(-2) -> hell(-1.5) -> hello(-0.5) -> ▁hello(-0.2);
    // nothing in "▁world" forms a piece.
    CHECK(tok.encode("hello world", false) == ids(s, {k_sp + "hello", k_sp, "w", "o", "r", "l", "d"}));
    // Equal scores: the leftmost pair merges first.
    CHECK(tok.encode("aaa", false) == ids(s, {k_sp, "aa", "a"}));
    // Consecutive spaces are ▁ pieces too.
    CHECK(tok.encode(" a", false) == ids(s, {k_sp + k_sp, "a"}));
}

TEST_CASE("tokenizer: SPM BOS, prefix space and byte fallback") {
    const TokenizerSection s = spm_vocab();
    const Tokenizer tok = make(s);
    CHECK(tok.encode("", true) == std::vector<std::uint32_t>{1});
    CHECK(tok.encode("", false).empty());
    const auto enc = tok.encode("hello \xE4\xB8\xAD", true);
    CHECK(enc == ids(s, {"<s>", k_sp + "hello", k_sp, "<0xE4>", "<0xB8>", "<0xAD>"}));
    CHECK(tok.decode(enc) == "hello \xE4\xB8\xAD");
    CHECK(tok.token_piece(id_of(s, k_sp + "hello")) == " hello");
    CHECK(tok.token_piece(id_of(s, "<0xE4>")) == "\xE4");
    CHECK(tok.token_piece(0).empty());  // <unk>
    // Only the prefix space of the first piece is dropped.
    CHECK(tok.decode(tok.encode("  hello", true)) == "  hello");
    CHECK(tok.decode(ids(s, {k_sp + "hello", k_sp + "hello"})) == "hello hello");

    TokenizerSection no_prefix = s;
    no_prefix.flags = format::k_tokflag_add_bos;
    const Tokenizer plain = make(no_prefix);
    CHECK(plain.encode("hello", false) == ids(s, {"hello"}));
    CHECK(plain.decode(ids(s, {k_sp + "hello"})) == " hello");
}

TEST_CASE("tokenizer: SPM without byte tokens falls back to one UNK per character") {
    const TokenizerSection s = spm_vocab(false);
    const Tokenizer tok = make(s);
    CHECK(tok.encode("he\xE4\xB8\xAD", false) == ids(s, {k_sp + "he", "<unk>"}));
}

TEST_CASE("tokenizer: SPM round-trips text") {
    const Tokenizer tok = make(spm_vocab());
    tokenizer_test::Lcg rng{99};
    for (int i = 0; i < 1000; ++i) {
        const std::string text = tokenizer_test::random_text(rng, 120);
        CHECK(tok.decode(tok.encode(text, i % 2 == 0)) == text);
    }
}
