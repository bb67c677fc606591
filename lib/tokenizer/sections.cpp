#include "tokenizer/sections.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "tokenizer/pretokenize.hpp"

namespace slm::tokenizer {

using format::TokenType;

namespace {

// Bytes at 0..255, then <s> and </s>: shared by BTOK and trained BPE1.
format::TokenizerSection bytes_and_specials(format::TokenizerKind kind, TokenType byte_type) {
    format::TokenizerSection s;
    s.kind = kind;
    s.tokens.reserve(258);
    for (unsigned b = 0; b < 256; ++b) {
        s.tokens.push_back({std::string(1, static_cast<char>(b)), 0.0f, byte_type});
    }
    s.tokens.push_back({"<s>", 0.0f, TokenType::control});
    s.tokens.push_back({"</s>", 0.0f, TokenType::control});
    s.bos_id = 256;
    s.eos_id = 257;
    s.flags = format::k_tokflag_add_bos;
    return s;
}

struct Word {
    std::vector<std::uint32_t> ids;
    std::uint64_t count;
};

}  // namespace

format::TokenizerSection make_byte_level_section() {
    return bytes_and_specials(format::TokenizerKind::byte_level, TokenType::byte);
}

format::TokenizerSection train_byte_bpe(std::string_view corpus, std::size_t n_merges) {
    // BPE1 bytes are "normal" tokens, as GGUF gpt2 vocabularies spell them.
    format::TokenizerSection s = bytes_and_specials(format::TokenizerKind::bpe, TokenType::normal);

    // Distinct pieces with their frequencies; std::map keeps the order stable.
    std::map<std::string_view, std::uint64_t> piece_counts;
    for (const std::string_view piece : pretokenize_gpt2(corpus)) ++piece_counts[piece];
    std::vector<Word> words;
    words.reserve(piece_counts.size());
    for (const auto& [piece, count] : piece_counts) {
        Word w{{}, count};
        for (const char c : piece) w.ids.push_back(static_cast<unsigned char>(c));
        words.push_back(std::move(w));
    }

    std::unordered_map<std::string, std::uint32_t> id_of_text;
    for (std::uint32_t b = 0; b < 256; ++b) id_of_text.emplace(s.tokens[b].text, b);

    std::unordered_map<std::uint64_t, std::uint64_t> pair_counts;
    while (s.merges.size() < n_merges) {
        pair_counts.clear();
        for (const Word& w : words) {
            for (std::size_t i = 1; i < w.ids.size(); ++i) {
                pair_counts[(std::uint64_t{w.ids[i - 1]} << 32) | w.ids[i]] += w.count;
            }
        }
        // Highest count; on ties the lowest key, i.e. the lowest (left, right).
        std::uint64_t best_key = 0, best_count = 0;
        for (const auto& [key, count] : pair_counts) {
            const std::size_t length = s.tokens[key >> 32].text.size() + s.tokens[key & 0xFFFFFFFFu].text.size();
            if (length > format::k_max_token_bytes) continue;
            if (count > best_count || (count == best_count && key < best_key)) {
                best_key = key;
                best_count = count;
            }
        }
        if (best_count == 0) break;

        const auto left = static_cast<std::uint32_t>(best_key >> 32);
        const auto right = static_cast<std::uint32_t>(best_key & 0xFFFFFFFFu);
        std::string text = s.tokens[left].text + s.tokens[right].text;
        // Different merges can spell the same text ("a"+"bc", "ab"+"c"): reuse it.
        auto [it, is_new] = id_of_text.emplace(text, static_cast<std::uint32_t>(s.tokens.size()));
        if (is_new) s.tokens.push_back({std::move(text), 0.0f, TokenType::normal});
        const std::uint32_t merged = it->second;
        s.merges.emplace_back(left, right);

        for (Word& w : words) {
            std::size_t out = 0;
            for (std::size_t i = 0; i < w.ids.size(); ++i) {
                if (i + 1 < w.ids.size() && w.ids[i] == left && w.ids[i + 1] == right) {
                    w.ids[out++] = merged;
                    ++i;
                } else {
                    w.ids[out++] = w.ids[i];
                }
            }
            w.ids.resize(out);
        }
    }
    return s;
}

}  // namespace slm::tokenizer
