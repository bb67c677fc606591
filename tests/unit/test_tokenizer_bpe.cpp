#include <doctest/doctest.h>

#include <limits>
#include <map>
#include <string>
#include <vector>

#include "test_tokenizer_helpers.hpp"
#include "tokenizer/pretokenize.hpp"
#include "tokenizer/sections.hpp"
#include "tokenizer/tokenizer.hpp"

using namespace slm;
using namespace slm::tokenizer;
using format::TokenizerSection;
using format::TokenType;
using tokenizer_test::id_of;

namespace {

// 256 byte tokens, <s>, </s>, then the given merges in rank order (merged
// tokens appended as needed).
TokenizerSection bpe_with(const std::vector<std::pair<std::string, std::string>>& merges) {
    TokenizerSection s = make_byte_level_section();
    s.kind = format::TokenizerKind::bpe;
    for (auto& t : s.tokens) {
        if (t.type == TokenType::byte) t.type = TokenType::normal;
    }
    for (const auto& [l, r] : merges) {
        if (id_of(s, l + r) == format::k_no_token) s.tokens.push_back({l + r, 0.0f, TokenType::normal});
        s.merges.emplace_back(id_of(s, l), id_of(s, r));
    }
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

// GPT-2's original bpe(): repeatedly take the lowest-ranked adjacent pair and
// merge all of its occurrences left to right. The reference for encode().
std::vector<std::uint32_t> reference_encode(const TokenizerSection& s, std::string_view text) {
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::size_t> rank;
    for (std::size_t i = 0; i < s.merges.size(); ++i) rank.emplace(s.merges[i], i);
    std::vector<std::uint32_t> out;
    for (auto piece : pretokenize_gpt2(text)) {
        std::vector<std::uint32_t> word;
        for (char c : piece) word.push_back(static_cast<unsigned char>(c));
        for (;;) {
            std::size_t best = std::numeric_limits<std::size_t>::max();
            std::pair<std::uint32_t, std::uint32_t> best_pair;
            for (std::size_t i = 1; i < word.size(); ++i) {
                const auto it = rank.find({word[i - 1], word[i]});
                if (it != rank.end() && it->second < best) {
                    best = it->second;
                    best_pair = it->first;
                }
            }
            if (best == std::numeric_limits<std::size_t>::max()) break;
            const std::uint32_t merged = id_of(s, s.tokens[best_pair.first].text + s.tokens[best_pair.second].text);
            std::vector<std::uint32_t> next;
            for (std::size_t i = 0; i < word.size(); ++i) {
                if (i + 1 < word.size() && word[i] == best_pair.first && word[i + 1] == best_pair.second) {
                    next.push_back(merged);
                    ++i;
                } else {
                    next.push_back(word[i]);
                }
            }
            word = std::move(next);
        }
        out.insert(out.end(), word.begin(), word.end());
    }
    return out;
}

const char* const k_corpus =
    "The quick brown fox jumps over the lazy dog. The dog didn't care; it's lazy.\n"
    "Numbers: 12345 67890, 3.14159 and 2.71828. Caf\xC3\xA9 na\xC3\xAFve r\xC3\xA9sum\xC3\xA9!\n"
    "\xE4\xB8\xAD\xE6\x96\x87\xE6\xB5\x8B\xE8\xAF\x95 \xE4\xB8\xAD\xE6\x96\x87 the the the there then them\n"
    "    indented code {\n        return x + y;\n    }\n";

}  // namespace

TEST_CASE("tokenizer: BPE merges apply by rank") {
    {
        const auto s = bpe_with({{"a", "b"}, {"b", "c"}, {"ab", "c"}});
        CHECK(make(s).encode("abc", false) == ids(s, {"abc"}));
    }
    {
        const auto s = bpe_with({{"b", "c"}, {"a", "b"}, {"ab", "c"}});
        CHECK(make(s).encode("abc", false) == ids(s, {"a", "bc"}));
    }
    {   // equal pairs: leftmost first
        const auto s = bpe_with({{"a", "a"}});
        CHECK(make(s).encode("aaa", false) == ids(s, {"aa", "a"}));
        CHECK(make(s).encode("aaaa", false) == ids(s, {"aa", "aa"}));
    }
    {   // a lower rank found later in the word still goes first
        const auto s = bpe_with({{"c", "d"}, {"b", "c"}, {"a", "b"}});
        CHECK(make(s).encode("abcd", false) == ids(s, {"ab", "cd"}));
    }
}

TEST_CASE("tokenizer: BPE merges never cross pre-token boundaries") {
    const auto s = bpe_with({{"b", " "}, {"a", "b"}, {" ", "a"}});
    const Tokenizer tok = make(s);
    // (a,b) outranks (" ",a); (b," ") would need to cross the boundary.
    CHECK(tok.encode("ab ab", false) == ids(s, {"ab", " ", "ab"}));
}

TEST_CASE("tokenizer: BPE BOS handling") {
    const auto s = bpe_with({{"a", "b"}});
    const Tokenizer tok = make(s);
    CHECK(tok.bos_id() == 256);
    CHECK(tok.eos_id() == 257);
    CHECK(tok.add_bos_default());
    CHECK(tok.encode("", true) == std::vector<std::uint32_t>{256});
    CHECK(tok.encode("", false).empty());
    CHECK(tok.encode("ab", true) == std::vector<std::uint32_t>{256, id_of(s, "ab")});
    const std::vector<std::uint32_t> seq{256, id_of(s, "ab"), 257, 'c'};
    CHECK(tok.decode(seq) == "abc");
    CHECK(tok.token_piece(256).empty());
    CHECK(tok.token_piece(257).empty());
    CHECK(tok.is_special(256));
    CHECK_FALSE(tok.is_special('a'));
    CHECK(tok.token_piece(999999).empty());
}

TEST_CASE("tokenizer: trained BPE is deterministic and matches GPT-2's bpe()") {
    const TokenizerSection s = train_byte_bpe(k_corpus, 100);
    CHECK(s.merges.size() == 100);
    const TokenizerSection again = train_byte_bpe(k_corpus, 100);
    CHECK(again.merges == s.merges);
    REQUIRE(again.tokens.size() == s.tokens.size());

    const Tokenizer tok = make(s);
    CHECK(tok.encode(" the", false) == ids(s, {" the"}));
    tokenizer_test::Lcg rng{7};
    for (int i = 0; i < 300; ++i) {
        const std::string text = tokenizer_test::random_text(rng, 300);
        CAPTURE(text);
        CHECK(tok.encode(text, false) == reference_encode(s, text));
    }
    CHECK(tok.encode(k_corpus, false) == reference_encode(s, k_corpus));
}

TEST_CASE("tokenizer: trainer picks the most frequent pair, lowest ids on ties") {
    // pieces "ba", " ab" x2: (" ",a) and (a,b) both count 2, (" ",a) = (32,97)
    // has the lower ids; then (" a",b) x2; then (b,a) x1
    const TokenizerSection s = train_byte_bpe("ba ab ab", 10);
    REQUIRE(s.merges.size() == 3);
    CHECK(s.tokens[258].text == " a");
    CHECK(s.tokens[259].text == " ab");
    CHECK(s.tokens[260].text == "ba");
    // "aab aab ab": (a,b) x3 beats (a,a) x2 and (" ",a) x1
    const TokenizerSection u = train_byte_bpe("aab aab ab", 1);
    REQUIRE(u.merges.size() == 1);
    CHECK(u.tokens[258].text == "ab");
    // all pairs once: (" ", a) = (32, 97) is the lowest, then (b, a) = (98, 97),
    // then (" a", b) = (258, 98)
    const TokenizerSection t = train_byte_bpe("ba ab", 10);
    REQUIRE(t.merges.size() == 3);
    CHECK(t.tokens[258].text == " a");
    CHECK(t.tokens[259].text == "ba");
    CHECK(t.tokens[260].text == " ab");
    CHECK(t.merges[2] == std::pair<std::uint32_t, std::uint32_t>{258, 'b'});
}

TEST_CASE("tokenizer: trainer stops when no pair is left") {
    const TokenizerSection s = train_byte_bpe("ab ab", 100);
    // pieces: "ab" x1, " ab" x1 -> (a,b) x2, then (" ", "ab") x1, then nothing
    REQUIRE(s.merges.size() == 2);
    CHECK(s.tokens[s.merges[0].first].text == "a");
    CHECK(s.tokens.size() == 258 + 2);
    CHECK(train_byte_bpe("", 10).merges.empty());
}

TEST_CASE("tokenizer: BPE round-trips any byte string") {
    const Tokenizer tok = make(train_byte_bpe(k_corpus, 300));
    tokenizer_test::Lcg rng{42};
    for (int i = 0; i < 2000; ++i) {
        const std::string text = tokenizer_test::random_text(rng, 200);
        const auto encoded = tok.encode(text, i % 2 == 0);
        CHECK(tok.decode(encoded) == text);
    }
    std::string all;
    for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
    CHECK(tok.decode(tok.encode(all, true)) == all);
}

TEST_CASE("tokenizer: BPE handles long runs without quadratic blow-up") {
    // Merges that keep doubling runs of 'a' and of spaces.
    const auto s = bpe_with({{"a", "a"}, {"aa", "aa"}, {"aaaa", "aaaa"}, {" ", " "}, {"  ", "  "}});
    const Tokenizer tok = make(s);
    const std::string letters(1 << 18, 'a');
    const auto enc = tok.encode(letters, false);
    CHECK(enc.size() == (1u << 15));
    CHECK(tok.decode(enc) == letters);
    const std::string spaces = std::string(100000, ' ') + "x";
    CHECK(tok.decode(tok.encode(spaces, false)) == spaces);
}
