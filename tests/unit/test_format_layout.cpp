#include <doctest/doctest.h>

#include <set>

#include "core/hash.hpp"
#include "format/layout.hpp"
#include "format/tensor_names.hpp"

using namespace slm;
using namespace slm::format;

TEST_CASE("format.layout: dtype table") {
    CHECK(dtype_name(DType::f32) == "f32");
    CHECK(dtype_name(DType::q8_0) == "q8_0");
    CHECK(dtype_name(DType::q4_0) == "q4_0");
    for (DType t : {DType::f32, DType::q8_0, DType::q4_0}) {
        DType back = DType::f32;
        REQUIRE(dtype_from_name(dtype_name(t), back));
        CHECK(back == t);
    }
    DType unused = DType::f32;
    CHECK_FALSE(dtype_from_name("q4_1", unused));
    CHECK_FALSE(dtype_from_name("", unused));

    CHECK_FALSE(dtype_is_valid(0));
    CHECK(dtype_is_valid(1));
    CHECK(dtype_is_valid(2));
    CHECK(dtype_is_valid(3));
    CHECK_FALSE(dtype_is_valid(4));
    CHECK_FALSE(dtype_is_valid(0xFFFFFFFFu));

    CHECK_FALSE(dtype_is_quantized(DType::f32));
    CHECK(dtype_is_quantized(DType::q8_0));
    CHECK(dtype_is_quantized(DType::q4_0));

    CHECK(dtype_payload_bytes(DType::f32, 32) == 128);
    CHECK(dtype_payload_bytes(DType::q8_0, 32) == 32);
    CHECK(dtype_payload_bytes(DType::q4_0, 32) == 16);
}

TEST_CASE("format.layout: header offsets match the documented table") {
    CHECK(k_header_size == 108);
    CHECK(k_entry_size == 64);
    CHECK(k_alignment == 64);
    CHECK(off::rope_theta == 56);
    CHECK(off::tokenizer_offset == 64);
    CHECK(off::tensor_count == 88);
    CHECK(off::tensor_data_offset == 92);
    CHECK(off::checksum == 100);
    CHECK(off::checksum + 8 == k_header_size);
    CHECK(k_checksum_offset == off::checksum);
}

TEST_CASE("format.layout: element_count uses only the dims within rank") {
    TensorEntry e;
    e.rank = 2;
    e.dims = {8, 3, 0, 0};
    CHECK(e.element_count() == 24);
    e.rank = 1;
    CHECK(e.element_count() == 8);
}

TEST_CASE("format.tensor_names: required set order and shapes") {
    ModelConfig c;
    c.vocab_size = 100;
    c.n_layers = 2;
    c.n_heads = 4;
    c.n_kv_heads = 2;
    c.head_dim = 8;
    c.ffn_dim = 48;
    c.context_length = 64;

    SUBCASE("untied") {
        c.tied_output = false;
        const auto specs = required_tensors(c);
        REQUIRE(specs.size() == 3 + 9 * 2);
        CHECK(specs.front().name == "tok_embeddings.weight");
        CHECK(specs[1].name == "layers.0.attention_norm.weight");
        CHECK(specs[10].name == "layers.1.attention_norm.weight");
        CHECK(specs[specs.size() - 2].name == "norm.weight");
        CHECK(specs.back().name == "output.weight");

        std::set<std::uint64_t> hashes;
        for (const auto& s : specs) {
            CHECK(s.name_hash == fnv1a64(s.name));
            hashes.insert(s.name_hash);
            CHECK((s.rank == 1 || s.rank == 2));
            for (std::uint32_t i = 0; i < 4; ++i) CHECK((i < s.rank) == (s.dims[i] != 0));
        }
        CHECK(hashes.size() == specs.size());

        auto find = [&](const std::string& name) -> const TensorSpec& {
            for (const auto& s : specs)
                if (s.name == name) return s;
            FAIL("missing " << name);
            return specs.front();
        };
        using D = std::array<std::uint32_t, 4>;
        CHECK(find("tok_embeddings.weight").dims == D{32, 100, 0, 0});
        CHECK(find("layers.1.attention.wq.weight").dims == D{32, 32, 0, 0});
        CHECK(find("layers.1.attention.wk.weight").dims == D{32, 16, 0, 0});
        CHECK(find("layers.1.attention.wv.weight").dims == D{32, 16, 0, 0});
        CHECK(find("layers.1.attention.wo.weight").dims == D{32, 32, 0, 0});
        CHECK(find("layers.0.ffn_norm.weight").dims == D{32, 0, 0, 0});
        CHECK(find("layers.0.feed_forward.w1.weight").dims == D{32, 48, 0, 0});
        CHECK(find("layers.0.feed_forward.w2.weight").dims == D{48, 32, 0, 0});
        CHECK(find("layers.0.feed_forward.w3.weight").dims == D{32, 48, 0, 0});
        CHECK(find("norm.weight").rank == 1);
        CHECK(find("output.weight").dims == D{32, 100, 0, 0});
    }
    SUBCASE("tied drops output.weight") {
        c.tied_output = true;
        const auto specs = required_tensors(c);
        CHECK(specs.size() == 2 + 9 * 2);
        for (const auto& s : specs) CHECK(s.name != "output.weight");
    }
    CHECK(layer_tensor_name(7, "ffn_norm.weight") == "layers.7.ffn_norm.weight");
}
