#include <doctest/doctest.h>

#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/io.hpp"
#include "interop/safetensors.hpp"

#include "support/temp_dir.hpp"

using slm::ErrorCode;
using slm::interop::SafetensorsFile;
using slm::interop::SafetensorsTensor;
using Blob = std::vector<std::uint8_t>;

namespace {

const std::string k_reference = std::string(SLM_SOURCE_DIR) + "/tests/data/safetensors/reference.safetensors";

// A file made of an explicit header length, header text and `data_bytes` data bytes.
Blob craft(std::uint64_t header_len, std::string_view header, std::size_t data_bytes) {
    slm::ByteWriter w;
    w.write<std::uint64_t>(header_len);
    w.write_bytes(header);
    for (std::size_t i = 0; i < data_bytes; ++i) w.write<std::uint8_t>(static_cast<std::uint8_t>(i));
    return std::move(w.buffer());
}
Blob craft(std::string_view header, std::size_t data_bytes) { return craft(header.size(), header, data_bytes); }

slm::Error open_error(const Blob& bytes) {
    auto f = SafetensorsFile::from_bytes(bytes, "bad.safetensors");
    REQUIRE(!f.ok());
    return f.error();
}

// Checks one corrupt file: its error id, code and a piece of its message.
void expect_rejected(const Blob& bytes, const std::string& id, const std::string& fragment) {
    const slm::Error e = open_error(bytes);
    CAPTURE(e.message);
    CHECK(e.code == ErrorCode::invalid_input);
    CHECK(e.id == "safetensors." + id);
    CHECK(e.message.rfind("bad.safetensors: ", 0) == 0);
    CHECK(e.message.find(fragment) != std::string::npos);
}

std::string entry(std::string_view dtype, std::string_view shape, std::uint64_t begin, std::uint64_t end) {
    return "{\"dtype\":\"" + std::string(dtype) + "\",\"shape\":" + std::string(shape) + ",\"data_offsets\":[" +
           std::to_string(begin) + "," + std::to_string(end) + "]}";
}

std::uint32_t bits_of(float f) { return std::bit_cast<std::uint32_t>(f); }

using TempDir = slm::test::TempDir;

}  // namespace

TEST_CASE("safetensors: reads the independently generated reference file") {
    auto f = SafetensorsFile::open(k_reference);
    REQUIRE_MESSAGE(f.ok(), (f.ok() ? "" : f.error().message));
    CHECK(f->path() == k_reference);
    CHECK(f->data_offset() == 8 + 496);
    CHECK(f->names() ==
          std::vector<std::string>{"half.f16", "brain.bf16", "empty", "matrix.f32", "ids.i64", "scalar"});
    CHECK(f->metadata() == std::map<std::string, std::string>{{"format", "pt"}, {"producer", "make_reference.py"}});

    auto matrix = f->read_f32("matrix.f32");
    REQUIRE(matrix.ok());
    const std::vector<float> want_matrix = {0.0f, 1.0f, -2.5f, 3.25f, 1e-3f, -1e30f};
    CHECK(*matrix == want_matrix);
    CHECK(*f->shape("matrix.f32") == std::vector<std::uint64_t>{2, 3});

    auto half = f->read_f32("half.f16");
    REQUIRE(half.ok());
    const std::vector<float> want_half = {1.0f, -2.0f, 65504.0f, std::ldexp(1.0f, -14), std::ldexp(1.0f, -24)};
    CHECK(*half == want_half);

    auto brain = f->read_f32("brain.bf16");
    REQUIRE(brain.ok());
    CHECK(*brain == std::vector<float>{1.0f, -0.5f, 3.140625f, 256.0f});
    CHECK(*f->shape("brain.bf16") == std::vector<std::uint64_t>{2, 2});

    auto scalar = f->read_f32("scalar");
    REQUIRE(scalar.ok());
    CHECK(*scalar == std::vector<float>{7.5f});
    CHECK(f->shape("scalar")->empty());
    CHECK(f->find("scalar")->element_count == 1);

    auto empty = f->read_f32("empty");
    REQUIRE(empty.ok());
    CHECK(empty->empty());
    CHECK(*f->shape("empty") == std::vector<std::uint64_t>{0, 4});

    // Zero-copy view of the I64 tensor, which cannot be read as f32.
    auto ids = f->data("ids.i64");
    REQUIRE(ids.ok());
    REQUIRE(ids->size() == 24);
    CHECK(slm::load_le<std::int64_t>(ids->data() + 16) == -3);
    auto as_f32 = f->read_f32("ids.i64");
    REQUIRE(!as_f32.ok());
    CHECK(as_f32.error().code == ErrorCode::incompatible);
    CHECK(as_f32.error().id == "safetensors.unsupported_dtype");
    CHECK(as_f32.error().message.find("tensor \"ids.i64\" has dtype I64") != std::string::npos);
}

TEST_CASE("safetensors: unknown tensor names are not_found with a suggestion") {
    auto f = SafetensorsFile::open(k_reference);
    REQUIRE(f.ok());
    CHECK(f->find("nope") == nullptr);
    auto r = f->read_f32("matrix.f23");
    REQUIRE(!r.ok());
    CHECK(r.error().code == ErrorCode::not_found);
    CHECK(r.error().id == "safetensors.tensor_not_found");
    CHECK(r.error().message.find("no tensor named \"matrix.f23\"; did you mean \"matrix.f32\"?") != std::string::npos);
    auto far = f->shape("completely.different.name");
    REQUIRE(!far.ok());
    CHECK(far.error().message.find("did you mean") == std::string::npos);
    CHECK(!f->data("nope").ok());
}

TEST_CASE("safetensors: a missing file is not_found") {
    auto f = SafetensorsFile::open("/nonexistent/dir/model.safetensors");
    REQUIRE(!f.ok());
    CHECK(f.error().code == ErrorCode::not_found);
}

TEST_CASE("safetensors: writer round-trips and lays out the header exactly") {
    const std::vector<SafetensorsTensor> tensors = {
        {"b", {2}, {1.5f, -2.0f}},
        {"a", {1, 3}, {0.25f, 4.0f, -0.0f}},
    };
    auto bytes = slm::interop::write_safetensors(tensors, {{"k", "v"}});
    REQUIRE(bytes.ok());
    const std::string header =
        R"({"__metadata__":{"k":"v"},"a":{"data_offsets":[8,20],"dtype":"F32","shape":[1,3]},)"
        R"("b":{"data_offsets":[0,8],"dtype":"F32","shape":[2]}})";
    const std::size_t padded = (header.size() + 7) / 8 * 8;
    REQUIRE(bytes->size() == 8 + padded + 20);
    CHECK(slm::load_le<std::uint64_t>(bytes->data()) == padded);
    const std::string_view text(reinterpret_cast<const char*>(bytes->data()) + 8, padded);
    CHECK(text.substr(0, header.size()) == header);
    CHECK(text.substr(header.size()).find_first_not_of(' ') == std::string_view::npos);

    auto f = SafetensorsFile::from_bytes(*bytes, "mem");
    REQUIRE_MESSAGE(f.ok(), (f.ok() ? "" : f.error().message));
    CHECK(f->names() == std::vector<std::string>{"b", "a"});
    CHECK(*f->read_f32("b") == tensors[0].data);
    auto a = f->read_f32("a");
    REQUIRE(a.ok());
    CHECK(*a == tensors[1].data);
    CHECK(std::signbit((*a)[2]));
    CHECK(f->metadata().at("k") == "v");

    // Through a real file and the mmap path too.
    TempDir dir;
    const std::string path = (dir.path / "w.safetensors").string();
    REQUIRE(slm::write_file_atomic(path, slm::Bytes(*bytes)).ok());
    auto mapped = SafetensorsFile::open(path);
    REQUIRE(mapped.ok());
    CHECK(*mapped->read_f32("a") == tensors[1].data);

    // No tensors, no metadata: "{}" padded to 8.
    auto none = slm::interop::write_safetensors({});
    REQUIRE(none.ok());
    CHECK(*none == craft("{}      ", 0));
    CHECK(SafetensorsFile::from_bytes(*none, "none").ok());
}

TEST_CASE("safetensors: writer refuses bad tensors") {
    auto fails = [](const std::vector<SafetensorsTensor>& t, const std::string& fragment) {
        auto r = slm::interop::write_safetensors(t);
        REQUIRE(!r.ok());
        CHECK(r.error().code == ErrorCode::invalid_input);
        CHECK(r.error().id == "safetensors.bad_tensor");
        CHECK(r.error().message.find(fragment) != std::string::npos);
    };
    fails({{"x", {2}, {1.0f}}}, "tensor \"x\": shape [2] does not describe its 1 values");
    fails({{"x", {1ull << 32, 1ull << 32, 2}, {}}}, "does not describe");
    fails({{"x", {1}, {1.0f}}, {"x", {1}, {2.0f}}}, "duplicate tensor name \"x\"");
    fails({{"", {0}, {}}}, "tensor name \"\" is not allowed");
    fails({{"__metadata__", {0}, {}}}, "tensor name \"__metadata__\" is not allowed");
}

TEST_CASE("safetensors: every validation rule rejects its corrupt file") {
    const std::string a4 = entry("F32", "[1]", 0, 4);

    SUBCASE("file shorter than the length field") {
        expect_rejected(Blob{1, 2, 3}, "truncated", "file is 3 bytes, shorter than the 8-byte header length");
    }
    SUBCASE("header length past the end of the file") {
        expect_rejected(craft(100, "{}", 0), "truncated", "header length 100 at offset 0 runs past the end");
    }
    SUBCASE("header length above the limit, including values that would overflow") {
        expect_rejected(craft(100'000'001, "{}", 0), "header_too_large", "exceeds the limit of 100000000 bytes");
        expect_rejected(craft(UINT64_MAX, "{}", 0), "header_too_large", "header length 18446744073709551615");
    }
    SUBCASE("header not starting with '{'") {
        expect_rejected(craft(" {}", 0), "bad_header", "must start with '{', found byte 32");
        expect_rejected(craft("", 0), "bad_header", "an empty header");
        expect_rejected(craft("[]", 0), "bad_header", "must start with '{'");
    }
    SUBCASE("invalid JSON, with its position") {
        expect_rejected(craft("{\"a\": ", 0), "bad_header",
                        "header (JSON at file offset 8): invalid JSON at byte 6 (line 1, column 7)");
        expect_rejected(craft(std::string_view("{}\0\0", 4), 0), "bad_header", "invalid JSON at byte 2");
    }
    SUBCASE("duplicate tensor names") {
        expect_rejected(craft("{\"w\":" + a4 + ",\"w\":" + entry("F32", "[1]", 4, 8) + "}", 8), "bad_header",
                        "duplicate object key \"w\" at /w");
    }
    SUBCASE("metadata that is not a map of strings") {
        expect_rejected(craft(R"({"__metadata__":[1]})", 0), "bad_metadata", "expected an object of strings");
        expect_rejected(craft(R"({"__metadata__":{"n":1}})", 0), "bad_metadata", "__metadata__.n: expected a string, found 1");
    }
    SUBCASE("malformed entries") {
        expect_rejected(craft(R"({"w":3})", 0), "bad_entry", "tensor \"w\": expected an object");
        expect_rejected(craft(R"({"w":{"dtype":"F32","shape":[1]}})", 4), "bad_entry",
                        "tensor \"w\": missing field \"data_offsets\"");
        expect_rejected(craft(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"strides":[1]}})", 4),
                        "bad_entry", "unexpected field \"strides\"");
        expect_rejected(craft(R"({"w":{"dtype":32,"shape":[1],"data_offsets":[0,4]}})", 4), "bad_entry",
                        "dtype: expected a string, found 32");
        expect_rejected(craft(R"({"w":{"dtype":"F32","shape":1,"data_offsets":[0,4]}})", 4), "bad_entry",
                        "shape: expected an array");
        expect_rejected(craft("{\"w\":" + entry("F32", "[2,-1]", 0, 4) + "}", 4), "bad_entry",
                        "shape[1]: expected a non-negative integer, found -1");
        expect_rejected(craft("{\"w\":" + entry("F32", "[1.0]", 0, 4) + "}", 4), "bad_entry",
                        "shape[0]: expected a non-negative integer, found 1");
        expect_rejected(craft(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", 4), "bad_entry",
                        "data_offsets: expected [begin, end]");
        expect_rejected(craft(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,"4"]}})", 4), "bad_entry",
                        "data_offsets: expected [begin, end]");
        expect_rejected(craft("{\"w\":" + entry("F32", "[0]", 4, 0) + "}", 4), "bad_entry",
                        "data_offsets: begin 4 is after end 0");
    }
    SUBCASE("unknown dtype") {
        expect_rejected(craft("{\"w\":" + entry("F99", "[1]", 0, 4) + "}", 4), "unknown_dtype",
                        "tensor \"w\": unknown dtype \"F99\"");
    }
    SUBCASE("shape and byte length disagree") {
        expect_rejected(craft("{\"w\":" + entry("F32", "[2,3]", 0, 20) + "}", 20), "size_mismatch",
                        "tensor \"w\": shape [2, 3] of F32 needs 24 bytes, data_offsets [0, 20] hold 20");
        expect_rejected(craft("{\"w\":" + entry("BF16", "[3]", 0, 4) + "}", 4), "size_mismatch", "needs 6 bytes");
        expect_rejected(craft("{\"w\":" + entry("F4", "[3]", 0, 2) + "}", 2), "size_mismatch",
                        "needs 12 bits, not a whole number of bytes");
    }
    SUBCASE("element count overflow") {
        expect_rejected(craft("{\"w\":" + entry("F32", "[4294967296,4294967296,2]", 0, 0) + "}", 0), "size_mismatch",
                        "more elements than 2^64 bits can hold");
        expect_rejected(craft("{\"w\":" + entry("F64", "[2305843009213693952,2]", 0, 0) + "}", 0), "size_mismatch",
                        "more elements than 2^64 bits can hold");
    }
    SUBCASE("offsets past the data region") {
        expect_rejected(craft("{\"w\":" + entry("F32", "[2]", 0, 8) + "}", 6), "offset_out_of_range",
                        "tensor \"w\": data_offsets [0, 8] run past the data region of 6 bytes");
        expect_rejected(craft("{\"w\":" + entry("U8", "[1]", 18446744073709551614ull, 18446744073709551615ull) + "}", 6),
                        "offset_out_of_range", "run past the data region");
    }
    SUBCASE("overlapping tensors") {
        expect_rejected(craft("{\"a\":" + entry("F32", "[2]", 0, 8) + ",\"b\":" + entry("F32", "[2]", 4, 12) + "}", 12),
                        "overlap", "tensor \"b\" data_offsets [4, 12] overlap tensor \"a\" [0, 8]");
        expect_rejected(craft("{\"a\":" + a4 + ",\"b\":" + a4 + "}", 4), "overlap", "overlap tensor \"a\"");
    }
    SUBCASE("gaps between tensors") {
        expect_rejected(craft("{\"a\":" + a4 + ",\"b\":" + entry("F32", "[1]", 8, 12) + "}", 12), "gap",
                        "no tensor covers data bytes [4, 8) before tensor \"b\"");
        expect_rejected(craft("{\"b\":" + entry("F32", "[1]", 4, 8) + "}", 8), "gap", "data bytes [0, 4)");
    }
    SUBCASE("bytes after the last tensor") {
        expect_rejected(craft("{\"a\":" + a4 + "}", 7), "trailing_data", "3 bytes after the last tensor");
        expect_rejected(craft("{}", 1), "trailing_data", "1 bytes after the last tensor");
    }
}

TEST_CASE("safetensors: edge cases that are valid") {
    // Empty tensors whose other dimensions would overflow, spaces after the JSON, no tensors at all.
    auto f = SafetensorsFile::from_bytes(
        craft("{\"z\":" + entry("F32", "[0,9223372036854775808,4]", 0, 0) + ",\"a\":" + entry("F32", "[1]", 0, 4) +
                  "}   ",
              4),
        "edge");
    REQUIRE_MESSAGE(f.ok(), (f.ok() ? "" : f.error().message));
    CHECK(f->names() == std::vector<std::string>{"z", "a"});
    CHECK(f->read_f32("z")->empty());
    CHECK(f->read_f32("a")->size() == 1);
    CHECK(SafetensorsFile::from_bytes(craft("{}", 0), "empty").ok());
    // Sub-byte dtypes are accepted when they fill whole bytes (and read_f32 refuses them).
    auto f4 = SafetensorsFile::from_bytes(craft("{\"q\":" + entry("F4", "[4]", 0, 2) + "}", 2), "f4");
    REQUIRE(f4.ok());
    CHECK(f4->read_f32("q").error().code == ErrorCode::incompatible);
}

TEST_CASE("safetensors: f16 and bf16 widen exactly") {
    using slm::interop::widen_bf16;
    using slm::interop::widen_f16;
    CHECK(widen_f16(0x3C00) == 1.0f);
    CHECK(widen_f16(0xC000) == -2.0f);
    CHECK(widen_f16(0x7BFF) == 65504.0f);
    CHECK(widen_f16(0x0001) == std::ldexp(1.0f, -24));
    CHECK(widen_f16(0x03FF) == std::ldexp(1023.0f, -24));
    CHECK(bits_of(widen_f16(0x8000)) == 0x80000000u);
    CHECK(std::isinf(widen_f16(0x7C00)));
    CHECK(bits_of(widen_f16(0xFE01)) == 0xFFC02000u);  // NaN payload kept
    CHECK(widen_bf16(0x3F80) == 1.0f);
    CHECK(bits_of(widen_bf16(0xFF81)) == 0xFF810000u);
#ifdef __FLT16_MAX__
    // Every binary16 value against the compiler's own conversion.
    for (std::uint32_t h = 0; h <= 0xFFFF; ++h) {
        const auto half = std::bit_cast<_Float16>(static_cast<std::uint16_t>(h));
        const float want = static_cast<float>(half);
        const float got = widen_f16(static_cast<std::uint16_t>(h));
        if (std::isnan(want)) {
            CHECK(std::isnan(got));
        } else if (bits_of(got) != bits_of(want)) {
            FAIL("f16 0x" << std::hex << h << " widened to " << got << ", expected " << want);
        }
    }
#endif
}
