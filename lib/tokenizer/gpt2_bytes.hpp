// GPT-2's reversible byte <-> printable-character mapping (bytes_to_unicode in
// OpenAI's encoder.py). vocab.json, merges.txt and GGUF "gpt2" vocabularies
// spell token bytes this way; .slm BPE1 sections store the raw bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace slm::tokenizer {

// The codepoint that stands for `byte`.
std::uint32_t gpt2_byte_to_codepoint(std::uint8_t byte);

// Raw bytes -> mapped UTF-8 text (for exporting to GPT-2/GGUF spellings).
std::string gpt2_bytes_to_text(std::string_view raw);

// Mapped UTF-8 text -> raw bytes; nullopt when a character is not one of the
// 256 that the mapping uses (or the text is not valid UTF-8).
std::optional<std::string> gpt2_text_to_bytes(std::string_view mapped);

}  // namespace slm::tokenizer
