#include "tokenizer/tokenizer.hpp"
#include "tokenizer/unicode.hpp"

namespace slm::tokenizer {

namespace {

// How many trailing bytes of `s` are the start of a UTF-8 character that the
// next bytes could still complete. Invalid tails are not held back: they can
// never become valid, so the caller gets them at once.
std::size_t incomplete_tail(std::string_view s) {
    const std::size_t max_back = s.size() < 3 ? s.size() : 3;
    for (std::size_t back = 1; back <= max_back; ++back) {
        const auto b = static_cast<unsigned char>(s[s.size() - back]);
        if ((b & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
        const std::size_t need = b >= 0xC2 && b <= 0xF4 ? utf8_sequence_length(b) : 1;
        if (need <= back) return 0;  // complete (or not a lead at all)
        // The bytes seen so far are a valid prefix when padding them with the
        // smallest continuation bytes the lead allows decodes as one character.
        const unsigned char second_min = b == 0xE0 ? 0xA0 : b == 0xF0 ? 0x90 : 0x80;
        std::string probe(s.substr(s.size() - back));
        while (probe.size() < need) {
            probe.push_back(static_cast<char>(probe.size() == 1 ? second_min : 0x80));
        }
        return decode_utf8(probe, 0).length == need ? back : 0;
    }
    return 0;
}

}  // namespace

std::string StreamDecoder::push(std::uint32_t id) {
    const std::string& piece = tok_->token_piece(id);
    if (piece.empty()) return {};
    const bool drop_space = strip_ && piece[0] == ' ';
    strip_ = false;
    pending_.append(piece, drop_space ? 1 : 0);
    const std::size_t keep = incomplete_tail(pending_);
    std::string ready = pending_.substr(0, pending_.size() - keep);
    pending_.erase(0, pending_.size() - keep);
    return ready;
}

std::string StreamDecoder::finish() {
    std::string rest;
    rest.swap(pending_);
    return rest;
}

}  // namespace slm::tokenizer
