// The small slice of Unicode the tokenizers need: codepoint classes for the
// GPT-2 pre-tokenizer regex and a strict UTF-8 decoder that never fails (an
// invalid byte is reported as a one-byte unit so that text round-trips).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace slm::tokenizer {

// Disjoint classes as the GPT-2 regex sees them: \p{L}, \p{N}, \s (Unicode
// White_Space) and everything else. Values match scripts/gen_unicode_tables.py.
enum class CodepointClass : std::uint8_t { other = 0, letter = 1, number = 2, whitespace = 3 };

// Returned for a byte that does not start a well-formed UTF-8 sequence.
inline constexpr std::uint32_t k_invalid_codepoint = 0xFFFFFFFFu;

CodepointClass codepoint_class(std::uint32_t cpt);

struct Utf8Unit {
    std::uint32_t cpt;  // decoded codepoint, or k_invalid_codepoint
    std::size_t length; // bytes consumed: 1..4 (1 for an invalid byte)
};

// Decodes the unit at text[pos] (pos < text.size()). Well-formed means RFC 3629:
// no overlong forms, no surrogates, nothing above U+10FFFF.
Utf8Unit decode_utf8(std::string_view text, std::size_t pos);

// Length of the UTF-8 sequence a lead byte announces (1 for ASCII and for
// continuation bytes), exactly as sentencepiece-style splitting counts it.
inline std::size_t utf8_sequence_length(unsigned char lead) {
    constexpr std::size_t k_lookup[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return k_lookup[lead >> 4];
}

}  // namespace slm::tokenizer
