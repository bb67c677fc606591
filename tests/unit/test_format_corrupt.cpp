// Handcrafted corrupt files, one (or a few) per validation rule of the reader
// and the tokenizer section. Each starts from a valid file, breaks exactly one
// rule, refreshes the checksum (so the structural rule is what trips) and
// checks the exact error id, the error code and that the message names the
// field.
#include <doctest/doctest.h>

#include <cstring>
#include <limits>

#include "format/reader.hpp"
#include "format/tokenizer_section.hpp"
#include "support/slm_patch.hpp"
#include "support/tiny_model.hpp"

using namespace slm;
using namespace slm::format;
using test::entry_of;
using test::patch_f32;
using test::patch_u32;
using test::patch_u64;
namespace eo = test::entry_off;

namespace {

constexpr const char* k_where = "corrupt.slm";
constexpr const char* k_wq = "layers.0.attention.wq.weight";      // q8_0 (8, 8), block 8
constexpr const char* k_w2 = "layers.0.feed_forward.w2.weight";   // q4_0 (16, 8), block 16
constexpr const char* k_attn_norm = "layers.0.attention_norm.weight";  // f32 (8,)
constexpr const char* k_ffn_norm = "layers.0.ffn_norm.weight";         // f32 (8,)

// Tied, q8_0 matrices, w2 in q4_0, f32 norms: every dtype rule is reachable.
test::FileBytes base_file(bool tied = true) {
    test::TinySpec spec;
    spec.config.tied_output = tied;
    spec.matrix_dtype = DType::q8_0;
    spec.dtype_overrides[k_w2] = DType::q4_0;
    return test::make_tiny_slm(spec);
}

void check_error(const test::FileBytes& f, const char* id, const char* fragment) {
    auto r = parse_slm(f, k_where);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().id == id);
    CHECK(r.error().code == ErrorCode::invalid_input);
    CHECK_MESSAGE(r.error().message.find(k_where) != std::string::npos, r.error().message);
    CHECK_MESSAGE(r.error().message.find(fragment) != std::string::npos, r.error().message);
}

}  // namespace

TEST_CASE("format.corrupt: the base file is valid") {
    const auto f = base_file();
    auto v = parse_slm(f, k_where);
    REQUIRE_MESSAGE(v.ok(), v.error().message);
    CHECK(v->find(k_wq)->dtype == DType::q8_0);
    CHECK(v->find(k_wq)->entry.block_size == 8);
    CHECK(v->find(k_w2)->dtype == DType::q4_0);
    CHECK(v->find(k_w2)->entry.block_size == 16);
    CHECK(v->find(k_attn_norm)->dtype == DType::f32);
}

TEST_CASE("format.corrupt: truncated header") {
    const auto f = base_file();
    for (std::size_t n : {0, 1, 4, 50, 107}) {
        CAPTURE(n);
        check_error(test::FileBytes(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(n)),
                    "format.truncated", "header");
    }
}

TEST_CASE("format.corrupt: bad_magic") {
    auto f = base_file();
    f[3] = '2';
    test::refresh_checksum(f);
    check_error(f, "format.bad_magic", "magic");
    std::memcpy(f.data(), "GGUF", 4);
    check_error(f, "format.bad_magic", "magic");
}

TEST_CASE("format.corrupt: bad_version") {
    auto f = base_file();
    for (std::uint32_t v : {0u, 2u, 0x01000000u}) {
        patch_u32(f, off::version, v);
        check_error(f, "format.bad_version", "version");
    }
}

TEST_CASE("format.corrupt: bad_header_length") {
    auto f = base_file();
    SUBCASE("below 108") { patch_u32(f, off::header_length, 107); }
    SUBCASE("zero") { patch_u32(f, off::header_length, 0); }
    SUBCASE("beyond the file") { patch_u32(f, off::header_length, static_cast<std::uint32_t>(f.size() + 1)); }
    check_error(f, "format.bad_header_length", "header_length");
}

TEST_CASE("format.corrupt: reserved_nonzero") {
    auto f = base_file();
    SUBCASE("header reserved at 12") {
        patch_u32(f, off::reserved0, 1);
        check_error(f, "format.reserved_nonzero", "reserved at offset 12");
    }
    SUBCASE("header reserved at 52") {
        patch_u32(f, off::reserved1, 0x80000000u);
        check_error(f, "format.reserved_nonzero", "reserved at offset 52");
    }
    SUBCASE("directory entry reserved") {
        patch_u32(f, entry_of(f, k_wq) + eo::reserved, 7);
        check_error(f, "format.reserved_nonzero", "attention.wq.weight reserved");
    }
}

TEST_CASE("format.corrupt: bad_flags") {
    auto f = base_file();
    for (std::uint32_t flags : {2u, 3u, 0x80000001u}) {
        patch_u32(f, off::flags, flags);
        check_error(f, "format.bad_flags", "flags");
    }
}

TEST_CASE("format.corrupt: zero_dim for each of the seven dims") {
    const std::pair<const char*, std::size_t> dims[] = {
        {"vocab_size", off::vocab_size}, {"n_layers", off::n_layers}, {"n_heads", off::n_heads},
        {"n_kv_heads", off::n_kv_heads}, {"head_dim", off::head_dim}, {"ffn_dim", off::ffn_dim},
        {"context_length", off::context_length}};
    for (auto [field, at] : dims) {
        CAPTURE(field);
        auto f = base_file();
        patch_u32(f, at, 0);
        check_error(f, "format.zero_dim", field);
    }
}

TEST_CASE("format.corrupt: bad_gqa") {
    auto f = base_file();  // n_heads 2, n_kv_heads 2
    SUBCASE("more kv heads than heads") { patch_u32(f, off::n_kv_heads, 4); }
    SUBCASE("kv heads do not divide heads") {
        patch_u32(f, off::n_heads, 3);
        patch_u32(f, off::n_kv_heads, 2);
    }
    check_error(f, "format.bad_gqa", "n_kv_heads");
}

TEST_CASE("format.corrupt: dim_overflow") {
    SUBCASE("n_heads * head_dim does not fit in u32") {
        auto f = base_file();
        patch_u32(f, off::n_heads, 0x10000);
        patch_u32(f, off::head_dim, 0x10000);
        check_error(f, "format.dim_overflow", "n_heads*head_dim");
    }
    SUBCASE("a tensor's f32 byte size does not fit in u64") {
        // dim = ffn = 2^32-1 makes w1 (dim, ffn) 2^64-2^33+1 elements: the
        // count fits, its f32 byte size does not. Entry 0 is rewritten to be
        // w1 with that shape so it is the first entry the reader checks.
        auto f = base_file();
        test::put<std::uint32_t>(f, off::n_heads, 1);
        test::put<std::uint32_t>(f, off::n_kv_heads, 1);
        test::put<std::uint32_t>(f, off::head_dim, 0xFFFFFFFFu);
        test::put<std::uint32_t>(f, off::ffn_dim, 0xFFFFFFFFu);
        const std::uint64_t e = test::entry_at(f, 0);
        test::put<std::uint64_t>(f, e + eo::name_hash, fnv1a64("layers.0.feed_forward.w1.weight"));
        test::put<std::uint32_t>(f, e + eo::dtype, 1);
        test::put<std::uint32_t>(f, e + eo::dims, 0xFFFFFFFFu);
        test::put<std::uint32_t>(f, e + eo::dims + 4, 0xFFFFFFFFu);
        test::put<std::uint32_t>(f, e + eo::block_size, 0);
        test::refresh_checksum(f);
        check_error(f, "format.dim_overflow", "feed_forward.w1.weight dims");
    }
}

TEST_CASE("format.corrupt: bad_model_type") {
    auto f = base_file();
    for (std::uint32_t t : {0u, 2u}) {
        patch_u32(f, off::model_type, t);
        check_error(f, "format.bad_model_type", "model_type");
    }
}

TEST_CASE("format.corrupt: bad_rope_theta") {
    auto f = base_file();
    for (float v : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                    -std::numeric_limits<float>::infinity(), 0.0f, -0.0f, -10000.0f}) {
        CAPTURE(v);
        patch_f32(f, off::rope_theta, v);
        check_error(f, "format.bad_rope_theta", "rope_theta");
    }
}

TEST_CASE("format.corrupt: bad_rms_eps") {
    auto f = base_file();
    for (float v : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(), 0.0f,
                    -1e-5f}) {
        CAPTURE(v);
        patch_f32(f, off::rms_eps, v);
        check_error(f, "format.bad_rms_eps", "rms_eps");
    }
}

TEST_CASE("format.corrupt: section_out_of_bounds") {
    auto f = base_file();
    const std::uint64_t size = f.size();
    const std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();
    SUBCASE("tokenizer past the end") {
        patch_u64(f, off::tokenizer_offset, size);
        check_error(f, "format.section_out_of_bounds", "tokenizer_offset");
    }
    SUBCASE("tokenizer length past the end") {
        patch_u64(f, off::tokenizer_length, size);
        check_error(f, "format.section_out_of_bounds", "tokenizer_length");
    }
    SUBCASE("tokenizer offset + length overflows") {
        patch_u64(f, off::tokenizer_offset, u64_max - 7);
        patch_u64(f, off::tokenizer_length, 16);
        check_error(f, "format.section_out_of_bounds", "tokenizer_offset");
    }
    SUBCASE("tokenizer inside the header") {
        patch_u64(f, off::tokenizer_offset, 100);
        check_error(f, "format.section_out_of_bounds", "tokenizer_offset");
    }
    SUBCASE("directory past the end") {
        patch_u64(f, off::directory_offset, size - 32);
        check_error(f, "format.section_out_of_bounds", "directory_offset");
    }
    SUBCASE("huge tensor_count") {
        patch_u32(f, off::tensor_count, 0xFFFFFFFFu);
        check_error(f, "format.section_out_of_bounds", "tensor_count");
    }
    SUBCASE("directory offset overflows") {
        patch_u64(f, off::directory_offset, u64_max - 63);
        check_error(f, "format.section_out_of_bounds", "directory_offset");
    }
    SUBCASE("directory inside the header") {
        patch_u64(f, off::directory_offset, 8);
        check_error(f, "format.section_out_of_bounds", "directory_offset");
    }
    SUBCASE("tensor_data_offset past the end") {
        patch_u64(f, off::tensor_data_offset, (size + 64) / 64 * 64);
        check_error(f, "format.section_out_of_bounds", "tensor_data_offset");
    }
    SUBCASE("tensor_data_offset inside the header") {
        patch_u64(f, off::tensor_data_offset, 64);
        check_error(f, "format.section_out_of_bounds", "tensor_data_offset");
    }
    SUBCASE("tensor_data_offset near 2^64") {
        patch_u64(f, off::tensor_data_offset, u64_max - 63);
        check_error(f, "format.section_out_of_bounds", "tensor_data_offset");
    }
}

TEST_CASE("format.corrupt: misaligned") {
    auto f = base_file();
    SUBCASE("tensor_data_offset") {
        patch_u64(f, off::tensor_data_offset, test::get_u64(f, off::tensor_data_offset) + 8);
        check_error(f, "format.misaligned", "tensor_data_offset");
    }
    SUBCASE("data_offset") {
        const std::uint64_t e = entry_of(f, k_attn_norm);
        patch_u64(f, e + eo::data_offset, test::get_u64(f, e + eo::data_offset) + 4);
        check_error(f, "format.misaligned", "attention_norm.weight data_offset");
    }
    SUBCASE("scale_offset") {
        const std::uint64_t e = entry_of(f, k_wq);
        patch_u64(f, e + eo::scale_offset, test::get_u64(f, e + eo::scale_offset) + 2);
        check_error(f, "format.misaligned", "wq.weight scale_offset");
    }
}

TEST_CASE("format.corrupt: bad_dtype") {
    auto f = base_file();
    for (std::uint32_t d : {0u, 4u, 0xFFFFFFFFu}) {
        patch_u32(f, entry_of(f, k_wq) + eo::dtype, d);
        check_error(f, "format.bad_dtype", "wq.weight dtype");
    }
}

TEST_CASE("format.corrupt: bad_rank") {
    auto f = base_file();
    for (std::uint32_t r : {0u, 5u, 0xFFFFFFFFu}) {
        patch_u32(f, entry_of(f, k_wq) + eo::rank, r);
        check_error(f, "format.bad_rank", "wq.weight rank");
    }
}

TEST_CASE("format.corrupt: bad_dims") {
    auto f = base_file();
    const std::uint64_t e = entry_of(f, k_wq);
    SUBCASE("zero within rank") {
        patch_u32(f, e + eo::dims + 4, 0);
        check_error(f, "format.bad_dims", "wq.weight dims[1]");
    }
    SUBCASE("nonzero beyond rank") {
        patch_u32(f, e + eo::dims + 12, 1);
        check_error(f, "format.bad_dims", "wq.weight dims[3]");
    }
}

TEST_CASE("format.corrupt: shape_mismatch") {
    auto f = base_file();
    SUBCASE("dims swapped") {
        const std::uint64_t e = entry_of(f, "layers.0.feed_forward.w1.weight");
        test::put<std::uint32_t>(f, e + eo::dims, 16);
        patch_u32(f, e + eo::dims + 4, 8);
        check_error(f, "format.shape_mismatch", "feed_forward.w1.weight dims");
    }
    SUBCASE("extra unit dim") {
        const std::uint64_t e = entry_of(f, k_attn_norm);
        test::put<std::uint32_t>(f, e + eo::rank, 2);
        patch_u32(f, e + eo::dims + 4, 1);
        check_error(f, "format.shape_mismatch", "attention_norm.weight dims");
    }
    SUBCASE("header changed under the tensors") {
        patch_u32(f, off::ffn_dim, 32);
        check_error(f, "format.shape_mismatch", "dims");
    }
}

TEST_CASE("format.corrupt: bad_block_size") {
    auto f = base_file();
    SUBCASE("f32 with a block size") {
        patch_u32(f, entry_of(f, k_attn_norm) + eo::block_size, 8);
        check_error(f, "format.bad_block_size", "attention_norm.weight block_size");
    }
    SUBCASE("quantized with block size 0") {
        patch_u32(f, entry_of(f, k_wq) + eo::block_size, 0);
        check_error(f, "format.bad_block_size", "wq.weight block_size");
    }
    SUBCASE("block size not dividing dims[0]") {
        patch_u32(f, entry_of(f, k_wq) + eo::block_size, 3);
        check_error(f, "format.bad_block_size", "wq.weight block_size");
    }
    SUBCASE("block size larger than dims[0]") {
        patch_u32(f, entry_of(f, k_wq) + eo::block_size, 16);
        check_error(f, "format.bad_block_size", "wq.weight block_size");
    }
    SUBCASE("odd q4_0 block size") {
        patch_u32(f, entry_of(f, k_w2) + eo::block_size, 1);
        check_error(f, "format.bad_block_size", "w2.weight block_size");
    }
}

TEST_CASE("format.corrupt: bad_data_length") {
    auto f = base_file();
    SUBCASE("f32 one byte long") {
        const std::uint64_t e = entry_of(f, k_attn_norm);
        patch_u64(f, e + eo::data_length, test::get_u64(f, e + eo::data_length) + 1);
        check_error(f, "format.bad_data_length", "attention_norm.weight data_length");
    }
    SUBCASE("q4_0 stored with the q8_0 size") {
        patch_u64(f, entry_of(f, k_w2) + eo::data_length, 16 * 8);
        check_error(f, "format.bad_data_length", "w2.weight data_length");
    }
    SUBCASE("dtype changed so the length no longer fits") {
        // wq as f32 would need 256 bytes; the entry says 64.
        const std::uint64_t e = entry_of(f, k_wq);
        test::put<std::uint32_t>(f, e + eo::dtype, 1);
        patch_u32(f, e + eo::block_size, 0);
        check_error(f, "format.bad_data_length", "wq.weight data_length");
    }
}

TEST_CASE("format.corrupt: data_out_of_bounds") {
    auto f = base_file();
    const std::uint64_t e = entry_of(f, k_attn_norm);
    SUBCASE("past the end") { patch_u64(f, e + eo::data_offset, (f.size() + 63) / 64 * 64); }
    SUBCASE("before tensor_data_offset") { patch_u64(f, e + eo::data_offset, 128); }
    SUBCASE("offset + length overflows") {
        patch_u64(f, e + eo::data_offset, std::numeric_limits<std::uint64_t>::max() / 64 * 64);
    }
    check_error(f, "format.data_out_of_bounds", "attention_norm.weight data_offset/data_length");
}

TEST_CASE("format.corrupt: scale_out_of_bounds") {
    auto f = base_file();
    SUBCASE("f32 with a scale offset") {
        patch_u64(f, entry_of(f, k_attn_norm) + eo::scale_offset, test::get_u64(f, off::tensor_data_offset));
        check_error(f, "format.scale_out_of_bounds", "attention_norm.weight scale_offset");
    }
    SUBCASE("quantized scales past the end") {
        patch_u64(f, entry_of(f, k_wq) + eo::scale_offset, (f.size() - 4) / 4 * 4);
        check_error(f, "format.scale_out_of_bounds", "wq.weight scale_offset");
    }
    SUBCASE("quantized scale offset 0") {
        patch_u64(f, entry_of(f, k_wq) + eo::scale_offset, 0);
        check_error(f, "format.scale_out_of_bounds", "wq.weight scale_offset");
    }
    SUBCASE("quantized scale offset + length overflows") {
        patch_u64(f, entry_of(f, k_wq) + eo::scale_offset, std::numeric_limits<std::uint64_t>::max() - 3);
        check_error(f, "format.scale_out_of_bounds", "wq.weight scale_offset");
    }
}

TEST_CASE("format.corrupt: overlap") {
    auto f = base_file();
    SUBCASE("two payloads share bytes") {
        patch_u64(f, entry_of(f, k_ffn_norm) + eo::data_offset,
                  test::get_u64(f, entry_of(f, k_attn_norm) + eo::data_offset));
        check_error(f, "format.overlap", "norm.weight");
    }
    SUBCASE("scales on top of a payload") {
        const std::uint64_t e = entry_of(f, k_wq);
        patch_u64(f, e + eo::scale_offset, test::get_u64(f, e + eo::data_offset) + 32);
        check_error(f, "format.overlap", "wq.weight");
    }
    SUBCASE("tensor data inside the directory") {
        const std::uint64_t dir = test::directory_offset(f);
        const std::uint64_t inside = (dir + 63) / 64 * 64;
        REQUIRE(inside + 32 <= dir + test::tensor_count(f) * k_entry_size);
        test::put<std::uint64_t>(f, off::tensor_data_offset, inside);
        patch_u64(f, entry_of(f, k_attn_norm) + eo::data_offset, inside);
        check_error(f, "format.overlap", "tensor directory");
    }
    SUBCASE("tensor data on top of the tokenizer section") {
        // Append a copy of the tokenizer at a 64-aligned offset, point the
        // header at it, and let one payload start there as well.
        const auto section = serialize_tokenizer_section(test::byte_tokenizer());
        const std::uint64_t at = test::append_aligned(f, section, 64);
        test::put<std::uint64_t>(f, off::tokenizer_offset, at);
        test::put<std::uint64_t>(f, off::tokenizer_length, section.size());
        patch_u64(f, entry_of(f, k_attn_norm) + eo::data_offset, at);
        check_error(f, "format.overlap", "tokenizer section");
    }
}

TEST_CASE("format.corrupt: unknown_tensor") {
    auto f = base_file();
    patch_u64(f, entry_of(f, k_wq) + eo::name_hash, fnv1a64("layers.0.attention.wq.bias"));
    check_error(f, "format.unknown_tensor", "name_hash");

    // A layer beyond n_layers is unknown too.
    f = base_file();
    patch_u64(f, entry_of(f, k_wq) + eo::name_hash, fnv1a64("layers.1.attention.wq.weight"));
    check_error(f, "format.unknown_tensor", "name_hash");

    // output.weight in a file that declares a tied output.
    f = base_file(false);
    patch_u32(f, off::flags, k_flag_tied_output);
    check_error(f, "format.unknown_tensor", "name_hash");
}

TEST_CASE("format.corrupt: duplicate_tensor") {
    auto f = base_file();
    patch_u64(f, test::entry_at(f, 1) + eo::name_hash, test::get_u64(f, test::entry_at(f, 0)));
    check_error(f, "format.duplicate_tensor", "tok_embeddings.weight");
}

TEST_CASE("format.corrupt: missing_tensor") {
    SUBCASE("directory one entry short") {
        auto f = base_file();
        patch_u32(f, off::tensor_count, test::tensor_count(f) - 1);
        check_error(f, "format.missing_tensor", "tensor_count");
    }
    SUBCASE("empty directory") {
        auto f = base_file();
        patch_u32(f, off::tensor_count, 0);
        check_error(f, "format.missing_tensor", "tensor_count");
    }
    SUBCASE("untied flag without output.weight") {
        auto f = base_file(true);
        patch_u32(f, off::flags, 0);
        check_error(f, "format.missing_tensor", "with output.weight");
    }
    SUBCASE("n_layers far beyond what the directory holds") {
        // Regression: the reader used to build the 9-names-per-layer list
        // before comparing it with the directory, so a 108-byte change could
        // ask for billions of names (found by the mutation test).
        for (std::uint32_t layers : {2u, 0x01000000u, 0xFFFFFFFFu}) {
            CAPTURE(layers);
            auto f = base_file();
            patch_u32(f, off::n_layers, layers);
            check_error(f, "format.missing_tensor", "n_layers");
        }
    }
}

TEST_CASE("format.corrupt: bad_tokenizer inside a file") {
    auto f = base_file();
    const std::uint64_t tok = test::get_u64(f, off::tokenizer_offset);
    SUBCASE("kind") {
        f[tok] = 'X';
        test::refresh_checksum(f);
        check_error(f, "format.bad_tokenizer", "kind");
    }
    SUBCASE("version") {
        patch_u32(f, tok + 4, 0);
        check_error(f, "format.bad_tokenizer", "version");
    }
    SUBCASE("vocab_size disagrees with token_count") {
        patch_u32(f, off::vocab_size, test::k_byte_vocab + 1);
        check_error(f, "format.bad_tokenizer", "token_count");
    }
    SUBCASE("eos_id out of range") {
        patch_u32(f, tok + 16, test::k_byte_vocab);
        check_error(f, "format.bad_tokenizer", "eos_id");
    }
    SUBCASE("flags") {
        patch_u32(f, tok + 24, 0x100);
        check_error(f, "format.bad_tokenizer", "flags");
    }
    SUBCASE("token type") {
        test::patch_u8(f, tok + 32, 9);
        check_error(f, "format.bad_tokenizer", "token 0 type");
    }
    SUBCASE("section shorter than its tokens") {
        patch_u64(f, off::tokenizer_length, test::get_u64(f, off::tokenizer_length) - 1);
        check_error(f, "format.bad_tokenizer", "token 257");
    }
    SUBCASE("section shorter than the fixed fields") {
        patch_u64(f, off::tokenizer_length, 31);
        check_error(f, "format.bad_tokenizer", "at least 32 bytes");
    }
    SUBCASE("replaced section with trailing bytes") {
        auto section = serialize_tokenizer_section(test::byte_tokenizer());
        section.push_back(0);
        test::replace_tokenizer(f, section);
        check_error(f, "format.bad_tokenizer", "trailing");
    }
    SUBCASE("replaced section missing a byte token") {
        TokenizerSection t = test::byte_tokenizer();
        t.tokens[0].type = TokenType::control;
        test::replace_tokenizer(f, serialize_tokenizer_section(t));
        check_error(f, "format.bad_tokenizer", "256 single-byte");
    }
}

TEST_CASE("format.corrupt: checksum_mismatch") {
    auto f = base_file();
    SUBCASE("payload byte changed") { f[f.size() - 1] ^= 0x01; }
    SUBCASE("stored checksum changed") { f[off::checksum + 7] ^= 0x80; }
    SUBCASE("padding byte changed") {
        // The gap between the directory and the tensor data is covered too.
        const std::uint64_t gap = test::directory_offset(f) + test::tensor_count(f) * k_entry_size;
        REQUIRE(gap < test::get_u64(f, off::tensor_data_offset));
        f[gap] = 0xFF;
    }
    check_error(f, "format.checksum_mismatch", "checksum");
}
