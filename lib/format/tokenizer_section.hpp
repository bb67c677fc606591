// The tokenizer section of a .slm file. Grammar (little-endian):
//
//   section   := kind[4] version:u32 token_count:u32 bos_id:u32 eos_id:u32
//                unk_id:u32 flags:u32 merge_count:u32
//                token{token_count} merge{merge_count}
//   token     := type:u8 score:f32 length:u32 bytes[length]
//   merge     := left_id:u32 right_id:u32          (BPE1 only; listed by rank)
//
// kind is "BTOK" (byte-level), "BPE1" (byte-level BPE with ranked merges) or
// "SPM1" (sentencepiece-style scored pieces with <0xXX> byte fallback).
// Ids equal to k_no_token mean "none". The section must end exactly at its
// declared length. Parsing checks structure only; tokenizer/ does the encoding.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace slm::format {

enum class TokenizerKind : std::uint32_t { byte_level, bpe, sentencepiece };

// Token types follow GGUF's tokenizer.ggml.token_type numbering.
enum class TokenType : std::uint8_t {
    normal = 1, unknown = 2, control = 3, user_defined = 4, unused = 5, byte = 6
};

inline constexpr std::uint32_t k_no_token = 0xFFFFFFFFu;
inline constexpr std::uint32_t k_tokenizer_version = 1;
inline constexpr std::uint32_t k_max_token_bytes = 4096;
inline constexpr std::uint32_t k_tokflag_add_bos = 1u << 0;        // prepend BOS when encoding prompts
inline constexpr std::uint32_t k_tokflag_add_space_prefix = 1u << 1;  // SPM: prefix text with a space
inline constexpr std::uint32_t k_known_tokflags = k_tokflag_add_bos | k_tokflag_add_space_prefix;

struct TokenEntry {
    std::string text;  // raw bytes of the piece (SPM pieces use U+2581 for spaces)
    float score = 0.0f;
    TokenType type = TokenType::normal;
};

struct TokenizerSection {
    TokenizerKind kind = TokenizerKind::byte_level;
    std::uint32_t bos_id = k_no_token;
    std::uint32_t eos_id = k_no_token;
    std::uint32_t unk_id = k_no_token;
    std::uint32_t flags = 0;
    std::vector<TokenEntry> tokens;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> merges;  // BPE1, rank order
};

std::string_view tokenizer_kind_tag(TokenizerKind kind);  // "BTOK" / "BPE1" / "SPM1"

// Parses and validates a section. `where` names the file for messages and
// `base_offset` is the section's offset in that file (errors cite absolute
// offsets). `expected_vocab` is the header's vocab_size.
Result<TokenizerSection> parse_tokenizer_section(Bytes section, std::string_view where,
                                                 std::uint64_t base_offset,
                                                 std::uint32_t expected_vocab);

// Serializes a section (the inverse of parse; deterministic).
std::vector<std::uint8_t> serialize_tokenizer_section(const TokenizerSection& section);

}  // namespace slm::format
