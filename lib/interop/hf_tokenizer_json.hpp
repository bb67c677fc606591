// Hugging Face tokenizers' tokenizer.json -> .slm tokenizer section.
//
// Only model.type "BPE" is read, in one of two shapes:
//
//   byte-level (GPT-2 style) -> BPE1
//     pre_tokenizer  ByteLevel {use_regex: true, add_prefix_space: false}, alone or
//                    as the only member of a Sequence, or Sequence [Split {GPT-2's
//                    regex, behavior Isolated, invert false}, ByteLevel {use_regex:
//                    false, add_prefix_space: false}]
//     normalizer     null;  decoder  ByteLevel
//     model.vocab    texts spelled with GPT-2's byte-to-unicode mapping, stored as
//                    raw bytes (texts outside the mapping become user-defined
//                    tokens with their UTF-8 text, as in tokenizer/gpt2_import)
//     model.merges   "left right" strings or ["left", "right"] pairs, rank order
//
//   sentencepiece style (llama / mistral) -> SPM1
//     spaces become U+2581 through either a normalizer [Prepend "▁",] Replace " " -> "▁"
//     (pre_tokenizer null) or a Metaspace pre-tokenizer (normalizer null);
//     model.byte_fallback true with <0xXX> tokens (or false without any).
//     Pieces are kept as written; "<0xXX>" -> byte, model.unk_token -> unknown.
//     Scores come from the merges: see score_from_merges in the .cpp.
//
// In both: added_tokens with special: true become control tokens with their
// literal text, other added tokens user-defined. BOS/EOS ids come from the
// caller (config.json) or else from the added tokens <s> / </s> /
// <|endoftext|>. add_bos follows the post_processor: a TemplateProcessing
// "<bos> $A" sets it, "$A" or a ByteLevel processor does not, and with no
// post_processor it is set for SPM1 (llama's default) and clear for BPE1.
//
// Errors: ErrorCode::invalid_input (id hf.bad_tokenizer) for a malformed file
// and ErrorCode::incompatible (id hf.unsupported_tokenizer) for a well-formed
// one this runtime cannot reproduce; every message starts with `where` and
// names the JSON field.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "format/tokenizer_section.hpp"

namespace slm::interop {

struct HfTokenizerHints {
    std::uint32_t bos_id = format::k_no_token;  // config.json bos_token_id, when given
    std::uint32_t eos_id = format::k_no_token;  // config.json eos_token_id, when given
};

// `where` names the file in messages (usually its path).
Result<format::TokenizerSection> tokenizer_from_hf_json(std::string_view json_text, const std::string& where,
                                                        const HfTokenizerHints& hints = {});

}  // namespace slm::interop
