// libFuzzer target: parse_tokenizer_section() on arbitrary bytes.
//
// The expected vocabulary is taken from the input's own token_count field
// (bytes 8..11) so that mutations get past that comparison; an accepted
// section must serialize back to exactly the input bytes.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "format/tokenizer_section.hpp"

using namespace slm;
using namespace slm::format;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::uint32_t vocab = 0;
    if (size >= 12) std::memcpy(&vocab, data + 8, 4);
    auto parsed = parse_tokenizer_section(Bytes(data, size), "fuzz.slm", 64, vocab);
    if (!parsed) {
        if (parsed.error().id != "format.bad_tokenizer") std::abort();
        return 0;
    }
    const TokenizerSection& t = *parsed;
    if (t.tokens.size() != vocab) std::abort();
    for (auto id : {t.bos_id, t.eos_id, t.unk_id})
        if (id != k_no_token && id >= vocab) std::abort();
    for (const auto& [left, right] : t.merges)
        if (left >= vocab || right >= vocab) std::abort();
    const auto again = serialize_tokenizer_section(t);
    if (again.size() != size || std::memcmp(again.data(), data, size) != 0) std::abort();
    return 0;
}
