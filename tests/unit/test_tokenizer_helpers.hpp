// Shared helpers for the tokenizer unit tests (header only; not a test file).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "format/tokenizer_section.hpp"

namespace tokenizer_test {

// Deterministic generator so failures reproduce.
struct Lcg {
    std::uint64_t state;
    std::uint32_t next() {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        return static_cast<std::uint32_t>(state >> 33);
    }
    std::uint32_t below(std::uint32_t n) { return next() % n; }
};

// Random byte strings that hit the interesting cases: ASCII words, spaces and
// newlines, digits, apostrophes, NUL, valid multi-byte UTF-8, invalid bytes,
// and long runs.
inline std::string random_text(Lcg& rng, std::size_t max_len, bool allow_invalid = true) {
    static const char* const k_fragments[] = {
        "the", " the", "a", "b", "ab", " ", "  ", "\n", "\t", "'s", "'ll", "0", "42", ".", "!?",
        "\xC3\xA9", "\xE4\xB8\xAD", "\xF0\x9F\x91\x8B", "\xC2\xA0", "\xCC\x81", "\xD9\xA3"};
    static const char* const k_invalid[] = {"\x80", "\xFF", "\xC3", "\xE4\xB8", "\xED\xA0\x80", "\xC0\xA0"};
    std::string s;
    const std::size_t len = rng.below(static_cast<std::uint32_t>(max_len) + 1);
    while (s.size() < len) {
        const std::uint32_t pick = rng.below(100);
        if (pick < 60) {
            s += k_fragments[rng.below(sizeof k_fragments / sizeof *k_fragments)];
        } else if (pick < 75) {
            s.push_back(static_cast<char>('a' + rng.below(26)));
        } else if (pick < 80) {
            s.push_back('\0');
        } else if (pick < 90 && allow_invalid) {
            s += k_invalid[rng.below(sizeof k_invalid / sizeof *k_invalid)];
        } else if (pick < 95 && allow_invalid) {
            s.push_back(static_cast<char>(rng.below(256)));
        } else {
            s.append(rng.below(40), " a\n"[rng.below(3)]);
        }
    }
    return s;
}

inline std::uint32_t id_of(const slm::format::TokenizerSection& s, const std::string& text) {
    for (std::size_t i = 0; i < s.tokens.size(); ++i) {
        if (s.tokens[i].text == text) return static_cast<std::uint32_t>(i);
    }
    return slm::format::k_no_token;
}

}  // namespace tokenizer_test
