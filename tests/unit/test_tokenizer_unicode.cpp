#include <doctest/doctest.h>

#include <string>

#include "tokenizer/gpt2_bytes.hpp"
#include "tokenizer/unicode.hpp"

using namespace slm::tokenizer;

TEST_CASE("tokenizer: codepoint classes from the generated table") {
    CHECK(codepoint_class('a') == CodepointClass::letter);
    CHECK(codepoint_class('Z') == CodepointClass::letter);
    CHECK(codepoint_class('7') == CodepointClass::number);
    CHECK(codepoint_class(' ') == CodepointClass::whitespace);
    CHECK(codepoint_class('\n') == CodepointClass::whitespace);
    CHECK(codepoint_class('\'') == CodepointClass::other);
    CHECK(codepoint_class(0x00E9) == CodepointClass::letter);      // é
    CHECK(codepoint_class(0x4E2D) == CodepointClass::letter);      // 中 (inside a First/Last range)
    CHECK(codepoint_class(0xAC00) == CodepointClass::letter);      // 가 (Hangul range start)
    CHECK(codepoint_class(0x0663) == CodepointClass::number);      // Arabic-Indic three
    CHECK(codepoint_class(0x2167) == CodepointClass::number);      // Roman numeral eight (Nl)
    CHECK(codepoint_class(0x00B2) == CodepointClass::number);      // superscript two (No)
    CHECK(codepoint_class(0x00A0) == CodepointClass::whitespace);  // no-break space
    CHECK(codepoint_class(0x0085) == CodepointClass::whitespace);  // next line
    CHECK(codepoint_class(0x3000) == CodepointClass::whitespace);  // ideographic space
    CHECK(codepoint_class(0x200B) == CodepointClass::other);       // zero width space: not White_Space
    CHECK(codepoint_class(0x0301) == CodepointClass::other);       // combining acute (Mn)
    CHECK(codepoint_class(0x2581) == CodepointClass::other);       // ▁
    CHECK(codepoint_class(0x1F44B) == CodepointClass::other);      // 👋
    CHECK(codepoint_class(0x10FFFF) == CodepointClass::other);
    CHECK(codepoint_class(0x110000) == CodepointClass::other);
}

TEST_CASE("tokenizer: ASCII fast path agrees with the table") {
    // The fast path must say what the table would say; probe the table just
    // above ASCII boundaries by checking that classes are consistent with C.
    for (std::uint32_t c = 0; c < 0x80; ++c) {
        CodepointClass expected = CodepointClass::other;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) expected = CodepointClass::letter;
        if (c >= '0' && c <= '9') expected = CodepointClass::number;
        if (c == ' ' || (c >= 9 && c <= 13)) expected = CodepointClass::whitespace;
        CHECK(codepoint_class(c) == expected);
    }
}

TEST_CASE("tokenizer: strict UTF-8 decoding") {
    const auto dec = [](std::string s) { return decode_utf8(s, 0); };
    CHECK(dec("A").cpt == 'A');
    CHECK(dec("\xC3\xA9").cpt == 0xE9);
    CHECK(dec("\xC3\xA9").length == 2);
    CHECK(dec("\xE4\xB8\xAD").cpt == 0x4E2D);
    CHECK(dec("\xF0\x9F\x91\x8B").cpt == 0x1F44B);
    CHECK(dec("\xF0\x9F\x91\x8B").length == 4);
    for (const char* bad : {"\x80", "\xC0\x80", "\xC1\xBF", "\xE0\x80\x80", "\xED\xA0\x80",
                            "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF", "\xC3", "\xE4\xB8", "\xC3(" }) {
        CAPTURE(std::string(bad));
        const Utf8Unit u = decode_utf8(bad, 0);
        CHECK(u.cpt == k_invalid_codepoint);
        CHECK(u.length == 1);
    }
    const std::string nul(1, '\0');
    CHECK(decode_utf8(nul, 0).cpt == 0);
}

TEST_CASE("tokenizer: GPT-2 byte mapping round-trips") {
    CHECK(gpt2_byte_to_codepoint(' ') == 0x120);  // Ġ
    CHECK(gpt2_byte_to_codepoint('\n') == 0x10A); // Ċ
    CHECK(gpt2_byte_to_codepoint('A') == 'A');
    CHECK(gpt2_bytes_to_text(" the") == "\xC4\xA0the");
    std::string all;
    for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
    const auto back = gpt2_text_to_bytes(gpt2_bytes_to_text(all));
    REQUIRE(back.has_value());
    CHECK(*back == all);
    CHECK_FALSE(gpt2_text_to_bytes("\xE4\xB8\xAD").has_value());  // 中 is not in the alphabet
    CHECK_FALSE(gpt2_text_to_bytes(" ").has_value());             // a raw space never appears
}
