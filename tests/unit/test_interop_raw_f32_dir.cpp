#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/io.hpp"
#include "interop/raw_f32_dir.hpp"

#include "support/temp_dir.hpp"

using slm::ErrorCode;
using slm::interop::read_raw_f32;

namespace {

using TempDir = slm::test::TempDir;

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
    REQUIRE(slm::write_file_atomic(path, slm::Bytes(bytes)).ok());
}

}  // namespace

TEST_CASE("raw_f32_dir: reads little-endian f32 files named after the tensor") {
    TempDir dir;
    // 1.0f, -2.5f, 0x7f7fffff (FLT_MAX) as explicit little-endian bytes.
    write_bytes(dir.str() + "/layers.0.attention.wq.weight.bin",
                {0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x20, 0xC0, 0xFF, 0xFF, 0x7F, 0x7F});
    auto r = read_raw_f32(dir.str(), "layers.0.attention.wq.weight", 3);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    CHECK(*r == std::vector<float>{1.0f, -2.5f, 3.40282347e38f});

    // A trailing slash on the directory is fine; so is an empty tensor.
    write_bytes(dir.str() + "/empty.bin", {});
    auto empty = read_raw_f32(dir.str() + "/", "empty", 0);
    REQUIRE(empty.ok());
    CHECK(empty->empty());
}

TEST_CASE("raw_f32_dir: write_raw_f32 is the inverse of read_raw_f32") {
    TempDir dir;
    const std::vector<float> values = {0.5f, -0.0f, 1e-30f, 42.0f};
    REQUIRE(slm::interop::write_raw_f32(dir.str(), "norm.weight", values).ok());
    CHECK(slm::interop::raw_f32_path(dir.str(), "norm.weight") == dir.str() + "/norm.weight.bin");
    CHECK(std::filesystem::file_size(dir.path / "norm.weight.bin") == 16);
    auto r = read_raw_f32(dir.str(), "norm.weight", 4);
    REQUIRE(r.ok());
    CHECK(*r == values);
}

TEST_CASE("raw_f32_dir: a missing file is not_found and says what was expected") {
    TempDir dir;
    auto r = read_raw_f32(dir.str(), "output.weight", 12);
    REQUIRE(!r.ok());
    CHECK(r.error().code == ErrorCode::not_found);
    CHECK(r.error().id == "raw_f32.not_found");
    CHECK(r.error().message == dir.str() +
                                   "/output.weight.bin: no such file: tensor \"output.weight\" expects 48 bytes "
                                   "(12 little-endian f32) in this file");
    auto no_dir = read_raw_f32(dir.str() + "/missing-dir", "x", 1);
    REQUIRE(!no_dir.ok());
    CHECK(no_dir.error().code == ErrorCode::not_found);
}

TEST_CASE("raw_f32_dir: size mismatch names the file, expected and found bytes") {
    TempDir dir;
    write_bytes(dir.str() + "/tok_embeddings.weight.bin", std::vector<std::uint8_t>(40));
    auto r = read_raw_f32(dir.str(), "tok_embeddings.weight", 12);
    REQUIRE(!r.ok());
    CHECK(r.error().code == ErrorCode::invalid_input);
    CHECK(r.error().id == "raw_f32.size_mismatch");
    CHECK(r.error().message == dir.str() +
                                   "/tok_embeddings.weight.bin: size mismatch for tensor \"tok_embeddings.weight\": "
                                   "expected 48 bytes (12 f32), found 40 bytes (10 f32)");

    write_bytes(dir.str() + "/odd.bin", std::vector<std::uint8_t>(7));
    auto odd = read_raw_f32(dir.str(), "odd", 1);
    REQUIRE(!odd.ok());
    CHECK(odd.error().message.find("expected 4 bytes (1 f32), found 7 bytes (not a multiple of 4)") !=
          std::string::npos);

    auto huge = read_raw_f32(dir.str(), "odd", UINT64_MAX / 2);
    REQUIRE(!huge.ok());
    CHECK(huge.error().id == "raw_f32.too_large");
}

TEST_CASE("raw_f32_dir: names cannot leave the directory") {
    TempDir dir;
    for (const std::string& name : std::vector<std::string>{"", ".", "..", "../secret", "a/b", "a\\b", std::string("a\0b", 3)}) {
        CAPTURE(name);
        auto r = read_raw_f32(dir.str(), name, 1);
        REQUIRE(!r.ok());
        CHECK(r.error().code == ErrorCode::invalid_input);
        CHECK(r.error().id == "raw_f32.bad_name");
        CHECK(slm::interop::write_raw_f32(dir.str(), name, std::vector<float>{1.0f}).error().id == "raw_f32.bad_name");
    }
}

TEST_CASE("raw_f32_dir: a directory in place of the file is invalid input") {
    TempDir dir;
    std::filesystem::create_directory(dir.path / "w.bin");
    auto r = read_raw_f32(dir.str(), "w", 1);
    REQUIRE(!r.ok());
    CHECK(r.error().code == ErrorCode::invalid_input);
}
