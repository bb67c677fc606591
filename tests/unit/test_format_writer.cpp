#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <span>

#include "format/reader.hpp"
#include "format/writer.hpp"
#include "support/slm_patch.hpp"
#include "support/tiny_model.hpp"

using namespace slm;
using namespace slm::format;

namespace {

void check_writer_error(const SlmInput& in, const char* id, const char* fragment) {
    auto r = write_slm(in);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::invalid_input);
    CHECK(r.error().id == id);
    CHECK_MESSAGE(r.error().message.find(fragment) != std::string::npos, r.error().message);
}

TensorInput* find_input(SlmInput& in, const std::string& name) {
    for (auto& t : in.tensors)
        if (t.name == name) return &t;
    return nullptr;
}

}  // namespace

TEST_CASE("format.writer: output is deterministic") {
    test::TinySpec spec;
    const auto a = test::make_tiny_slm(spec);
    const auto b = test::make_tiny_slm(spec);
    CHECK(a == b);
    spec.seed = 2;
    CHECK(test::make_tiny_slm(spec) != a);
}

TEST_CASE("format.writer: tensor input order does not matter") {
    test::TinyModel m = test::make_tiny_input({});
    auto a = write_slm(m.input);
    REQUIRE(a.ok());
    std::reverse(m.input.tensors.begin(), m.input.tensors.end());
    auto b = write_slm(m.input);
    REQUIRE(b.ok());
    CHECK(*a == *b);
}

TEST_CASE("format.writer: a fill writes the same image as the payload it produces") {
    // Every tensor, f32 and q4_0, given as a fill that copies its payload:
    // the image must equal the one written from the payloads themselves.
    test::TinySpec spec;
    spec.matrix_dtype = DType::q4_0;
    test::TinyModel m = test::make_tiny_input(spec);
    auto expected = write_slm(m.input);
    REQUIRE(expected.ok());
    std::size_t calls = 0;
    for (TensorInput& t : m.input.tensors) {
        t.fill = [&calls, data = t.data, scales = t.scales](std::span<std::uint8_t> out, std::span<float> out_scales) {
            ++calls;
            REQUIRE(out.size() == data.size());
            REQUIRE(out_scales.size() * sizeof(float) == scales.size());
            std::copy(data.begin(), data.end(), out.begin());
            if (!scales.empty()) std::memcpy(out_scales.data(), scales.data(), scales.size());
            return Status{};
        };
        t.data = {};
        t.scales = {};
    }
    auto filled = write_slm(m.input);
    REQUIRE(filled.ok());
    CHECK(calls == m.input.tensors.size());
    CHECK(*filled == *expected);

    SUBCASE("a fill's error is returned as it is") {
        find_input(m.input, "layers.0.attention.wk.weight")->fill = [](std::span<std::uint8_t>, std::span<float>) {
            return Status{make_error(ErrorCode::invalid_input, "quant.non_finite", "row 3 holds NaN")};
        };
        auto r = write_slm(m.input);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().id == "quant.non_finite");
        CHECK(r.error().message == "row 3 holds NaN");
    }
    SUBCASE("a fill's block size is still checked") {
        find_input(m.input, "layers.0.attention.wq.weight")->block_size = 3;
        check_writer_error(m.input, "format.bad_block_size", "wq");
    }
}

TEST_CASE("format.writer: layout is header then tokenizer then directory then aligned data") {
    test::TinySpec spec;
    spec.matrix_dtype = DType::q8_0;
    const auto f = test::make_tiny_slm(spec);
    CHECK(test::get_u32(f, off::header_length) == k_header_size);
    const std::uint64_t tok = test::get_u64(f, off::tokenizer_offset);
    const std::uint64_t tok_len = test::get_u64(f, off::tokenizer_length);
    const std::uint64_t dir = test::get_u64(f, off::directory_offset);
    const std::uint64_t data = test::get_u64(f, off::tensor_data_offset);
    CHECK(tok == k_header_size);
    CHECK(dir == (tok + tok_len + 7) / 8 * 8);
    CHECK(data == (dir + test::tensor_count(f) * k_entry_size + 63) / 64 * 64);
    std::uint64_t previous_end = data;
    for (std::uint32_t i = 0; i < test::tensor_count(f); ++i) {
        const std::uint64_t e = test::entry_at(f, i);
        const std::uint64_t d = test::get_u64(f, e + test::entry_off::data_offset);
        const std::uint64_t s = test::get_u64(f, e + test::entry_off::scale_offset);
        CHECK(d % 64 == 0);
        CHECK(d >= previous_end);
        previous_end = d + test::get_u64(f, e + test::entry_off::data_length);
        if (s != 0) {
            CHECK(s % 64 == 0);
            CHECK(s >= previous_end);
            previous_end = s;  // scales follow their payload
        }
        CHECK(test::get_u32(f, e + test::entry_off::reserved) == 0);
    }
    CHECK(test::get_u64(f, off::checksum) == compute_checksum(f));
}

TEST_CASE("format.writer: rejects inconsistent inputs") {
    test::TinyModel m = test::make_tiny_input({});
    SlmInput& in = m.input;

    SUBCASE("duplicate tensor") {
        in.tensors.push_back(in.tensors.front());
        check_writer_error(in, "format.duplicate_tensor", "tok_embeddings.weight");
    }
    SUBCASE("missing tensor") {
        in.tensors.pop_back();
        check_writer_error(in, "format.missing_tensor", "norm.weight");
    }
    SUBCASE("unknown tensor") {
        TensorInput extra = in.tensors.back();
        extra.name = "output.weight";  // not part of a tied model
        in.tensors.push_back(extra);
        check_writer_error(in, "format.unknown_tensor", "output.weight");
    }
    SUBCASE("renamed tensor") {
        find_input(in, "norm.weight")->name = "final_norm.weight";
        check_writer_error(in, "format.missing_tensor", "norm.weight");
    }
    SUBCASE("wrong rank") {
        find_input(in, "norm.weight")->dims.push_back(1);
        check_writer_error(in, "format.shape_mismatch", "norm.weight");
    }
    SUBCASE("wrong dims") {
        std::swap(find_input(in, "layers.0.feed_forward.w1.weight")->dims[0],
                  find_input(in, "layers.0.feed_forward.w1.weight")->dims[1]);
        check_writer_error(in, "format.shape_mismatch", "feed_forward.w1");
    }
    SUBCASE("payload size") {
        TensorInput* t = find_input(in, "norm.weight");
        t->data = t->data.first(t->data.size() - 4);
        check_writer_error(in, "format.bad_data_length", "norm.weight");
    }
    SUBCASE("block size") {
        test::TinySpec spec;
        spec.matrix_dtype = DType::q8_0;
        test::TinyModel q = test::make_tiny_input(spec);
        TensorInput* t = find_input(q.input, "layers.0.attention.wq.weight");
        t->block_size = 3;
        check_writer_error(q.input, "format.bad_block_size", "wq");
        t->block_size = 0;
        check_writer_error(q.input, "format.bad_block_size", "wq");
    }
    SUBCASE("scale count") {
        test::TinySpec spec;
        spec.matrix_dtype = DType::q4_0;
        test::TinyModel q = test::make_tiny_input(spec);
        TensorInput* t = find_input(q.input, "layers.0.attention.wq.weight");
        t->scales = t->scales.first(t->scales.size() - 4);
        check_writer_error(q.input, "format.bad_scale_length", "wq");
    }
    SUBCASE("odd q4_0 block size is refused by the reader check") {
        test::TinySpec spec;
        spec.config.ffn_dim = 18;
        spec.dtype_overrides["layers.0.feed_forward.w2.weight"] = DType::q4_0;
        spec.block_size = 9;  // divides 18 but q4_0 packs element pairs
        spec.matrix_dtype = DType::f32;
        test::TinyModel q = test::make_tiny_input(spec);
        check_writer_error(q.input, "format.bad_block_size", "even");
    }
    SUBCASE("config the reader refuses") {
        in.config.context_length = 0;
        check_writer_error(in, "format.zero_dim", "context_length");
    }
    SUBCASE("tokenizer that does not match the vocabulary") {
        in.tokenizer.tokens.pop_back();
        check_writer_error(in, "format.bad_tokenizer", "token_count");
    }
}
