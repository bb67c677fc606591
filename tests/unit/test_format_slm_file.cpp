#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/io.hpp"
#include "format/slm_file.hpp"
#include "support/slm_patch.hpp"
#include "support/temp_dir.hpp"
#include "support/tiny_model.hpp"

using namespace slm;
using namespace slm::format;

using slm::test::TempDir;

TEST_CASE("format.slm_file: open maps the file and views point into the mapping") {
    TempDir dir;
    const std::string path = dir.file("tiny.slm");
    const auto bytes = test::make_tiny_slm({});
    REQUIRE(write_file_atomic(path, Bytes(bytes)).ok());

    auto f = SlmFile::open(path);
    REQUIRE_MESSAGE(f.ok(), f.error().message);
    CHECK(f->path() == path);
    const Bytes mapped = f->bytes();
    REQUIRE(mapped.size() == bytes.size());
    CHECK(std::equal(mapped.begin(), mapped.end(), bytes.begin()));
    CHECK(f->view().file_bytes().data() == mapped.data());
    for (const auto& t : f->view().tensors()) {
        CHECK(t.data.data() >= mapped.data());
        CHECK(t.data.data() + t.data.size() <= mapped.data() + mapped.size());
        // mmap returns page-aligned memory, so 64-aligned offsets give 64-aligned pointers.
        CHECK(reinterpret_cast<std::uintptr_t>(t.data.data()) % 64 == 0);
    }

    // Moving the SlmFile keeps the mapping, and so the views, valid.
    SlmFile moved = std::move(*f);
    CHECK(moved.view().tensors().front().data.data() >= moved.bytes().data());
    CHECK(moved.view().tensors().front().f32()[0] == moved.view().tensors().front().f32()[0]);
}

TEST_CASE("format.slm_file: errors name the path") {
    TempDir dir;
    SUBCASE("missing file") {
        auto f = SlmFile::open(dir.file("absent.slm"));
        REQUIRE_FALSE(f.ok());
        CHECK(f.error().code == ErrorCode::not_found);
    }
    SUBCASE("empty file") {
        const std::string path = dir.file("empty.slm");
        REQUIRE(write_file_atomic(path, std::string_view()).ok());
        auto f = SlmFile::open(path);
        REQUIRE_FALSE(f.ok());
        CHECK(f.error().id == "format.truncated");
        CHECK(f.error().message.find(path) != std::string::npos);
    }
    SUBCASE("corrupt file") {
        const std::string path = dir.file("corrupt.slm");
        auto bytes = test::make_tiny_slm({});
        bytes.back() ^= 1;
        REQUIRE(write_file_atomic(path, Bytes(bytes)).ok());
        auto f = SlmFile::open(path);
        REQUIRE_FALSE(f.ok());
        CHECK(f.error().id == "format.checksum_mismatch");
        CHECK(f.error().message.find(path) != std::string::npos);
        ReadOptions no_sum;
        no_sum.verify_checksum = false;
        CHECK(SlmFile::open(path, no_sum).ok());
    }
}

TEST_CASE("core.io: a staged file appears only on commit, and is removed if never committed") {
    TempDir dir;
    const std::string path = dir.file("out.bin");
    const std::string old_text = "old contents";
    REQUIRE(write_file_atomic(path, std::string_view(old_text)).ok());
    const std::string new_text = "new contents, longer than the old";

    SUBCASE("commit replaces the old file") {
        auto staged = StagedFile::write(path, as_bytes(std::string_view(new_text)));
        REQUIRE(staged.ok());
        CHECK(dir.listing().size() == 2);  // the old file and the temporary one
        CHECK(*read_text_file(path) == old_text);
        REQUIRE(staged->commit().ok());
        CHECK(*read_text_file(path) == new_text);
        CHECK(dir.listing() == std::vector<std::string>{"out.bin"});
        CHECK_FALSE(staged->commit().ok());  // once only
    }
    SUBCASE("dropped without commit: the old file stays, nothing else is left") {
        {
            auto staged = StagedFile::write(path, as_bytes(std::string_view(new_text)));
            REQUIRE(staged.ok());
            StagedFile moved = std::move(*staged);  // the moved-from one owns nothing
        }
        CHECK(*read_text_file(path) == old_text);
        CHECK(dir.listing() == std::vector<std::string>{"out.bin"});
    }
    SUBCASE("a directory that does not exist is an error naming the file") {
        const std::string missing = path + ".d/inner.bin";
        auto staged = StagedFile::write(missing, as_bytes(std::string_view(new_text)));
        REQUIRE_FALSE(staged.ok());
        CHECK(staged.error().code == ErrorCode::not_found);
        CHECK(staged.error().message.find("out.bin.d/inner.bin") != std::string::npos);
        CHECK(dir.listing() == std::vector<std::string>{"out.bin"});
    }
}

TEST_CASE("core.io: released pages of a mapping read back the file's bytes; other ranges are ignored") {
    TempDir dir;
    const std::string path = dir.file("pages.bin");
    std::vector<std::uint8_t> bytes(5 * 4096 + 123);
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i * 7 + 3);
    REQUIRE(write_file_atomic(path, Bytes(bytes)).ok());
    auto map = MappedFile::open(path);
    REQUIRE(map.ok());
    const Bytes mapped = map->bytes();
    std::uint64_t before = 0;
    for (std::uint8_t b : mapped) before += b;  // every page resident
    map->release(mapped.data() + 100, 3 * 4096);  // the pages wholly inside it
    map->release(mapped.data(), mapped.size());
    map->release(bytes.data(), bytes.size());          // not in the mapping: ignored
    map->release(mapped.data() + 10, mapped.size());   // runs past the end: ignored
    REQUIRE(mapped.size() == bytes.size());
    CHECK(std::equal(mapped.begin(), mapped.end(), bytes.begin()));
    std::uint64_t after = 0;
    for (std::uint8_t b : mapped) after += b;
    CHECK(after == before);
}
