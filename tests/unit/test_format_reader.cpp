#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>

#include "format/reader.hpp"
#include "format/tensor_names.hpp"
#include "format/writer.hpp"
#include "support/slm_patch.hpp"
#include "support/tiny_model.hpp"

using namespace slm;
using namespace slm::format;

namespace {

bool inside(Bytes span, Bytes file) {
    return span.data() >= file.data() && span.data() + span.size() <= file.data() + file.size();
}

void check_config_equal(const ModelConfig& a, const ModelConfig& b) {
    CHECK(a.vocab_size == b.vocab_size);
    CHECK(a.n_layers == b.n_layers);
    CHECK(a.n_heads == b.n_heads);
    CHECK(a.n_kv_heads == b.n_kv_heads);
    CHECK(a.head_dim == b.head_dim);
    CHECK(a.ffn_dim == b.ffn_dim);
    CHECK(a.context_length == b.context_length);
    CHECK(a.model_type == b.model_type);
    CHECK(a.rope_theta == b.rope_theta);
    CHECK(a.rms_eps == b.rms_eps);
    CHECK(a.tied_output == b.tied_output);
}

// Writes the spec, parses it back and checks everything against the input.
void check_round_trip(const test::TinySpec& spec) {
    const test::TinyModel m = test::make_tiny_input(spec);
    auto written = write_slm(m.input);
    REQUIRE_MESSAGE(written.ok(), written.error().message);
    const std::vector<std::uint8_t>& file = *written;

    auto parsed = parse_slm(file, "tiny.slm");
    REQUIRE_MESSAGE(parsed.ok(), parsed.error().message);
    const SlmView& v = *parsed;
    CHECK(v.checksum_verified());
    CHECK(v.file_bytes().data() == file.data());
    CHECK(v.header().version == 1);
    CHECK(v.header().header_length == 108);
    CHECK(v.header().flags == spec.config.flags());
    check_config_equal(v.config(), spec.config);

    const auto specs = required_tensors(spec.config);
    REQUIRE(v.tensors().size() == specs.size());
    CHECK(v.header().tensor_count == specs.size());
    std::uint64_t params = 0;
    for (std::size_t i = 0; i < specs.size(); ++i) {
        const TensorView& t = v.tensors()[i];
        CAPTURE(t.name);
        CHECK(t.name == specs[i].name);  // canonical order
        CHECK(v.find(t.name) == &t);
        CHECK(t.entry.rank == specs[i].rank);
        CHECK(t.entry.dims == specs[i].dims);
        CHECK(t.row_length() == specs[i].dims[0]);
        CHECK(t.row_count() * t.row_length() == t.element_count());
        params += t.element_count();

        const TensorInput* in = nullptr;
        for (const auto& ti : m.input.tensors)
            if (ti.name == t.name) in = &ti;
        REQUIRE(in != nullptr);
        CHECK(t.dtype == in->dtype);
        CHECK(t.entry.block_size == in->block_size);
        // Zero-copy: the views point into the parsed buffer, and hold the input bytes.
        CHECK(inside(t.data, file));
        CHECK(t.data.data() == file.data() + t.entry.data_offset);
        CHECK(reinterpret_cast<std::uintptr_t>(t.data.data()) % 64 ==
              reinterpret_cast<std::uintptr_t>(file.data()) % 64);
        REQUIRE(t.data.size() == in->data.size());
        CHECK(std::memcmp(t.data.data(), in->data.data(), in->data.size()) == 0);
        if (in->dtype == DType::f32) {
            CHECK(t.scales.empty());
            CHECK(t.entry.scale_offset == 0);
            float first = 0;
            std::memcpy(&first, in->data.data(), 4);
            CHECK(t.f32()[0] == first);
        } else {
            CHECK(inside(t.scales, file));
            CHECK(t.scales.data() == file.data() + t.entry.scale_offset);
            REQUIRE(t.scales.size() == in->scales.size());
            CHECK(t.scales.size() == t.element_count() / t.entry.block_size * 4);
            CHECK(std::memcmp(t.scales.data(), in->scales.data(), in->scales.size()) == 0);
            float first = 0;
            std::memcpy(&first, in->scales.data(), 4);
            CHECK(t.scale_values()[0] == first);
        }
    }
    CHECK(v.parameter_count() == params);
    CHECK(v.find("no.such.tensor") == nullptr);
    CHECK((v.find("output.weight") == nullptr) == spec.config.tied_output);

    // Tokenizer: the parsed section equals the input and its bytes are a span of the file.
    const TokenizerSection& tok = v.tokenizer();
    CHECK(tok.kind == m.input.tokenizer.kind);
    CHECK(tok.bos_id == m.input.tokenizer.bos_id);
    CHECK(tok.eos_id == m.input.tokenizer.eos_id);
    CHECK(tok.unk_id == m.input.tokenizer.unk_id);
    CHECK(tok.flags == m.input.tokenizer.flags);
    REQUIRE(tok.tokens.size() == m.input.tokenizer.tokens.size());
    for (std::size_t i = 0; i < tok.tokens.size(); ++i) {
        CHECK(tok.tokens[i].text == m.input.tokenizer.tokens[i].text);
        CHECK(tok.tokens[i].type == m.input.tokenizer.tokens[i].type);
    }
    CHECK(inside(v.tokenizer_bytes(), file));
    const auto section = serialize_tokenizer_section(m.input.tokenizer);
    CHECK(std::vector<std::uint8_t>(v.tokenizer_bytes().begin(), v.tokenizer_bytes().end()) == section);
}

}  // namespace

TEST_CASE("format.reader: round trip tied f32") {
    check_round_trip({});
}

TEST_CASE("format.reader: round trip untied with output.weight") {
    test::TinySpec spec;
    spec.config.tied_output = false;
    check_round_trip(spec);
}

TEST_CASE("format.reader: round trip GQA and MQA") {
    test::TinySpec spec;
    spec.config.n_layers = 2;
    spec.config.n_heads = 4;
    spec.config.head_dim = 8;
    SUBCASE("GQA 4 heads over 2 kv heads") { spec.config.n_kv_heads = 2; }
    SUBCASE("MQA 4 heads over 1 kv head") { spec.config.n_kv_heads = 1; }
    spec.config.tied_output = false;
    spec.config.rope_theta = 500000.0f;
    spec.config.rms_eps = 1e-6f;
    check_round_trip(spec);
}

TEST_CASE("format.reader: round trip quantized tensors") {
    test::TinySpec spec;
    spec.config.n_heads = 8;  // dim 32, so the default block size is 32
    spec.config.ffn_dim = 64;
    spec.config.tied_output = false;
    SUBCASE("q8_0") { spec.matrix_dtype = DType::q8_0; }
    SUBCASE("q4_0") { spec.matrix_dtype = DType::q4_0; }
    SUBCASE("q4_0 with small blocks") {
        spec.matrix_dtype = DType::q4_0;
        spec.block_size = 8;
    }
    SUBCASE("mixed, norms quantized too") {
        spec.matrix_dtype = DType::q4_0;
        spec.vector_dtype = DType::q8_0;
        spec.dtype_overrides["tok_embeddings.weight"] = DType::q8_0;
        spec.dtype_overrides["output.weight"] = DType::f32;
    }
    check_round_trip(spec);
}

TEST_CASE("format.reader: round trip with an SPM tokenizer and flags") {
    test::TinyModel m = test::make_tiny_input({});
    TokenizerSection t;
    t.kind = TokenizerKind::sentencepiece;
    t.unk_id = 0;
    t.bos_id = 1;
    t.eos_id = 2;
    t.flags = k_tokflag_add_bos | k_tokflag_add_space_prefix;
    t.tokens.push_back({"<unk>", 0.0f, TokenType::unknown});
    t.tokens.push_back({"<s>", 0.0f, TokenType::control});
    t.tokens.push_back({"</s>", 0.0f, TokenType::control});
    for (std::uint32_t i = 3; i < test::k_byte_vocab; ++i)
        t.tokens.push_back({"piece" + std::to_string(i), -static_cast<float>(i), TokenType::normal});
    m.input.tokenizer = t;
    auto f = write_slm(m.input);
    REQUIRE_MESSAGE(f.ok(), f.error().message);
    auto v = parse_slm(*f, "spm.slm");
    REQUIRE(v.ok());
    CHECK(v->tokenizer().kind == TokenizerKind::sentencepiece);
    CHECK(v->tokenizer().flags == t.flags);
    CHECK(v->tokenizer().tokens[100].score == -100.0f);
}

TEST_CASE("format.reader: header_length > 108 is accepted and the extra bytes ignored") {
    const auto base = test::make_tiny_slm({});
    const auto f = test::with_longer_header(base, 64, 0xA5);
    REQUIRE(f.size() == base.size() + 64);
    auto v = parse_slm(f, "long-header.slm");
    REQUIRE_MESSAGE(v.ok(), v.error().message);
    CHECK(v->header().header_length == 172);
    CHECK(v->tokenizer_bytes().data() == f.data() + 172);
    auto b = parse_slm(base, "base.slm");
    REQUIRE(b.ok());
    REQUIRE(v->tensors().size() == b->tensors().size());
    for (std::size_t i = 0; i < b->tensors().size(); ++i) {
        const auto& x = v->tensors()[i].data;
        const auto& y = b->tensors()[i].data;
        CHECK(std::equal(x.begin(), x.end(), y.begin(), y.end()));
    }

    // Different extra bytes: still accepted (they are ignored, not just zero).
    auto g = test::with_longer_header(base, 128, 0x00);
    CHECK(parse_slm(g, "g.slm").ok());
}

TEST_CASE("format.reader: sections in another order are accepted") {
    // Move the tokenizer behind the tensor data: readers require bounds and no
    // overlap, not the writer's order.
    auto f = test::make_tiny_slm({});
    const auto section = serialize_tokenizer_section(test::byte_tokenizer());
    test::replace_tokenizer(f, section);
    auto v = parse_slm(f, "moved.slm");
    REQUIRE_MESSAGE(v.ok(), v.error().message);
    CHECK(v->tokenizer_bytes().data() == f.data() + test::get_u64(f, off::tokenizer_offset));
    CHECK(v->tokenizer().tokens.size() == test::k_byte_vocab);
}

TEST_CASE("format.reader: verify_checksum=false skips only the checksum") {
    auto f = test::make_tiny_slm({});
    test::put<std::uint64_t>(f, off::checksum, 0x1234);
    CHECK(parse_slm(f, "x.slm").error().id == "format.checksum_mismatch");
    ReadOptions no_sum;
    no_sum.verify_checksum = false;
    auto v = parse_slm(f, "x.slm", no_sum);
    REQUIRE(v.ok());
    CHECK_FALSE(v->checksum_verified());
    // Structure is still checked.
    test::put<std::uint32_t>(f, off::version, 2);
    CHECK(parse_slm(f, "x.slm", no_sum).error().id == "format.bad_version");
}

TEST_CASE("format.reader: compute_checksum ignores the stored checksum bytes") {
    auto f = test::make_tiny_slm({});
    const std::uint64_t sum = compute_checksum(f);
    CHECK(sum == test::get_u64(f, off::checksum));
    test::put<std::uint64_t>(f, off::checksum, ~sum);
    CHECK(compute_checksum(f) == sum);
    std::vector<std::uint8_t> zeroed = f;
    test::put<std::uint64_t>(zeroed, off::checksum, 0);
    CHECK(xxh64(zeroed, 0) == sum);
}
