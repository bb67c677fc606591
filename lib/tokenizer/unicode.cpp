#include "tokenizer/unicode.hpp"

#include <algorithm>
#include <iterator>

namespace slm::tokenizer {

namespace {
#include "tokenizer/unicode_tables.inc"
}  // namespace

CodepointClass codepoint_class(std::uint32_t cpt) {
    if (cpt < 0x80) {
        if ((cpt >= 'a' && cpt <= 'z') || (cpt >= 'A' && cpt <= 'Z')) return CodepointClass::letter;
        if (cpt >= '0' && cpt <= '9') return CodepointClass::number;
        if (cpt == ' ' || (cpt >= '\t' && cpt <= '\r')) return CodepointClass::whitespace;
        return CodepointClass::other;
    }
    if (cpt >= 0x110000) return CodepointClass::other;
    // The first run whose start is above cpt; the one before it holds cpt.
    const std::uint32_t key = (cpt << 2) | 3u;
    const auto* it = std::upper_bound(std::begin(k_codepoint_class_runs),
                                      std::end(k_codepoint_class_runs), key);
    return static_cast<CodepointClass>(*(it - 1) & 3u);
}

Utf8Unit decode_utf8(std::string_view text, std::size_t pos) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char b0 = byte(pos);
    if (b0 < 0x80) return {b0, 1};

    std::size_t length;
    std::uint32_t cpt;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        length = 2;
        cpt = b0 & 0x1Fu;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        length = 3;
        cpt = b0 & 0x0Fu;
        if (b0 == 0xE0) lo = 0xA0;  // overlong
        if (b0 == 0xED) hi = 0x9F;  // surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        length = 4;
        cpt = b0 & 0x07u;
        if (b0 == 0xF0) lo = 0x90;  // overlong
        if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
        return {k_invalid_codepoint, 1};
    }
    if (text.size() - pos < length) return {k_invalid_codepoint, 1};
    for (std::size_t i = 1; i < length; ++i) {
        const unsigned char b = byte(pos + i);
        const bool ok = i == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
        if (!ok) return {k_invalid_codepoint, 1};
        cpt = (cpt << 6) | (b & 0x3Fu);
    }
    return {cpt, length};
}

}  // namespace slm::tokenizer
