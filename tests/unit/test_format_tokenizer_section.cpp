#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "format/tokenizer_section.hpp"
#include "support/tiny_model.hpp"

using namespace slm;
using namespace slm::format;

namespace {

using Section = std::vector<std::uint8_t>;

Result<TokenizerSection> parse(const Section& s, std::uint32_t vocab) {
    return parse_tokenizer_section(s, "tok.slm", 1000, vocab);
}

void put32(Section& s, std::size_t at, std::uint32_t v) { std::memcpy(s.data() + at, &v, 4); }

// Offset of token i's record inside a serialized section.
std::size_t token_at(const TokenizerSection& t, std::uint32_t index) {
    std::size_t at = 32;
    for (std::uint32_t i = 0; i < index; ++i) at += 9 + t.tokens[i].text.size();
    return at;
}

void check_rejected(const Section& s, std::uint32_t vocab, const char* fragment) {
    auto r = parse(s, vocab);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::invalid_input);
    CHECK(r.error().id == "format.bad_tokenizer");
    CHECK(r.error().message.find("tok.slm") != std::string::npos);
    CHECK_MESSAGE(r.error().message.find(fragment) != std::string::npos, r.error().message);
}

TokenizerSection bpe_tokenizer() {
    TokenizerSection t = test::byte_tokenizer(k_tokflag_add_bos);
    t.kind = TokenizerKind::bpe;
    t.tokens.push_back({"he", -1.0f, TokenType::normal});
    t.tokens.push_back({"llo", -2.0f, TokenType::normal});
    t.merges = {{'h', 'e'}, {'l', 'l'}, {'l' , 'o'}};
    return t;
}

TokenizerSection spm_tokenizer() {
    TokenizerSection t;
    t.kind = TokenizerKind::sentencepiece;
    t.tokens.push_back({"<unk>", 0.0f, TokenType::unknown});
    t.tokens.push_back({"<s>", 0.0f, TokenType::control});
    t.tokens.push_back({"</s>", 0.0f, TokenType::control});
    t.tokens.push_back({"<0x0A>", 0.0f, TokenType::byte});
    t.tokens.push_back({"\xE2\x96\x81the", -3.5f, TokenType::normal});
    t.tokens.push_back({"", 0.0f, TokenType::unused});
    t.unk_id = 0;
    t.bos_id = 1;
    t.eos_id = 2;
    t.flags = k_tokflag_add_bos | k_tokflag_add_space_prefix;
    return t;
}

void check_equal(const TokenizerSection& a, const TokenizerSection& b) {
    CHECK(a.kind == b.kind);
    CHECK(a.bos_id == b.bos_id);
    CHECK(a.eos_id == b.eos_id);
    CHECK(a.unk_id == b.unk_id);
    CHECK(a.flags == b.flags);
    REQUIRE(a.tokens.size() == b.tokens.size());
    for (std::size_t i = 0; i < a.tokens.size(); ++i) {
        CHECK(a.tokens[i].text == b.tokens[i].text);
        CHECK(a.tokens[i].type == b.tokens[i].type);
        CHECK(a.tokens[i].score == b.tokens[i].score);
    }
    CHECK(a.merges == b.merges);
}

}  // namespace

TEST_CASE("format.tokenizer_section: kind tags") {
    CHECK(tokenizer_kind_tag(TokenizerKind::byte_level) == "BTOK");
    CHECK(tokenizer_kind_tag(TokenizerKind::bpe) == "BPE1");
    CHECK(tokenizer_kind_tag(TokenizerKind::sentencepiece) == "SPM1");
}

TEST_CASE("format.tokenizer_section: round trips for every kind") {
    SUBCASE("BTOK") {
        const TokenizerSection t = test::byte_tokenizer();
        const Section s = serialize_tokenizer_section(t);
        CHECK(s.size() == 32 + 256 * 10 + (9 + 3) + (9 + 4));
        CHECK(std::memcmp(s.data(), "BTOK", 4) == 0);
        auto r = parse(s, test::k_byte_vocab);
        REQUIRE_MESSAGE(r.ok(), r.error().message);
        check_equal(*r, t);
        CHECK(serialize_tokenizer_section(*r) == s);
    }
    SUBCASE("BPE1 with merges") {
        const TokenizerSection t = bpe_tokenizer();
        const Section s = serialize_tokenizer_section(t);
        auto r = parse(s, 260);
        REQUIRE_MESSAGE(r.ok(), r.error().message);
        check_equal(*r, t);
        CHECK(serialize_tokenizer_section(*r) == s);
    }
    SUBCASE("SPM1 with scores, unk and flags") {
        const TokenizerSection t = spm_tokenizer();
        const Section s = serialize_tokenizer_section(t);
        auto r = parse(s, 6);
        REQUIRE_MESSAGE(r.ok(), r.error().message);
        check_equal(*r, t);
        CHECK(serialize_tokenizer_section(*r) == s);
    }
}

TEST_CASE("format.tokenizer_section: a token may be exactly k_max_token_bytes long") {
    TokenizerSection t = spm_tokenizer();
    t.tokens[5].text.assign(k_max_token_bytes, 'x');
    CHECK(parse(serialize_tokenizer_section(t), 6).ok());
}

TEST_CASE("format.tokenizer_section: each rule rejects with format.bad_tokenizer") {
    const TokenizerSection spm = spm_tokenizer();
    const Section good = serialize_tokenizer_section(spm);
    REQUIRE(parse(good, 6).ok());
    Section s = good;

    SUBCASE("shorter than the fixed fields") {
        check_rejected(Section(good.begin(), good.begin() + 31), 6, "at least 32 bytes");
        check_rejected(Section{}, 6, "at least 32 bytes");
    }
    SUBCASE("unknown kind") {
        std::memcpy(s.data(), "GPT2", 4);
        check_rejected(s, 6, "kind");
    }
    SUBCASE("version") {
        put32(s, 4, 2);
        check_rejected(s, 6, "version");
    }
    SUBCASE("token_count differs from vocab_size") {
        check_rejected(s, 7, "token_count");
        check_rejected(s, 5, "token_count");
    }
    SUBCASE("bos_id out of range") {
        put32(s, 12, 6);
        check_rejected(s, 6, "bos_id");
    }
    SUBCASE("eos_id out of range") {
        put32(s, 16, 1000);
        check_rejected(s, 6, "eos_id");
    }
    SUBCASE("unk_id out of range") {
        put32(s, 20, 0xFFFFFFFEu);
        check_rejected(s, 6, "unk_id");
    }
    SUBCASE("unknown flag bits") {
        put32(s, 24, 1u << 2);
        check_rejected(s, 6, "flags");
    }
    SUBCASE("merges outside BPE1") {
        put32(s, 28, 1);
        check_rejected(s, 6, "merge_count");
    }
    SUBCASE("counts that cannot fit in the section") {
        // A huge token_count must be refused before anything is allocated.
        put32(s, 8, 0xFFFFFFFFu);
        check_rejected(s, 0xFFFFFFFFu, "token_count/merge_count");
        Section b = serialize_tokenizer_section(bpe_tokenizer());
        put32(b, 28, 0x7FFFFFFFu);
        check_rejected(b, 260, "token_count/merge_count");
    }
    SUBCASE("token type 0 and 7") {
        s[token_at(spm, 2)] = 0;
        check_rejected(s, 6, "token 2 type");
        s[token_at(spm, 2)] = 7;
        check_rejected(s, 6, "token 2 type");
    }
    SUBCASE("token score NaN or infinite") {
        const float nan = std::numeric_limits<float>::quiet_NaN();
        std::memcpy(s.data() + token_at(spm, 4) + 1, &nan, 4);
        check_rejected(s, 6, "token 4 score");
        const float inf = -std::numeric_limits<float>::infinity();
        std::memcpy(s.data() + token_at(spm, 4) + 1, &inf, 4);
        check_rejected(s, 6, "token 4 score");
    }
    SUBCASE("token longer than k_max_token_bytes") {
        TokenizerSection t = spm;
        t.tokens[5].text.assign(k_max_token_bytes + 1, 'x');
        check_rejected(serialize_tokenizer_section(t), 6, "token 5 length");
    }
    SUBCASE("token text runs past the end") {
        // Claim more bytes for the last token than the section holds.
        put32(s, token_at(spm, 5) + 5, 100);
        check_rejected(s, 6, "token 5 text runs past");
    }
    SUBCASE("token record truncated") {
        // The last token's 9-byte record header is cut: the early size check
        // passes (the count estimate is conservative), the record read fails.
        TokenizerSection t = spm;
        t.tokens[4].text = "abcdefghijklmnopqrstuvwxyz";
        Section full = serialize_tokenizer_section(t);
        Section cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(token_at(t, 5) + 4));
        check_rejected(cut, 6, "token 5 is truncated");
    }
    SUBCASE("merge truncated") {
        Section b = serialize_tokenizer_section(bpe_tokenizer());
        b.resize(b.size() - 4);
        check_rejected(b, 260, "merge 2 is truncated");
    }
    SUBCASE("merge id out of range") {
        Section b = serialize_tokenizer_section(bpe_tokenizer());
        put32(b, b.size() - 4, 260);
        check_rejected(b, 260, "merge 2");
    }
    SUBCASE("trailing bytes") {
        s.push_back(0);
        check_rejected(s, 6, "trailing");
    }
    SUBCASE("byte-level kinds need all 256 single bytes") {
        TokenizerSection t = test::byte_tokenizer();
        t.tokens[65].text = "AA";
        check_rejected(serialize_tokenizer_section(t), test::k_byte_vocab, "256 single-byte");
        // A control token does not count as the byte it spells.
        t = test::byte_tokenizer();
        t.tokens[66].type = TokenType::control;
        check_rejected(serialize_tokenizer_section(t), test::k_byte_vocab, "256 single-byte");
        // BPE1 follows the same rule.
        TokenizerSection b = bpe_tokenizer();
        b.tokens[0].text.assign(1, '\x01');  // duplicates byte 1, so byte 0 is missing
        check_rejected(serialize_tokenizer_section(b), 260, "256 single-byte");
    }
}

TEST_CASE("format.tokenizer_section: error offsets are absolute") {
    Section s = serialize_tokenizer_section(spm_tokenizer());
    put32(s, 4, 9);
    auto r = parse(s, 6);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("offset 1004") != std::string::npos);
}
