// libFuzzer target: parse_slm() on arbitrary bytes.
//
// The checksum is skipped on the first parse so that mutated inputs reach the
// structural checks and, when accepted, the code below; it is then verified on
// a second parse, which must agree on everything but checksum_verified().
// Accepted views must only expose spans inside the input: every tensor byte,
// scale and token is read so ASan sees any escape.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "format/reader.hpp"
#include "format/tensor_names.hpp"

using namespace slm;
using namespace slm::format;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

bool inside(Bytes span, Bytes file) {
    if (span.empty()) return true;
    return span.data() >= file.data() && span.size() <= file.size() &&
           static_cast<std::size_t>(span.data() - file.data()) <= file.size() - span.size();
}

volatile std::uint64_t g_sink;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Bytes file(data, size);
    ReadOptions no_sum;
    no_sum.verify_checksum = false;
    auto view = parse_slm(file, "fuzz.slm", no_sum);
    if (!view) {
        check(view.error().code == ErrorCode::invalid_input);
        check(view.error().id.rfind("format.", 0) == 0);
        return 0;
    }

    const SlmView& v = *view;
    check(v.file_bytes().data() == data && v.file_bytes().size() == size);
    check(inside(v.tokenizer_bytes(), file));
    check(v.tensors().size() == required_tensor_count(v.config()));
    std::uint64_t sum = 0;
    for (const TensorView& t : v.tensors()) {
        check(inside(t.data, file));
        check(inside(t.scales, file));
        check(t.data.size() == dtype_payload_bytes(t.dtype, t.element_count()));
        check(t.entry.data_offset % k_alignment == 0);
        check(v.find(t.name) == &t);
        for (std::uint8_t b : t.data) sum += b;
        for (std::uint8_t b : t.scales) sum += b;
    }
    const TokenizerSection& tok = v.tokenizer();
    check(tok.tokens.size() == v.config().vocab_size);
    for (const TokenEntry& e : tok.tokens) {
        for (char c : e.text) sum += static_cast<std::uint8_t>(c);
    }
    // The section round-trips exactly through serialize().
    const auto again = serialize_tokenizer_section(tok);
    check(again.size() == v.tokenizer_bytes().size() &&
          std::memcmp(again.data(), v.tokenizer_bytes().data(), again.size()) == 0);
    g_sink = sum;

    auto verified = parse_slm(file, "fuzz.slm");
    const bool sum_ok = compute_checksum(file) == v.header().checksum;
    check(verified.ok() == sum_ok);
    if (verified) check(verified->checksum_verified() && verified->tensors().size() == v.tensors().size());
    else check(verified.error().id == "format.checksum_mismatch");
    return 0;
}
