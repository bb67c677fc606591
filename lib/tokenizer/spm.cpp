// SPM1: sentencepiece-style tokenization as llama.cpp's llm_tokenizer_spm does
// it. Spaces become U+2581, the text is split into UTF-8 characters, and the
// adjacent pair whose concatenation is the best-scoring piece is merged until
// no pair forms a piece. Leftovers that are not pieces become byte tokens.
// One deliberate difference: each invalid UTF-8 byte is its own character, so
// any byte string without a literal U+2581 round-trips through byte tokens.
#include <algorithm>
#include <cstdio>
#include <queue>
#include <string>

#include "tokenizer/tokenizer.hpp"
#include "tokenizer/tokenizer_errors.hpp"
#include "tokenizer/unicode.hpp"

namespace slm::tokenizer {

using format::k_no_token;
using format::TokenType;

namespace {

constexpr std::string_view k_space_marker = "\xE2\x96\x81";  // U+2581

std::string byte_token_text(unsigned b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    return buf;
}

// "<0xAB>" -> 0xAB (either hex case, as llama.cpp's strtol reads it); -1 otherwise.
int parse_byte_token(std::string_view text) {
    if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
    int value = 0;
    for (const char c : text.substr(3, 2)) {
        int digit;
        if (c >= '0' && c <= '9') digit = c - '0';
        else if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
        else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
        else return -1;
        value = value * 16 + digit;
    }
    return value;
}

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    for (std::size_t hit; (hit = text.find(from, pos)) != std::string_view::npos; pos = hit + from.size()) {
        out.append(text.substr(pos, hit - pos)).append(to);
    }
    out.append(text.substr(pos));
    return out;
}

struct Symbol {
    std::size_t offset;
    std::size_t length;  // 0 once merged into its left neighbour
    std::int32_t prev;
    std::int32_t next;
};

struct Bigram {
    float score;
    std::int32_t left;
    std::int32_t right;
    std::size_t length;  // bytes of the merged piece, detects stale entries
};

// Highest score first, leftmost on ties (the order llama.cpp's queue pops).
struct WorseBigram {
    bool operator()(const Bigram& a, const Bigram& b) const {
        return a.score < b.score || (a.score == b.score && a.left > b.left);
    }
};

}  // namespace

Status Tokenizer::build_spm(const format::TokenizerSection& s) {
    const std::size_t n = s.tokens.size();
    text_ids_.reserve(n);
    scores_.resize(n);
    pieces_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        const format::TokenEntry& t = s.tokens[i];
        text_ids_[t.text] = static_cast<std::uint32_t>(i);  // later duplicates win, as in llama.cpp
        scores_[i] = t.score;
        if (special_[i]) continue;
        if (t.type == TokenType::byte) {
            const int b = parse_byte_token(t.text);
            if (b < 0) {
                return tokenizer_error("tokenizer.bad_byte_token",
                                       "SPM1 token " + std::to_string(i) + " has type byte but its text is not <0xXX>");
            }
            pieces_[i] = std::string(1, static_cast<char>(b));
        } else if (t.type == TokenType::normal) {
            pieces_[i] = replace_all(t.text, k_space_marker, " ");
        } else {
            pieces_[i] = t.text;  // user-defined pieces are copied verbatim
        }
    }
    for (unsigned b = 0; b < 256; ++b) {
        auto it = text_ids_.find(byte_token_text(b));
        if (it == text_ids_.end()) it = text_ids_.find(std::string(1, static_cast<char>(b)));
        if (it != text_ids_.end()) {
            byte_ids_[b] = it->second;
        } else if (unk_id_ != k_no_token) {
            byte_ids_[b] = unk_id_;
        } else {
            return tokenizer_error("tokenizer.missing_byte_fallback",
                                   "SPM1 has no " + byte_token_text(b) + " token and no UNK token to fall back to");
        }
    }
    return {};
}

void Tokenizer::encode_spm(std::string_view raw, std::vector<std::uint32_t>& out) const {
    // llama.cpp adds the prefix space only when there is text to encode.
    if (raw.empty()) return;
    std::string prefixed;
    if (add_space_prefix()) prefixed.push_back(' ');
    prefixed.append(raw);
    const std::string text = replace_all(prefixed, " ", k_space_marker);

    std::vector<Symbol> symbols;
    symbols.reserve(text.size());
    for (std::size_t offset = 0; offset < text.size();) {
        // llama.cpp trusts the lead byte (utf8_sequence_length); decoding
        // strictly instead gives the same symbols for valid UTF-8 but keeps an
        // invalid byte from swallowing the U+2581 after it.
        const std::size_t len = decode_utf8(text, offset).length;
        const auto index = static_cast<std::int32_t>(symbols.size());
        symbols.push_back({offset, len, index - 1, offset + len == text.size() ? -1 : index + 1});
        offset += len;
    }

    std::priority_queue<Bigram, std::vector<Bigram>, WorseBigram> queue;
    const auto try_add = [&](std::int32_t left, std::int32_t right) {
        if (left < 0 || right < 0) return;
        const std::size_t length = symbols[left].length + symbols[right].length;
        const auto it = text_ids_.find(std::string_view(text).substr(symbols[left].offset, length));
        if (it == text_ids_.end()) return;
        queue.push({scores_[it->second], left, right, length});
    };
    for (std::int32_t i = 1; i < static_cast<std::int32_t>(symbols.size()); ++i) try_add(i - 1, i);

    while (!queue.empty()) {
        const Bigram bigram = queue.top();
        queue.pop();
        Symbol& left = symbols[bigram.left];
        Symbol& right = symbols[bigram.right];
        // Both sides only ever grow, so an unchanged total means an unchanged pair.
        if (left.length == 0 || right.length == 0 || left.length + right.length != bigram.length) continue;
        left.length += right.length;
        right.length = 0;
        left.next = right.next;
        if (right.next >= 0) symbols[right.next].prev = bigram.left;
        try_add(left.prev, bigram.left);
        try_add(bigram.left, left.next);
    }

    // A merged symbol is always a piece; only single characters can be unknown.
    // They become byte tokens, or one UNK when some byte has no token.
    for (std::int32_t i = 0; i >= 0; i = symbols[i].next) {
        const std::string_view sym = std::string_view(text).substr(symbols[i].offset, symbols[i].length);
        const auto it = text_ids_.find(sym);
        if (it != text_ids_.end()) {
            out.push_back(it->second);
            continue;
        }
        const bool all_bytes = std::all_of(sym.begin(), sym.end(), [&](char c) {
            return byte_ids_[static_cast<unsigned char>(c)] != unk_id_;
        });
        if (!all_bytes) {
            out.push_back(unk_id_);
            continue;
        }
        for (const char c : sym) out.push_back(byte_ids_[static_cast<unsigned char>(c)]);
    }
}

}  // namespace slm::tokenizer
