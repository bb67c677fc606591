#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "test_tokenizer_helpers.hpp"
#include "tokenizer/sections.hpp"
#include "tokenizer/tokenizer.hpp"

using namespace slm;
using namespace slm::tokenizer;

namespace {

Tokenizer make(const format::TokenizerSection& s) {
    auto tok = Tokenizer::create(s);
    REQUIRE_MESSAGE(tok.ok(), (tok.ok() ? "" : tok.error().message));
    return std::move(tok).value();
}

}  // namespace

TEST_CASE("tokenizer: byte-level section layout") {
    const format::TokenizerSection s = make_byte_level_section();
    REQUIRE(s.tokens.size() == 258);
    CHECK(s.kind == format::TokenizerKind::byte_level);
    CHECK(s.tokens[0].text == std::string(1, '\0'));
    CHECK(s.tokens[255].text == "\xFF");
    CHECK(s.tokens[256].text == "<s>");
    CHECK(s.tokens[257].text == "</s>");
    CHECK(s.bos_id == 256);
    CHECK(s.eos_id == 257);
    CHECK(s.flags == format::k_tokflag_add_bos);
    CHECK(s.merges.empty());
}

TEST_CASE("tokenizer: byte-level encode/decode") {
    const Tokenizer tok = make(make_byte_level_section());
    CHECK(tok.kind() == format::TokenizerKind::byte_level);
    CHECK(tok.vocab_size() == 258);
    CHECK(tok.encode("Hi\n", false) == std::vector<std::uint32_t>{'H', 'i', '\n'});
    CHECK(tok.encode("Hi", true) == std::vector<std::uint32_t>{256, 'H', 'i'});
    const std::vector<std::uint32_t> seq{256, 'o', 'k', 257, 256, '!', 257};
    CHECK(tok.decode(seq) == "ok!");
    tokenizer_test::Lcg rng{1};
    for (int i = 0; i < 500; ++i) {
        const std::string text = tokenizer_test::random_text(rng, 300);
        const auto enc = tok.encode(text, true);
        CHECK(enc.size() == text.size() + 1);
        CHECK(tok.decode(enc) == text);
    }
}

TEST_CASE("tokenizer: stream decoding holds back partial UTF-8") {
    const Tokenizer tok = make(make_byte_level_section());
    {
        StreamDecoder stream(tok);
        const std::string text = "h\xC3\xA9 \xE4\xB8\xAD\xF0\x9F\x91\x8B!";
        std::vector<std::string> chunks;
        for (const auto id : tok.encode(text, true)) chunks.push_back(stream.push(id));
        chunks.push_back(stream.finish());
        // BOS, 'h', 0xC3 (held), 0xA9 -> "é", ...
        CHECK(chunks[0].empty());
        CHECK(chunks[1] == "h");
        CHECK(chunks[2].empty());
        CHECK(chunks[3] == "\xC3\xA9");
        CHECK(chunks[5].empty());
        CHECK(chunks[6].empty());
        CHECK(chunks[7] == "\xE4\xB8\xAD");
        CHECK(chunks[11] == "\xF0\x9F\x91\x8B");
        std::string joined;
        for (const auto& c : chunks) joined += c;
        CHECK(joined == text);
    }
    {   // a sequence that turns out invalid is released as soon as that is known
        StreamDecoder stream(tok);
        CHECK(stream.push(0xE4).empty());
        CHECK(stream.push(0xB8).empty());
        CHECK(stream.push('a') == "\xE4\xB8" "a");
        CHECK(stream.push(0xFF) == "\xFF");   // can never start a character
        CHECK(stream.push(0xE0).empty());
        CHECK(stream.push(0x80) == "\xE0\x80");  // E0 80 is overlong: invalid at once
        CHECK(stream.push(0xF0).empty());
        CHECK(stream.finish() == "\xF0");
    }
    {   // random streams always concatenate to the input
        tokenizer_test::Lcg rng{5};
        for (int i = 0; i < 300; ++i) {
            const std::string text = tokenizer_test::random_text(rng, 100);
            StreamDecoder stream(tok);
            std::string joined;
            for (const auto id : tok.encode(text, false)) joined += stream.push(id);
            joined += stream.finish();
            CHECK(joined == text);
        }
    }
}
