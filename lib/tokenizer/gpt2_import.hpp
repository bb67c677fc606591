// Import of a GPT-2 style BPE vocabulary (vocab.json + merges.txt) into a
// BPE1 tokenizer section.
//
// Native builds only: this file uses nlohmann_json and is not part of the
// WebAssembly source list.
//
//   vocab.json  {"<mapped token text>": id, ...}; ids dense 0..n-1
//   merges.txt  optional "#version..." first line, then one "left right" pair
//               per line in rank order (both sides and their concatenation
//               must be vocabulary entries)
//
// Texts are spelled with GPT-2's byte-to-unicode mapping and are turned back
// into raw bytes. Entries that no merge produces and that look like "<...>"
// (e.g. <|endoftext|>) become control tokens; <|endoftext|> (else <s>/</s>)
// is BOS and EOS. Entries that cannot be mapped back to bytes are kept as
// user-defined tokens with their UTF-8 text.
#pragma once

#include <string_view>

#include "core/result.hpp"
#include "format/tokenizer_section.hpp"

namespace slm::tokenizer {

Result<format::TokenizerSection> import_gpt2_bpe(std::string_view vocab_json, std::string_view merges_txt);

}  // namespace slm::tokenizer
