#include "tokenizer/pretokenize.hpp"

#include <cstdint>

#include "tokenizer/unicode.hpp"

namespace slm::tokenizer {

namespace {

struct Unit {
    std::uint32_t cpt;
    std::uint32_t offset;  // byte offset of the unit in the text
    CodepointClass cls;
};

// Past the end of the text the regex sees nothing: no class matches there.
constexpr std::uint32_t k_end = 0xFFFFFFFEu;

std::vector<Unit> decode_units(std::string_view text) {
    std::vector<Unit> units;
    units.reserve(text.size());
    for (std::size_t pos = 0; pos < text.size();) {
        const Utf8Unit u = decode_utf8(text, pos);
        const CodepointClass cls =
            u.cpt == k_invalid_codepoint ? CodepointClass::other : codepoint_class(u.cpt);
        units.push_back({u.cpt, static_cast<std::uint32_t>(pos), cls});
        pos += u.length;
    }
    return units;
}

}  // namespace

std::vector<std::string_view> pretokenize_gpt2(std::string_view text) {
    // Unit offsets are 32-bit to keep the array small. Inputs of 2 GiB or more
    // are split into 1 GiB chunks first: the pieces still cover the input
    // exactly, only a boundary may fall inside a word.
    if (text.size() >= 0x80000000u) {
        std::vector<std::string_view> out;
        for (std::size_t pos = 0; pos < text.size(); pos += 0x40000000u) {
            for (auto piece : pretokenize_gpt2(text.substr(pos, 0x40000000u))) out.push_back(piece);
        }
        return out;
    }
    const std::vector<Unit> units = decode_units(text);
    const std::size_t n = units.size();
    const auto cpt_at = [&](std::size_t i) { return i < n ? units[i].cpt : k_end; };
    const auto is_class = [&](std::size_t i, CodepointClass c) { return i < n && units[i].cls == c; };
    const auto offset_at = [&](std::size_t i) {
        return i < n ? static_cast<std::size_t>(units[i].offset) : text.size();
    };

    std::vector<std::string_view> pieces;
    std::size_t start = 0;  // unit index where the current piece began
    const auto emit = [&](std::size_t end) {
        pieces.push_back(text.substr(offset_at(start), offset_at(end) - offset_at(start)));
        start = end;
    };

    std::size_t pos = 0;
    while (pos < n) {
        const std::uint32_t cpt = units[pos].cpt;

        // 's|'t|'re|'ve|'m|'ll|'d
        if (cpt == '\'') {
            const std::uint32_t c1 = cpt_at(pos + 1);
            const std::uint32_t c2 = cpt_at(pos + 2);
            if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') {
                pos += 2;
                emit(pos);
                continue;
            }
            if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) {
                pos += 3;
                emit(pos);
                continue;
            }
        }

        // " ?X+" for X in \p{L}, \p{N}, [^\s\p{L}\p{N}]: the optional space
        // belongs to the run that follows it.
        const std::size_t run = cpt == ' ' ? pos + 1 : pos;
        if (run < n && units[run].cls != CodepointClass::whitespace) {
            const CodepointClass cls = units[run].cls;
            pos = run;
            while (is_class(pos, cls)) ++pos;
            emit(pos);
            continue;
        }

        // \s+(?!\S) then \s+: a whitespace run followed by a non-space keeps
        // its last character for the next piece (" word" or "\n").
        std::size_t end = pos;
        while (is_class(end, CodepointClass::whitespace)) ++end;
        if (end - pos > 1 && end < n) {
            pos = end - 1;
        } else if (end > pos) {
            pos = end;
        } else {
            ++pos;  // unreachable: every class is handled above
        }
        emit(pos);
    }
    return pieces;
}

}  // namespace slm::tokenizer
