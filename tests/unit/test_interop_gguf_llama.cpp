// GGUF llama import/export: exact round trips and the refusals users meet.
#include <doctest/doctest.h>

#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "format/reader.hpp"
#include "format/writer.hpp"
#include "interop/gguf_llama.hpp"
#include "support/tiny_model.hpp"

using slm::ErrorCode;
using slm::format::DType;
using slm::interop::GgufFile;
using slm::interop::GgufValue;
using Blob = std::vector<std::uint8_t>;

namespace {

Blob export_of(const Blob& slm) {
    auto view = slm::format::parse_slm(slm, "model.slm");
    REQUIRE(view.ok());
    auto gguf = slm::interop::export_gguf_llama(*view, {"skill.test", "1.2.3"});
    REQUIRE(gguf.ok());
    return *gguf;
}

slm::Result<Blob> import_of(const Blob& gguf) {
    auto file = GgufFile::from_bytes(gguf, "model.gguf");
    if (!file) return file.take_error();
    auto m = slm::interop::import_gguf_llama(*file);
    if (!m) return m.take_error();
    return slm::format::write_slm(m->input);
}

// The exported file with its metadata and tensors edited by `edit`.
template <class Edit>
Blob rewritten(const Blob& gguf, Edit edit) {
    auto file = GgufFile::from_bytes(gguf, "model.gguf");
    REQUIRE(file.ok());
    auto kv = file->metadata();
    std::vector<slm::interop::GgufTensorInput> tensors;
    for (const auto& t : file->tensors()) tensors.push_back({t.name, t.ggml_type, t.ne, file->tensor_data(t)});
    edit(kv, tensors);
    auto out = slm::interop::write_gguf(kv, tensors);
    REQUIRE(out.ok());
    return *out;
}

void set_key(std::vector<std::pair<std::string, GgufValue>>& kv, const std::string& key, GgufValue v) {
    for (auto& [k, value] : kv) {
        if (k == key) {
            value = std::move(v);
            return;
        }
    }
    kv.emplace_back(key, std::move(v));
}

void expect_import_error(const Blob& gguf, const std::string& id, ErrorCode code, const std::string& fragment) {
    auto r = import_of(gguf);
    CAPTURE(id);
    REQUIRE(!r.ok());
    CAPTURE(r.error().message);
    CHECK(r.error().id == id);
    CHECK(r.error().code == code);
    CHECK(r.error().message.find(fragment) != std::string::npos);
}

}  // namespace

TEST_CASE("gguf llama: import(export(x)) == x for f32, q8_0, q4_0, mixed, untied and MQA models") {
    std::vector<slm::test::TinySpec> specs(6);
    specs[1].matrix_dtype = DType::q8_0;
    specs[1].block_size = 32;
    specs[2].matrix_dtype = DType::q4_0;
    specs[2].block_size = 32;
    specs[3].config.tied_output = false;  // the others are tied
    specs[4].config.n_kv_heads = 1;
    specs[5].dtype_overrides["layers.0.feed_forward.w2.weight"] = DType::q8_0;
    specs[5].block_size = 32;
    for (auto& spec : specs) {
        if (spec.matrix_dtype != DType::f32 || !spec.dtype_overrides.empty()) {
            spec.config.head_dim = 16;  // rows of 32+ elements for ggml blocks
            spec.config.ffn_dim = 64;
        }
    }
    for (std::size_t k = 0; k < specs.size(); ++k) {
        CAPTURE(k);
        Blob slm;
        if (k == 1 || k == 2 || k == 5) {
            // The fake scales of tiny_model are not f16 values: round them like a quantizer would.
            auto m = slm::test::make_tiny_input(specs[k]);
            for (auto& t : m.input.tensors) {
                if (t.scales.empty()) continue;
                auto* s = reinterpret_cast<float*>(const_cast<std::uint8_t*>(t.scales.data()));
                for (std::size_t i = 0; i < t.scales.size() / 4; ++i) s[i] = 1.0f / 128.0f * static_cast<float>(i % 7 + 1);
            }
            auto image = slm::format::write_slm(m.input);
            REQUIRE(image.ok());
            slm = *image;
        } else {
            slm = slm::test::make_tiny_slm(specs[k]);
        }
        auto back = import_of(export_of(slm));
        REQUIRE(back.ok());
        CHECK(*back == slm);
    }
}

TEST_CASE("gguf llama: export refuses scales GGUF cannot hold") {
    slm::test::TinySpec spec;
    spec.matrix_dtype = DType::q8_0;
    spec.config.head_dim = 16;
    spec.config.ffn_dim = 64;
    spec.block_size = 32;
    const Blob slm = slm::test::make_tiny_slm(spec);  // random scales: not f16 values
    auto view = slm::format::parse_slm(slm, "model.slm");
    REQUIRE(view.ok());
    auto gguf = slm::interop::export_gguf_llama(*view, {});
    REQUIRE(!gguf.ok());
    CHECK(gguf.error().id == "gguf.scale_not_f16");
    CHECK(gguf.error().code == ErrorCode::incompatible);
}

TEST_CASE("gguf llama: import refusals name the file and the problem") {
    slm::test::TinySpec spec;
    spec.config.head_dim = 16;  // 32-element rows, so a Q4_1 matrix can be written
    const Blob good = export_of(slm::test::make_tiny_slm(spec));
    REQUIRE(import_of(good).ok());

    expect_import_error(rewritten(good, [](auto& kv, auto&) { set_key(kv, "general.type", GgufValue::make_string("adapter")); }),
                        "gguf.is_adapter", ErrorCode::incompatible, "this is an adapter, not a model");
    expect_import_error(rewritten(good, [](auto& kv, auto&) { set_key(kv, "general.architecture", GgufValue::make_string("gpt2")); }),
                        "gguf.unsupported", ErrorCode::incompatible, "architecture 'gpt2'");
    expect_import_error(rewritten(good, [](auto& kv, auto&) { std::erase_if(kv, [](auto& e) { return e.first == "llama.block_count"; }); }),
                        "gguf.missing_key", ErrorCode::invalid_input, "llama.block_count");
    expect_import_error(rewritten(good, [](auto& kv, auto&) { set_key(kv, "llama.rope.dimension_count", GgufValue::make_u32(2)); }),
                        "gguf.unsupported", ErrorCode::incompatible, "partial rotary");
    expect_import_error(rewritten(good, [](auto& kv, auto&) { set_key(kv, "tokenizer.ggml.model", GgufValue::make_string("bert")); }),
                        "gguf.unsupported_tokenizer", ErrorCode::incompatible, "'bert'");
    expect_import_error(rewritten(good, [](auto& kv, auto&) { set_key(kv, "tokenizer.ggml.pre", GgufValue::make_string("llama-bpe")); }),
                        "gguf.unsupported_tokenizer", ErrorCode::incompatible, "pre-tokenizer 'llama-bpe'");
    expect_import_error(rewritten(good, [](auto& kv, auto&) { set_key(kv, "tokenizer.ggml.bos_token_id", GgufValue::make_u32(99999)); }),
                        "gguf.bad_tokenizer", ErrorCode::invalid_input, "outside the vocabulary");
    expect_import_error(rewritten(good, [](auto&, auto& tensors) { tensors.pop_back(); }),
                        "gguf.tensor_count", ErrorCode::invalid_input, "the file has");
    expect_import_error(rewritten(good, [](auto&, auto& tensors) { tensors[1].name = "blk.0.attn_nrm.weight"; }),
                        "gguf.unsupported", ErrorCode::incompatible, "'blk.0.attn_nrm.weight' has no place");
    expect_import_error(rewritten(good, [](auto& kv, auto&) { set_key(kv, "llama.block_count", GgufValue::make_u32(0xFFFFFFF0u)); }),
                        "gguf.tensor_count", ErrorCode::invalid_input, "4294967280 layers");
    expect_import_error(rewritten(good, [](auto&, auto& tensors) {
                            tensors[2].name = "blk.9.attn_q.weight";
                        }),
                        "gguf.unsupported", ErrorCode::incompatible, "'blk.9.attn_q.weight' has no place");
    expect_import_error(rewritten(good, [](auto&, auto& tensors) { std::swap(tensors[0].ne[0], tensors[0].ne[1]); }),
                        "gguf.bad_shape", ErrorCode::invalid_input, "expected");

    // A Q4_1 matrix: valid GGUF, but not a type slmctl imports.
    static Blob q4_1;
    expect_import_error(rewritten(good, [](auto&, auto& tensors) {
                            for (auto& t : tensors) {
                                if (t.name != "blk.0.attn_q.weight") continue;
                                q4_1.assign(t.ne[0] * t.ne[1] / 32 * 20, 0);
                                t.ggml_type = 3;
                                t.data = slm::Bytes(q4_1);
                            }
                        }),
                        "gguf.unsupported", ErrorCode::incompatible, "has type Q4_1");

    // A NaN weight is refused, not imported.
    static Blob with_nan;
    expect_import_error(rewritten(good, [](auto&, auto& tensors) {
                            with_nan.assign(tensors[0].data.begin(), tensors[0].data.end());
                            const float nan = std::numeric_limits<float>::quiet_NaN();
                            std::memcpy(with_nan.data() + 8, &nan, 4);
                            tensors[0].data = slm::Bytes(with_nan);
                        }),
                        "gguf.non_finite", ErrorCode::invalid_input, "element 2");
}

TEST_CASE("gguf llama: tensor names map both ways") {
    CHECK(slm::interop::slm_name_from_gguf("blk.12.ffn_gate.weight") == "layers.12.feed_forward.w1.weight");
    CHECK(slm::interop::gguf_name_from_slm("layers.3.attention.wo.weight") == "blk.3.attn_output.weight");
    CHECK(slm::interop::slm_name_from_gguf("output_norm.weight") == "norm.weight");
    CHECK(slm::interop::slm_name_from_gguf("blk.x.attn_q.weight").empty());
    CHECK(slm::interop::slm_name_from_gguf("rope_freqs.weight").empty());
}
