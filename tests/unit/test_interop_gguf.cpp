// GGUF reader rules (gguf.hpp) on handcrafted files, and the writer round trip.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "interop/gguf.hpp"

using slm::ErrorCode;
using slm::interop::GgufFile;
using slm::interop::GgufType;
using slm::interop::GgufValue;
using Blob = std::vector<std::uint8_t>;

namespace {

// A GGUF assembled field by field, so tests can write what no writer would.
struct Crafter {
    slm::ByteWriter w;
    void str(std::string_view s) {
        w.write<std::uint64_t>(s.size());
        w.write_bytes(s);
    }
    void header(std::uint64_t tensors, std::uint64_t kvs, std::uint32_t version = 3) {
        w.write_bytes(std::string_view("GGUF"));
        w.write(version);
        w.write(tensors);
        w.write(kvs);
    }
    void kv_u32(std::string_view key, std::uint32_t v) {
        str(key);
        w.write(static_cast<std::uint32_t>(GgufType::u32));
        w.write(v);
    }
    void kv_string(std::string_view key, std::string_view v) {
        str(key);
        w.write(static_cast<std::uint32_t>(GgufType::string));
        str(v);
    }
    // An F32 tensor of `n` elements at `offset` in the data section.
    void tensor(std::string_view name, std::uint64_t n, std::uint64_t offset, std::uint32_t type = 0) {
        str(name);
        w.write<std::uint32_t>(1);
        w.write(n);
        w.write(type);
        w.write(offset);
    }
    // Pads to the 32-byte data section and appends `data_bytes` bytes.
    Blob finish(std::size_t data_bytes) {
        w.pad_to(32);
        for (std::size_t i = 0; i < data_bytes; ++i) w.write<std::uint8_t>(0);
        return std::move(w.buffer());
    }
};

slm::Error open_error(const Blob& bytes) {
    auto f = GgufFile::from_bytes(bytes, "bad.gguf");
    REQUIRE(!f.ok());
    return f.error();
}

void expect_rejected(const Blob& bytes, const std::string& id, const std::string& fragment,
                     ErrorCode code = ErrorCode::invalid_input) {
    const slm::Error e = open_error(bytes);
    CAPTURE(e.message);
    CHECK(e.id == "gguf." + id);
    CHECK(e.code == code);
    CHECK(e.message.rfind("bad.gguf: ", 0) == 0);
    CHECK(e.message.find(fragment) != std::string::npos);
}

Blob valid_file() {
    std::vector<std::pair<std::string, GgufValue>> kv;
    kv.emplace_back("general.architecture", GgufValue::make_string("llama"));
    kv.emplace_back("some.count", GgufValue::make_u32(7));
    std::vector<GgufValue> items;
    for (int i = 0; i < 5; ++i) items.push_back(GgufValue::make_f32(0.5f * static_cast<float>(i)));
    kv.emplace_back("some.scores", GgufValue::make_array(GgufType::f32, items));
    static const std::vector<float> a = {1, 2, 3, 4, 5, 6, 7, 8};
    static const Blob q8(2 * 34, 1);  // two Q8_0 blocks
    std::vector<slm::interop::GgufTensorInput> tensors = {
        {"a", 0, {4, 2}, slm::Bytes(reinterpret_cast<const std::uint8_t*>(a.data()), a.size() * 4)},
        {"q", 8, {64}, slm::Bytes(q8)},
    };
    auto image = slm::interop::write_gguf(kv, tensors);
    REQUIRE(image.ok());
    return *image;
}

}  // namespace

TEST_CASE("gguf: the writer's output reads back with its metadata and tensors") {
    const Blob image = valid_file();
    auto f = GgufFile::from_bytes(image, "ok.gguf");
    REQUIRE(f.ok());
    CHECK(f->version() == 3);
    CHECK(f->alignment() == 32);
    CHECK(*f->get_string("general.architecture") == "llama");
    CHECK(*f->get_uint("some.count") == 7);
    CHECK(f->find("some.scores")->array.size() == 5);
    CHECK(f->find("some.scores")->array[3].f == 1.5);
    REQUIRE(f->tensors().size() == 2);
    const auto* a = f->find_tensor("a");
    REQUIRE(a != nullptr);
    CHECK(a->ne == std::vector<std::uint64_t>{4, 2});
    CHECK(a->byte_size == 32);
    CHECK(slm::load_le<float>(f->tensor_data(*a).data() + 4 * 5) == 6.0f);
    CHECK(f->find_tensor("q")->byte_size == 68);
    CHECK(f->find_tensor("q")->offset % 32 == 0);
}

TEST_CASE("gguf: typed lookups name the key and the expected type") {
    auto f = GgufFile::from_bytes(valid_file(), "ok.gguf");
    REQUIRE(f.ok());
    auto missing = f->get_uint("llama.block_count");
    REQUIRE(!missing.ok());
    CHECK(missing.error().id == "gguf.missing_key");
    CHECK(missing.error().message.find("llama.block_count") != std::string::npos);
    auto wrong = f->get_uint("general.architecture");
    REQUIRE(!wrong.ok());
    CHECK(wrong.error().message.find("expected an integer, found string") != std::string::npos);
}

TEST_CASE("gguf: every truncation of a valid file is rejected") {
    const Blob image = valid_file();
    for (std::size_t n = 0; n < image.size(); ++n) {
        // Only the padding after the last tensor (68 data bytes padded to 96) may go.
        const Blob cut(image.begin(), image.begin() + static_cast<std::ptrdiff_t>(n));
        auto f = GgufFile::from_bytes(cut, "cut.gguf");
        CAPTURE(n);
        CHECK(f.ok() == (n >= image.size() - 28));
    }
}

TEST_CASE("gguf: header and metadata errors") {
    Blob bad_magic = valid_file();
    bad_magic[0] = 'X';
    expect_rejected(bad_magic, "bad_magic", "not a GGUF file");

    Crafter v1;
    v1.header(0, 0, 1);
    expect_rejected(v1.finish(0), "unsupported_version", "version 1", ErrorCode::incompatible);

    Crafter counts;
    counts.header(0, 1'000'000'000);
    expect_rejected(counts.finish(0), "bad_length", "more than the file can hold");

    Crafter dup;
    dup.header(0, 2);
    dup.kv_u32("a.b", 1);
    dup.kv_u32("a.b", 2);
    expect_rejected(dup.finish(0), "duplicate_key", "'a.b' appears twice");

    Crafter long_string;
    long_string.header(0, 1);
    long_string.str("k");
    long_string.w.write(static_cast<std::uint32_t>(GgufType::string));
    long_string.w.write<std::uint64_t>(1ull << 60);
    expect_rejected(long_string.finish(0), "bad_length", "declares 1152921504606846976 bytes");

    Crafter huge_array;
    huge_array.header(0, 1);
    huge_array.str("k");
    huge_array.w.write(static_cast<std::uint32_t>(GgufType::array));
    huge_array.w.write(static_cast<std::uint32_t>(GgufType::u64));
    huge_array.w.write<std::uint64_t>(1ull << 40);
    expect_rejected(huge_array.finish(0), "bad_length", "does not fit");

    Crafter nested;
    nested.header(0, 1);
    nested.str("k");
    nested.w.write(static_cast<std::uint32_t>(GgufType::array));
    nested.w.write(static_cast<std::uint32_t>(GgufType::array));
    nested.w.write<std::uint64_t>(0);
    expect_rejected(nested.finish(0), "bad_type", "nested");

    Crafter bad_type;
    bad_type.header(0, 1);
    bad_type.str("k");
    bad_type.w.write<std::uint32_t>(13);
    expect_rejected(bad_type.finish(0), "bad_type", "unknown value type 13");

    Crafter bad_bool;
    bad_bool.header(0, 1);
    bad_bool.str("k");
    bad_bool.w.write(static_cast<std::uint32_t>(GgufType::boolean));
    bad_bool.w.write<std::uint8_t>(2);
    expect_rejected(bad_bool.finish(0), "bad_value", "must be 0 or 1");

    Crafter alignment;
    alignment.header(0, 1);
    alignment.kv_u32("general.alignment", 24);
    expect_rejected(alignment.finish(0), "bad_alignment", "power of two");
}

TEST_CASE("gguf: tensor info errors") {
    Crafter dup;
    dup.header(2, 0);
    dup.tensor("t", 8, 0);
    dup.tensor("t", 8, 32);
    expect_rejected(dup.finish(64), "duplicate_tensor", "'t' appears twice");

    Crafter misaligned;
    misaligned.header(1, 0);
    misaligned.tensor("t", 8, 4);
    expect_rejected(misaligned.finish(64), "misaligned", "offset 4 is not a multiple of the alignment 32");

    Crafter outside;
    outside.header(1, 0);
    outside.tensor("t", 16, 0);
    expect_rejected(outside.finish(63), "out_of_range", "lies outside the file");

    Crafter overlap;
    overlap.header(2, 0);
    overlap.tensor("a", 16, 0);  // 64 bytes
    overlap.tensor("b", 8, 32);
    expect_rejected(overlap.finish(96), "overlap", "share bytes");

    Crafter unknown;
    unknown.header(1, 0);
    unknown.tensor("t", 32, 0, 99);
    expect_rejected(unknown.finish(64), "unknown_type", "unknown ggml type 99");

    Crafter partial_block;
    partial_block.header(1, 0);
    partial_block.tensor("t", 40, 0, 8);  // Q8_0 rows need multiples of 32
    expect_rejected(partial_block.finish(128), "bad_shape", "not a multiple of the Q8_0 block size 32");

    Crafter zero_dim;
    zero_dim.header(1, 0);
    zero_dim.tensor("t", 0, 0);
    expect_rejected(zero_dim.finish(0), "bad_shape", "zero");

    Crafter overflow;
    overflow.header(1, 0);
    overflow.str("t");
    overflow.w.write<std::uint32_t>(2);
    overflow.w.write<std::uint64_t>(1ull << 40);
    overflow.w.write<std::uint64_t>(1ull << 40);
    overflow.w.write<std::uint32_t>(0);
    overflow.w.write<std::uint64_t>(0);
    expect_rejected(overflow.finish(0), "bad_shape", "overflow");

    Crafter dims;
    dims.header(1, 0);
    dims.str("t");
    dims.w.write<std::uint32_t>(5);
    expect_rejected(dims.finish(0), "bad_shape", "n_dims must be 1..4");
}
