// Exhaustive single-byte mutations and truncations of a small valid file.
// With the checksum on, every change must be rejected; with it off, whatever
// the reader accepts must still only hand out spans inside the buffer.
#include <doctest/doctest.h>

#include <cstring>

#include "format/reader.hpp"
#include "support/slm_patch.hpp"
#include "support/tiny_model.hpp"

using namespace slm;
using namespace slm::format;

namespace {

// ~8 KB: vocab 258 (the byte tokenizer needs it), dim 8, one layer, ffn 16,
// context 16, tied. Mixed dtypes so the quantized rules are exercised too.
test::FileBytes mutation_file() {
    test::TinySpec spec;
    spec.matrix_dtype = DType::q8_0;
    spec.dtype_overrides["layers.0.feed_forward.w2.weight"] = DType::q4_0;
    spec.dtype_overrides["layers.0.attention.wo.weight"] = DType::f32;
    return test::make_tiny_slm(spec);
}

bool inside(Bytes span, const test::FileBytes& file) {
    if (span.empty()) return true;
    return span.data() >= file.data() && span.size() <= file.size() &&
           span.data() - file.data() <= static_cast<std::ptrdiff_t>(file.size() - span.size());
}

// Every span an accepted view exposes lies inside `file`, and touching each
// byte is safe (ASan would report otherwise).
bool view_is_contained(const SlmView& v, const test::FileBytes& file) {
    unsigned sink = 0;
    bool ok = inside(v.tokenizer_bytes(), file) && v.file_bytes().data() == file.data();
    for (const auto& t : v.tensors()) {
        ok = ok && inside(t.data, file) && inside(t.scales, file);
        if (!ok) break;
        for (std::uint8_t b : t.data) sink += b;
        for (std::uint8_t b : t.scales) sink += b;
        ok = ok && t.data.size() == dtype_payload_bytes(t.dtype, t.element_count());
    }
    for (const auto& tok : v.tokenizer().tokens) sink += static_cast<unsigned>(tok.text.size());
    (void)sink;
    return ok;
}

}  // namespace

TEST_CASE("format.mutation: every single-byte flip is rejected") {
    const test::FileBytes good = mutation_file();
    REQUIRE(parse_slm(good, "m.slm").ok());
    MESSAGE("mutation file size: " << good.size());
    CHECK(good.size() < 16 * 1024);
    test::FileBytes f = good;
    std::size_t accepted = 0;
    for (std::uint8_t mask : {std::uint8_t{0xFF}, std::uint8_t{0x01}}) {
        for (std::size_t i = 0; i < f.size(); ++i) {
            f[i] ^= mask;
            auto r = parse_slm(f, "m.slm");
            if (r.ok()) {
                ++accepted;
                FAIL_CHECK("flip " << int(mask) << " at offset " << i << " was accepted");
            } else if (r.error().code != ErrorCode::invalid_input) {
                FAIL_CHECK("flip at offset " << i << " gave " << r.error().id);
            }
            f[i] ^= mask;
        }
    }
    CHECK(accepted == 0);
    CHECK(f == good);
}

TEST_CASE("format.mutation: every truncation is rejected") {
    const test::FileBytes good = mutation_file();
    for (std::size_t n = 0; n < good.size(); ++n) {
        // A fresh allocation of exactly n bytes, so ASan catches any read past it.
        const test::FileBytes cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
        auto r = parse_slm(cut, "m.slm");
        if (r.ok()) FAIL_CHECK("truncation to " << n << " bytes was accepted");
        ReadOptions no_sum;
        no_sum.verify_checksum = false;
        auto s = parse_slm(cut, "m.slm", no_sum);
        if (s.ok()) FAIL_CHECK("truncation to " << n << " bytes was accepted without checksum");
    }
}

TEST_CASE("format.mutation: without the checksum every accepted flip stays in bounds") {
    const test::FileBytes good = mutation_file();
    ReadOptions no_sum;
    no_sum.verify_checksum = false;
    test::FileBytes f = good;
    std::size_t accepted = 0, rejected = 0;
    for (std::uint8_t mask : {std::uint8_t{0xFF}, std::uint8_t{0x01}, std::uint8_t{0x80}}) {
        for (std::size_t i = 0; i < f.size(); ++i) {
            f[i] ^= mask;
            auto r = parse_slm(f, "m.slm", no_sum);
            if (r.ok()) {
                ++accepted;
                if (!view_is_contained(*r, f)) FAIL_CHECK("flip at offset " << i << " escaped the buffer");
            } else {
                ++rejected;
                if (r.error().code != ErrorCode::invalid_input)
                    FAIL_CHECK("flip at offset " << i << " gave " << r.error().id);
            }
            f[i] ^= mask;
        }
    }
    // Payload bytes carry no structure, so many flips are legitimately accepted.
    MESSAGE("accepted " << accepted << ", rejected " << rejected);
    CHECK(accepted > 0);
    CHECK(rejected > 0);
}
