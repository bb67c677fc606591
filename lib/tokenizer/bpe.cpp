// BPE1: byte-level BPE with ranked merges (GPT-2 / llama.cpp "gpt2").
#include <algorithm>
#include <string>

#include "tokenizer/pretokenize.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/tokenizer_errors.hpp"

namespace slm::tokenizer {

using format::k_no_token;

namespace {

std::uint64_t pair_key(std::uint32_t left, std::uint32_t right) {
    return (static_cast<std::uint64_t>(left) << 32) | right;
}

// A symbol of the word being merged; merged-away symbols get id k_no_token.
struct Symbol {
    std::uint32_t id;
    std::int32_t prev;
    std::int32_t next;
};

// A merge that was possible when queued. It is stale when either side has
// changed since; then the ids no longer match.
struct Candidate {
    std::uint32_t rank;
    std::int32_t left;
    std::int32_t right;
    std::uint32_t left_id;
    std::uint32_t right_id;
    std::uint32_t result;
};

// Heap order: lowest rank first, leftmost on ties (std heaps pop the largest).
struct LaterCandidate {
    bool operator()(const Candidate& a, const Candidate& b) const {
        return a.rank != b.rank ? a.rank > b.rank : a.left > b.left;
    }
};

}  // namespace

Status Tokenizer::build_bpe(const format::TokenizerSection& s) {
    const std::size_t n = s.tokens.size();
    TextIndex index;
    index.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const format::TokenEntry& t = s.tokens[i];
        if (!produces_text(t.type)) continue;
        if (!index.emplace(t.text, static_cast<std::uint32_t>(i)).second) {
            return tokenizer_error("tokenizer.duplicate_token",
                                   "BPE1 tokens " + std::to_string(index.find(t.text)->second) + " and " +
                                       std::to_string(i) + " have the same text");
        }
    }
    for (unsigned b = 0; b < 256; ++b) {
        const auto it = index.find(std::string(1, static_cast<char>(b)));
        if (it == index.end()) {
            return tokenizer_error("tokenizer.missing_byte_token",
                                   "BPE1 has no token for byte " + std::to_string(b) +
                                       "; every byte needs one so that any text can be encoded");
        }
        byte_ids_[b] = it->second;
    }
    merges_.reserve(s.merges.size());
    for (std::size_t rank = 0; rank < s.merges.size(); ++rank) {
        const auto [left, right] = s.merges[rank];
        const std::string where = "merge " + std::to_string(rank) + " (" + std::to_string(left) + ", " +
                                  std::to_string(right) + ")";
        if (left >= n || right >= n) {
            return tokenizer_error("tokenizer.bad_merge", where + " names a token outside the vocabulary");
        }
        if (!produces_text(s.tokens[left].type) || !produces_text(s.tokens[right].type)) {
            return tokenizer_error("tokenizer.bad_merge", where + " names a control/unknown/unused token");
        }
        const auto result = index.find(s.tokens[left].text + s.tokens[right].text);
        if (result == index.end()) {
            return tokenizer_error("tokenizer.bad_merge", where + ": the merged text is not a token");
        }
        // A repeated pair keeps its first (best) rank, as llama.cpp does.
        merges_.emplace(pair_key(left, right), Merge{static_cast<std::uint32_t>(rank), result->second});
    }
    pieces_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        if (!special_[i]) pieces_[i] = s.tokens[i].text;
    }
    return {};
}

void Tokenizer::encode_bpe(std::string_view text, std::vector<std::uint32_t>& out) const {
    std::vector<Symbol> symbols;
    std::vector<Candidate> heap;  // reused across pieces; a min-heap via LaterCandidate
    const LaterCandidate later;
    for (const std::string_view piece : pretokenize_gpt2(text)) {
        if (piece.size() == 1) {
            out.push_back(byte_ids_[static_cast<unsigned char>(piece[0])]);
            continue;
        }
        symbols.clear();
        for (std::size_t i = 0; i < piece.size(); ++i) {
            const auto idx = static_cast<std::int32_t>(i);
            symbols.push_back({byte_ids_[static_cast<unsigned char>(piece[i])], idx - 1,
                               i + 1 < piece.size() ? idx + 1 : -1});
        }
        heap.clear();
        const auto try_add = [&](std::int32_t left, std::int32_t right) {
            if (left < 0 || right < 0) return false;
            const std::uint32_t l = symbols[left].id, r = symbols[right].id;
            const auto it = merges_.find(pair_key(l, r));
            if (it == merges_.end()) return false;
            heap.push_back({it->second.rank, left, right, l, r, it->second.result});
            return true;
        };
        for (std::int32_t i = 1; i < static_cast<std::int32_t>(symbols.size()); ++i) try_add(i - 1, i);
        std::make_heap(heap.begin(), heap.end(), later);

        while (!heap.empty()) {
            std::pop_heap(heap.begin(), heap.end(), later);
            const Candidate c = heap.back();
            heap.pop_back();
            Symbol& left = symbols[c.left];
            Symbol& right = symbols[c.right];
            if (left.id != c.left_id || right.id != c.right_id || left.next != c.right) continue;
            left.id = c.result;
            left.next = right.next;
            if (right.next >= 0) symbols[right.next].prev = c.left;
            right.id = k_no_token;
            if (try_add(left.prev, c.left)) std::push_heap(heap.begin(), heap.end(), later);
            if (try_add(c.left, left.next)) std::push_heap(heap.begin(), heap.end(), later);
        }
        for (std::int32_t i = 0; i >= 0; i = symbols[i].next) out.push_back(symbols[i].id);
    }
}

}  // namespace slm::tokenizer
