// pack on the real fixtures: determinism, manifest identity, exhaustive
// mutation of a packed fixture, and spec errors.
#include <doctest/doctest.h>

#include <string>

#include "core/hash.hpp"
#include "core/json_canonical.hpp"
#include "format/reader.hpp"
#include "package/manifest.hpp"
#include "package/pack.hpp"
#include "package/skill_spec.hpp"
#include "package/yaml_json.hpp"

namespace {

std::string fixture_spec(const char* name) { return std::string(SLM_SOURCE_DIR) + "/fixtures/" + name + "/spec.yaml"; }

slm::package::PackedArtifact pack_fixture(const char* name) {
    auto spec = slm::package::load_skill_spec(fixture_spec(name));
    REQUIRE_MESSAGE(spec.ok(), (spec.ok() ? "" : spec.error().message));
    auto packed = slm::package::pack_skill(*spec);
    REQUIRE_MESSAGE(packed.ok(), (packed.ok() ? "" : packed.error().message));
    return std::move(*packed);
}

}  // namespace

TEST_CASE("package pack: every fixture packs deterministically into a valid container") {
    for (const char* name : {"tiny", "tiny-bpe", "tiny-tied", "tiny-gqa", "tiny-mqa"}) {
        CAPTURE(name);
        auto a = pack_fixture(name);
        auto b = pack_fixture(name);
        CHECK(a.slm == b.slm);
        CHECK(slm::package::manifest_bytes(a.manifest) == slm::package::manifest_bytes(b.manifest));
        CHECK(a.artifact_digest == slm::sha256_ref(slm::Bytes(a.slm)));
        CHECK(a.manifest["artifact"]["digest"] == a.artifact_digest);
        CHECK(a.manifest_id == slm::sha256_ref(slm::as_bytes(slm::canonical_json(a.manifest))));
        CHECK(a.manifest["operator"] == "pack");
        CHECK(a.manifest["parents"].size() == 1);
        auto view = slm::format::parse_slm(a.slm, name);
        REQUIRE(view.ok());
        CHECK(view->checksum_verified());
    }
}

TEST_CASE("package pack: the tokenizer and hyper-parameters come from the spec") {
    auto bpe = pack_fixture("tiny-bpe");
    auto view = slm::format::parse_slm(bpe.slm, "tiny-bpe");
    REQUIRE(view.ok());
    CHECK(view->tokenizer().kind == slm::format::TokenizerKind::bpe);
    CHECK(view->tokenizer().merges.size() == 64);
    CHECK(view->tokenizer().tokens[view->tokenizer().bos_id].text == "<s>");
    auto gqa = pack_fixture("tiny-gqa");
    auto gview = slm::format::parse_slm(gqa.slm, "tiny-gqa");
    REQUIRE(gview.ok());
    CHECK(gview->config().n_kv_heads == 2);
    CHECK(gview->find("layers.1.attention.wk.weight")->entry.dims[1] == 16);
}

TEST_CASE("package pack: every byte flip and truncation of a packed fixture is rejected") {
    const auto packed = pack_fixture("tiny-tied");
    std::vector<std::uint8_t> file = packed.slm;
#if defined(__SANITIZE_ADDRESS__)
    const std::size_t stride = 61;  // the sanitizer build samples; the release build covers every offset
#else
    const std::size_t stride = 1;
#endif
    std::size_t accepted = 0;
    for (std::size_t at = 0; at < file.size(); at += stride) {
        file[at] ^= 0xFF;
        if (slm::format::parse_slm(file, "flip").ok()) ++accepted;
        file[at] ^= 0xFF;
    }
    CHECK(accepted == 0);
    for (std::size_t len = 0; len < file.size(); len += stride) {
        std::vector<std::uint8_t> cut(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(len));
        CHECK_FALSE(slm::format::parse_slm(cut, "truncated").ok());
    }
}

TEST_CASE("package spec: violations name the file, line and field") {
    auto doc = slm::package::parse_yaml("name: x\nversion: 1\n", "spec.yaml");
    REQUIRE(doc.ok());
    auto bad = slm::package::load_skill_spec("/nonexistent/spec.yaml");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == slm::ErrorCode::not_found);
    auto broken = slm::package::parse_yaml("a: [1, 2\n", "broken.yaml");
    REQUIRE_FALSE(broken.ok());
    CHECK(broken.error().id == "yaml.syntax");
    CHECK(broken.error().message.find("broken.yaml:") == 0);
    auto dup = slm::package::parse_yaml("a: 1\na: 2\n", "dup.yaml");
    REQUIRE_FALSE(dup.ok());
    CHECK(dup.error().id == "yaml.duplicate_key");
    CHECK(dup.error().message.find("dup.yaml:2") == 0);
}

TEST_CASE("package yaml: plain scalars are typed, quoted ones stay strings") {
    auto doc = slm::package::parse_yaml("a: 12\nb: '12'\nc: 1.5e-5\nd: true\ne: ~\nf: text\n", "t.yaml");
    REQUIRE(doc.ok());
    const auto& j = doc->value;
    CHECK(j["a"].is_number_integer());
    CHECK(j["b"].is_string());
    CHECK(j["c"].is_number_float());
    CHECK(j["d"].is_boolean());
    CHECK(j["e"].is_null());
    CHECK(j["f"] == "text");
    CHECK(doc->locate("/c") == "t.yaml:3");
}
