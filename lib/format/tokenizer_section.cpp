#include "format/tokenizer_section.hpp"

#include <array>
#include <cmath>
#include <cstring>
#include <string>

#include "core/hash.hpp"

namespace slm::format {
namespace {

constexpr std::uint32_t k_fixed_bytes = 4 + 7 * 4;  // kind + seven u32 fields

Error bad(std::string_view where, std::uint64_t offset, const std::string& what) {
    return make_error(ErrorCode::invalid_input, "format.bad_tokenizer",
                      std::string(where) + ": tokenizer section at offset " +
                          std::to_string(offset) + ": " + what);
}

bool kind_from_tag(const std::uint8_t* tag, TokenizerKind& out) {
    for (TokenizerKind k : {TokenizerKind::byte_level, TokenizerKind::bpe, TokenizerKind::sentencepiece}) {
        if (std::memcmp(tokenizer_kind_tag(k).data(), tag, 4) == 0) {
            out = k;
            return true;
        }
    }
    return false;
}

bool type_is_valid(std::uint8_t t) { return t >= 1 && t <= 6; }

std::string id_text(std::uint32_t id) { return id == k_no_token ? "none" : std::to_string(id); }

}  // namespace

std::string_view tokenizer_kind_tag(TokenizerKind kind) {
    switch (kind) {
        case TokenizerKind::byte_level: return "BTOK";
        case TokenizerKind::bpe: return "BPE1";
        case TokenizerKind::sentencepiece: return "SPM1";
    }
    return "????";
}

Result<TokenizerSection> parse_tokenizer_section(Bytes section, std::string_view where,
                                                 std::uint64_t base, std::uint32_t expected_vocab) {
    if (section.size() < k_fixed_bytes)
        return bad(where, base, "expected at least " + std::to_string(k_fixed_bytes) +
                                    " bytes, found " + std::to_string(section.size()));
    TokenizerSection out;
    if (!kind_from_tag(section.data(), out.kind))
        return bad(where, base, "kind: expected BTOK, BPE1 or SPM1, found bytes 0x" + to_hex(section.first(4)));
    ByteReader r(section.subspan(4));
    const auto version = r.read<std::uint32_t>();
    const auto token_count = r.read<std::uint32_t>();
    out.bos_id = r.read<std::uint32_t>();
    out.eos_id = r.read<std::uint32_t>();
    out.unk_id = r.read<std::uint32_t>();
    out.flags = r.read<std::uint32_t>();
    const auto merge_count = r.read<std::uint32_t>();

    if (version != k_tokenizer_version)
        return bad(where, base + 4, "version: expected 1, found " + std::to_string(version));
    if (token_count != expected_vocab)
        return bad(where, base + 8, "token_count: expected the header's vocab_size " +
                                        std::to_string(expected_vocab) + ", found " +
                                        std::to_string(token_count));
    for (auto [field, id] : {std::pair{"bos_id", out.bos_id}, {"eos_id", out.eos_id}, {"unk_id", out.unk_id}}) {
        if (id != k_no_token && id >= token_count)
            return bad(where, base, std::string(field) + ": expected an id below " +
                                        std::to_string(token_count) + " or none, found " + id_text(id));
    }
    if ((out.flags & ~k_known_tokflags) != 0)
        return bad(where, base + 24, "flags: unknown bits set in " + std::to_string(out.flags));
    if (out.kind != TokenizerKind::bpe && merge_count != 0)
        return bad(where, base + 28, "merge_count: only BPE1 has merges, found " + std::to_string(merge_count));
    // Each token needs at least 9 bytes and each merge 8: refuse counts the
    // section cannot possibly hold before reserving memory for them.
    if (std::uint64_t(token_count) * 9 + std::uint64_t(merge_count) * 8 > r.remaining())
        return bad(where, base, "token_count/merge_count need more bytes than the section's " +
                                    std::to_string(section.size()));

    out.tokens.resize(token_count);
    for (std::uint32_t i = 0; i < token_count; ++i) {
        const std::uint64_t at = base + 4 + r.position();
        TokenEntry& t = out.tokens[i];
        const auto type = r.read<std::uint8_t>();
        t.score = r.read<float>();
        const auto length = r.read<std::uint32_t>();
        if (!r.ok()) return bad(where, at, "token " + std::to_string(i) + " is truncated");
        if (!type_is_valid(type))
            return bad(where, at, "token " + std::to_string(i) + " type: expected 1..6, found " + std::to_string(type));
        if (!std::isfinite(t.score))
            return bad(where, at + 1, "token " + std::to_string(i) + " score is not finite");
        if (length > k_max_token_bytes)
            return bad(where, at + 5, "token " + std::to_string(i) + " length: expected at most " +
                                          std::to_string(k_max_token_bytes) + ", found " + std::to_string(length));
        Bytes text = r.take(length);
        if (!r.ok())
            return bad(where, at + 9, "token " + std::to_string(i) + " text runs past the section end");
        t.type = static_cast<TokenType>(type);
        t.text.assign(as_string_view(text));
    }

    out.merges.resize(merge_count);
    for (std::uint32_t i = 0; i < merge_count; ++i) {
        const std::uint64_t at = base + 4 + r.position();
        out.merges[i].first = r.read<std::uint32_t>();
        out.merges[i].second = r.read<std::uint32_t>();
        if (!r.ok()) return bad(where, at, "merge " + std::to_string(i) + " is truncated");
        if (out.merges[i].first >= token_count || out.merges[i].second >= token_count)
            return bad(where, at, "merge " + std::to_string(i) + ": token ids must be below " +
                                      std::to_string(token_count));
    }
    if (r.remaining() != 0)
        return bad(where, base + 4 + r.position(),
                   std::to_string(r.remaining()) + " unexpected trailing bytes");

    if (out.kind == TokenizerKind::byte_level || out.kind == TokenizerKind::bpe) {
        // Byte-level kinds must be able to encode any byte string.
        std::array<bool, 256> seen{};
        std::size_t distinct = 0;
        for (const auto& t : out.tokens) {
            if (t.text.size() != 1 || t.type == TokenType::control) continue;
            bool& s = seen[static_cast<std::uint8_t>(t.text[0])];
            distinct += s ? 0 : 1;
            s = true;
        }
        if (distinct != 256)
            return bad(where, base, "byte-level tokenizer must contain all 256 single-byte tokens, found " +
                                        std::to_string(distinct));
    }
    return out;
}

std::vector<std::uint8_t> serialize_tokenizer_section(const TokenizerSection& s) {
    ByteWriter w;
    w.write_bytes(tokenizer_kind_tag(s.kind));
    w.write<std::uint32_t>(k_tokenizer_version);
    w.write<std::uint32_t>(static_cast<std::uint32_t>(s.tokens.size()));
    w.write<std::uint32_t>(s.bos_id);
    w.write<std::uint32_t>(s.eos_id);
    w.write<std::uint32_t>(s.unk_id);
    w.write<std::uint32_t>(s.flags);
    w.write<std::uint32_t>(static_cast<std::uint32_t>(s.merges.size()));
    for (const auto& t : s.tokens) {
        w.write<std::uint8_t>(static_cast<std::uint8_t>(t.type));
        w.write<float>(t.score);
        w.write<std::uint32_t>(static_cast<std::uint32_t>(t.text.size()));
        w.write_bytes(t.text);
    }
    for (const auto& [left, right] : s.merges) {
        w.write<std::uint32_t>(left);
        w.write<std::uint32_t>(right);
    }
    return std::move(w.buffer());
}

}  // namespace slm::format
