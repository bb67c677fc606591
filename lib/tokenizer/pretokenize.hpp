// GPT-2 pre-tokenizer: splits text into the pieces that the regex
//
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// would match, hand-written (no std::regex) after llama.cpp's
// unicode_regex_split_custom_gpt2. Merges never cross piece boundaries.
//
// The input is arbitrary bytes: each byte that does not start a well-formed
// UTF-8 sequence counts as one codepoint of class "other", so the pieces
// always concatenate back to the input exactly.
#pragma once

#include <string_view>
#include <vector>

namespace slm::tokenizer {

std::vector<std::string_view> pretokenize_gpt2(std::string_view text);

}  // namespace slm::tokenizer
