// Ready-made tokenizer sections: the plain byte-level vocabulary and a small
// deterministic byte-level BPE trainer used to build test fixtures.
#pragma once

#include <cstddef>
#include <string_view>

#include "format/tokenizer_section.hpp"

namespace slm::tokenizer {

// BTOK: ids 0..255 are the bytes (type byte), 256 = <s> (BOS), 257 = </s>
// (EOS), both control; prompts get BOS by default (flag add_bos).
format::TokenizerSection make_byte_level_section();

// BPE1 trained on `corpus` with up to n_merges merges. Ids 0..255 are the
// bytes, 256 = <s> (BOS), 257 = </s> (EOS), merged tokens follow in merge
// order. Pieces come from the GPT-2 pre-tokenizer, so merges never cross
// piece boundaries. Each step merges the most frequent adjacent pair, ties
// broken by the lowest (left, right) ids; merges whose text would exceed
// format::k_max_token_bytes are skipped. Stops early when no pair is left.
// Deterministic. Cost is O(n_merges x distinct-piece bytes): fine for
// fixtures, not meant for real training corpora.
format::TokenizerSection train_byte_bpe(std::string_view corpus, std::size_t n_merges);

}  // namespace slm::tokenizer
