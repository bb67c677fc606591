// Text <-> token ids for the three tokenizer kinds a .slm file can carry:
//
//   BTOK  byte-level: ids 0..255 are the bytes, specials (<s>, </s>) follow.
//   BPE1  byte-level BPE as GPT-2 / llama.cpp "gpt2": GPT-2 regex pre-tokenizer,
//         then ranked merges inside each piece. Token texts are raw bytes.
//   SPM1  sentencepiece-style (llama.cpp llm_tokenizer_spm): spaces become
//         U+2581, characters merge greedily by piece score, unknown characters
//         fall back to <0xXX> byte tokens (or unk).
//
// A Tokenizer is immutable after create() and safe to share between threads.
// encode() never fails: BTOK and BPE1 cover every byte string, SPM1 falls back
// to byte tokens or unk (create() checks that one of them exists).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "format/tokenizer_section.hpp"

namespace slm::tokenizer {

class Tokenizer {
public:
    // Checks the section's semantic rules (ids in range, required byte tokens,
    // merges that name existing tokens, ...) and builds the lookup tables.
    // Every failure is ErrorCode::invalid_input with an id "tokenizer.*".
    static Result<Tokenizer> create(const format::TokenizerSection& section);

    // Token ids for `text` (any bytes), with BOS first when add_bos and the
    // vocabulary has one. Special-token texts in the input are plain text.
    std::vector<std::uint32_t> encode(std::string_view text, bool add_bos) const;

    // The bytes of a whole sequence: BOS, EOS, control, unknown and unused
    // tokens give nothing; SPM1 drops the space that add_space_prefix put
    // before the first piece. Out-of-range ids are skipped. To decode a
    // continuation (generated tokens) use token_piece() or StreamDecoder,
    // which keep that space.
    std::string decode(std::span<const std::uint32_t> ids) const;

    // The bytes this token contributes on its own (may be part of a UTF-8
    // character); empty for control/unknown/unused and out-of-range ids.
    const std::string& token_piece(std::uint32_t id) const;

    format::TokenizerKind kind() const { return kind_; }
    std::uint32_t vocab_size() const { return static_cast<std::uint32_t>(pieces_.size()); }
    std::uint32_t bos_id() const { return bos_id_; }  // format::k_no_token if none
    std::uint32_t eos_id() const { return eos_id_; }
    std::uint32_t unk_id() const { return unk_id_; }
    bool add_bos_default() const { return flags_ & format::k_tokflag_add_bos; }
    bool add_space_prefix() const { return flags_ & format::k_tokflag_add_space_prefix; }
    // True for ids that never produce text (control/unknown/unused, BOS, EOS).
    bool is_special(std::uint32_t id) const;

private:
    struct Merge {
        std::uint32_t rank;
        std::uint32_t result;
    };
    struct StringHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    using TextIndex = std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>>;

    Tokenizer() = default;
    Status build_byte_level(const format::TokenizerSection& s);
    Status build_bpe(const format::TokenizerSection& s);
    Status build_spm(const format::TokenizerSection& s);
    void encode_bpe(std::string_view text, std::vector<std::uint32_t>& out) const;
    void encode_spm(std::string_view text, std::vector<std::uint32_t>& out) const;

    format::TokenizerKind kind_ = format::TokenizerKind::byte_level;
    std::uint32_t bos_id_ = format::k_no_token;
    std::uint32_t eos_id_ = format::k_no_token;
    std::uint32_t unk_id_ = format::k_no_token;
    std::uint32_t flags_ = 0;
    std::vector<std::string> pieces_;   // decoded bytes per id ("" for specials)
    std::vector<std::uint8_t> special_; // per id: 1 when it produces no text
    std::array<std::uint32_t, 256> byte_ids_{};  // BTOK/BPE1: token of each byte; SPM1: fallback
    std::unordered_map<std::uint64_t, Merge> merges_;  // BPE1: (left << 32 | right) -> merge
    TextIndex text_ids_;                // SPM1: piece text -> id (last one wins, as llama.cpp)
    std::vector<float> scores_;         // SPM1
};

// Turns a stream of token ids into text a caller can print as it arrives:
// bytes that may still be the start of a UTF-8 character are held back until
// the next token completes them (or finish() gives them up as they are).
class StreamDecoder {
public:
    // strip_prefix_space: the stream starts a sequence (prompt included), so
    // SPM1's add_space_prefix space is dropped as decode() does.
    explicit StreamDecoder(const Tokenizer& tok, bool strip_prefix_space = false)
        : tok_(&tok), strip_(strip_prefix_space && tok.add_space_prefix()) {}

    std::string push(std::uint32_t id);  // complete UTF-8 text now available
    std::string finish();                // whatever is still held back

private:
    const Tokenizer* tok_;
    bool strip_;
    std::string pending_;
};

}  // namespace slm::tokenizer
