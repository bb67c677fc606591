// Exhaustive single-byte mutations and truncations of a small valid file.
// With the checksum on, every change must be rejected; with it off, whatever
// the reader accepts must still only hand out spans inside the buffer.
#include <doctest/doctest.h>

#include <cstring>
#include <initializer_list>
#include <stdexcept>
#include <utility>

#include "format/reader.hpp"
#include "support/slm_patch.hpp"
#include "support/tiny_model.hpp"

using namespace slm;
using namespace slm::format;

namespace {

// A small SPM1 vocabulary keeps the file at ~3 KB and each parse cheap, so
// the exhaustive loops stay fast under ASan; the byte-level tokenizer (which
// needs vocab 258) gets its own, narrower loop below. dim 8, one layer,
// ffn 16, context 16, tied, mixed dtypes so the quantized rules are hit too.

test::FileBytes mutation_file() {
    test::TinySpec spec;
    spec.config.vocab_size = test::k_small_spm_vocab;
    spec.matrix_dtype = DType::q8_0;
    spec.dtype_overrides["layers.0.feed_forward.w2.weight"] = DType::q4_0;
    spec.dtype_overrides["layers.0.attention.wo.weight"] = DType::f32;
    test::TinyModel m = test::make_tiny_input(spec);
    m.input.tokenizer = test::small_spm_tokenizer();
    auto f = write_slm(m.input);
    if (!f) throw std::runtime_error(f.error().message);
    return std::move(*f);
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
    CHECK(good.size() < 4096);
    test::FileBytes f = good;
    for (std::uint8_t mask : {std::uint8_t{0xFF}, std::uint8_t{0x01}}) {
        for (std::size_t i = 0; i < f.size(); ++i) {
            f[i] ^= mask;
            auto r = parse_slm(f, "m.slm");
            if (r.ok())
                FAIL_CHECK("flip " << int(mask) << " at offset " << i << " was accepted");
            else if (r.error().code != ErrorCode::invalid_input)
                FAIL_CHECK("flip at offset " << i << " gave " << r.error().id);
            f[i] ^= mask;
        }
    }
    CHECK(f == good);
}

TEST_CASE("format.mutation: every truncation is rejected") {
    const test::FileBytes good = mutation_file();
    ReadOptions no_sum;
    no_sum.verify_checksum = false;
    for (std::size_t n = 0; n < good.size(); ++n) {
        // A fresh allocation of exactly n bytes, so ASan catches any read past it.
        const test::FileBytes cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
        if (parse_slm(cut, "m.slm").ok()) FAIL_CHECK("truncation to " << n << " bytes was accepted");
        // The structure alone must already refuse it.
        if (parse_slm(cut, "m.slm", no_sum).ok())
            FAIL_CHECK("truncation to " << n << " bytes was accepted without checksum");
    }
}

namespace {

// Flips every byte in [begin, end) with each mask, parsing without the
// checksum: each result is either a clean invalid_input error or a view whose
// spans all lie inside the buffer. Returns {accepted, rejected}.
std::pair<std::size_t, std::size_t> flip_without_checksum(test::FileBytes f, std::size_t begin, std::size_t end,
                                                          std::initializer_list<std::uint8_t> masks) {
    ReadOptions no_sum;
    no_sum.verify_checksum = false;
    std::size_t accepted = 0, rejected = 0;
    for (std::uint8_t mask : masks) {
        for (std::size_t i = begin; i < end; ++i) {
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
    return {accepted, rejected};
}

}  // namespace

TEST_CASE("format.mutation: without the checksum every accepted flip stays in bounds") {
    const test::FileBytes f = mutation_file();
    auto [accepted, rejected] = flip_without_checksum(f, 0, f.size(), {0xFF, 0x01, 0x80});
    // Payload bytes carry no structure, so many flips are legitimately accepted.
    MESSAGE("accepted " << accepted << ", rejected " << rejected);
    CHECK(accepted > 0);
    CHECK(rejected > 0);
}

TEST_CASE("format.mutation: flips in a byte-level tokenizer section") {
    // The byte-level rules (256 single bytes) only apply to BTOK/BPE1, which
    // need vocab 258: flip every byte of that section once.
    const test::FileBytes f = test::make_tiny_slm({});
    const std::size_t begin = test::get_u64(f, off::tokenizer_offset);
    const std::size_t end = begin + test::get_u64(f, off::tokenizer_length);
    auto [accepted, rejected] = flip_without_checksum(f, begin, end, {0xFF});
    MESSAGE("accepted " << accepted << ", rejected " << rejected);
    CHECK(rejected > 0);
}

// The same exhaustive checks on the ~8 KB byte-tokenizer file. Skipped by
// default (tens of seconds under ASan); run with
//   unit_tests -tc='format.mutation.slow*' --no-skip
TEST_CASE("format.mutation.slow: every flip and truncation of the byte-tokenizer file" * doctest::skip()) {
    test::TinySpec spec;
    spec.matrix_dtype = DType::q8_0;
    spec.dtype_overrides["layers.0.feed_forward.w2.weight"] = DType::q4_0;
    const test::FileBytes good = test::make_tiny_slm(spec);
    test::FileBytes f = good;
    for (std::uint8_t mask : {std::uint8_t{0xFF}, std::uint8_t{0x01}}) {
        for (std::size_t i = 0; i < f.size(); ++i) {
            f[i] ^= mask;
            if (parse_slm(f, "m.slm").ok()) FAIL_CHECK("flip " << int(mask) << " at offset " << i << " was accepted");
            f[i] ^= mask;
        }
    }
    for (std::size_t n = 0; n < good.size(); ++n) {
        const test::FileBytes cut(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
        if (parse_slm(cut, "m.slm").ok()) FAIL_CHECK("truncation to " << n << " bytes was accepted");
    }
    auto [accepted, rejected] = flip_without_checksum(good, 0, good.size(), {0xFF, 0x01});
    MESSAGE("without checksum: accepted " << accepted << ", rejected " << rejected);
}
