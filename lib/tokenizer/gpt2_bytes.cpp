#include "tokenizer/gpt2_bytes.hpp"

#include <array>

#include "tokenizer/unicode.hpp"

namespace slm::tokenizer {

namespace {

// Printable Latin-1 bytes keep their codepoint; the other 68 bytes are given
// U+0100, U+0101, ... in byte order, so that every token is visible text.
constexpr bool keeps_codepoint(unsigned b) {
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

constexpr std::array<std::uint32_t, 256> make_table() {
    std::array<std::uint32_t, 256> table{};
    std::uint32_t next = 0x100;
    for (unsigned b = 0; b < 256; ++b) table[b] = keeps_codepoint(b) ? b : next++;
    return table;
}

constexpr std::array<std::uint32_t, 256> k_byte_to_cpt = make_table();

void append_utf8(std::string& out, std::uint32_t cpt) {
    if (cpt < 0x80) {
        out.push_back(static_cast<char>(cpt));
    } else {  // the mapping only uses codepoints below U+0800
        out.push_back(static_cast<char>(0xC0 | (cpt >> 6)));
        out.push_back(static_cast<char>(0x80 | (cpt & 0x3F)));
    }
}

}  // namespace

std::uint32_t gpt2_byte_to_codepoint(std::uint8_t byte) { return k_byte_to_cpt[byte]; }

std::string gpt2_bytes_to_text(std::string_view raw) {
    std::string out;
    out.reserve(raw.size() * 2);
    for (const char c : raw) append_utf8(out, k_byte_to_cpt[static_cast<unsigned char>(c)]);
    return out;
}

std::optional<std::string> gpt2_text_to_bytes(std::string_view mapped) {
    // Inverse table over the codepoints the mapping uses (all below U+0144).
    static const std::array<int, 0x144> k_cpt_to_byte = [] {
        std::array<int, 0x144> inverse{};
        inverse.fill(-1);
        for (unsigned b = 0; b < 256; ++b) inverse[k_byte_to_cpt[b]] = static_cast<int>(b);
        return inverse;
    }();
    std::string out;
    out.reserve(mapped.size());
    for (std::size_t pos = 0; pos < mapped.size();) {
        const Utf8Unit u = decode_utf8(mapped, pos);
        if (u.cpt >= k_cpt_to_byte.size() || k_cpt_to_byte[u.cpt] < 0) return std::nullopt;
        out.push_back(static_cast<char>(k_cpt_to_byte[u.cpt]));
        pos += u.length;
    }
    return out;
}

}  // namespace slm::tokenizer
