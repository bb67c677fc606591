// The .slm v1 container (all integers little-endian). Grammar:
//
//   file        := header tokenizer directory pad64 tensor_data
//   header      := 108 bytes, see offsets below (header_length may be larger;
//                  readers skip the extra bytes)
//   tokenizer   := tokenizer_length bytes at tokenizer_offset (tokenizer_section.hpp)
//   directory   := tensor_count x 64-byte TensorEntry at directory_offset
//   tensor_data := payloads and f32 scale arrays, each 64-byte aligned, at or
//                  after tensor_data_offset
//
// Section order is what the writer produces; readers only require that every
// region is inside the file and that regions do not overlap.
// docs/slm-format.md describes every field and validation rule.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace slm::format {

inline constexpr std::array<std::uint8_t, 4> k_magic = {'S', 'L', 'M', '1'};
inline constexpr std::uint32_t k_version = 1;
inline constexpr std::uint32_t k_header_size = 108;
inline constexpr std::uint32_t k_entry_size = 64;
inline constexpr std::uint32_t k_alignment = 64;
inline constexpr std::uint32_t k_model_type_llama = 1;
inline constexpr std::uint32_t k_flag_tied_output = 1u << 0;
inline constexpr std::uint32_t k_known_flags = k_flag_tied_output;
inline constexpr std::size_t k_checksum_offset = 100;
inline constexpr std::uint32_t k_max_rank = 4;

// Header field offsets.
namespace off {
inline constexpr std::size_t magic = 0, version = 4, header_length = 8, reserved0 = 12,
                             flags = 16, vocab_size = 20, n_layers = 24, n_heads = 28,
                             n_kv_heads = 32, head_dim = 36, ffn_dim = 40, context_length = 44,
                             model_type = 48, reserved1 = 52, rope_theta = 56, rms_eps = 60,
                             tokenizer_offset = 64, tokenizer_length = 72,
                             directory_offset = 80, tensor_count = 88,
                             tensor_data_offset = 92, checksum = 100;
}

enum class DType : std::uint32_t { f32 = 1, q8_0 = 2, q4_0 = 3 };

std::string_view dtype_name(DType t);
bool dtype_from_name(std::string_view name, DType& out);
bool dtype_is_valid(std::uint32_t raw);
bool dtype_is_quantized(DType t);
// Payload bytes for n elements (q4_0 packs two per byte).
std::uint64_t dtype_payload_bytes(DType t, std::uint64_t n_elements);

// Model hyper-parameters carried in the header.
struct ModelConfig {
    std::uint32_t vocab_size = 0;
    std::uint32_t n_layers = 0;
    std::uint32_t n_heads = 0;
    std::uint32_t n_kv_heads = 0;
    std::uint32_t head_dim = 0;
    std::uint32_t ffn_dim = 0;
    std::uint32_t context_length = 0;
    std::uint32_t model_type = k_model_type_llama;
    float rope_theta = 10000.0f;
    float rms_eps = 1e-5f;
    bool tied_output = false;

    std::uint32_t dim() const { return n_heads * head_dim; }
    std::uint32_t kv_dim() const { return n_kv_heads * head_dim; }
    std::uint32_t flags() const { return tied_output ? k_flag_tied_output : 0; }
};

// The raw header as stored (after validation it agrees with ModelConfig).
struct Header {
    std::uint32_t version = 0;
    std::uint32_t header_length = 0;
    std::uint32_t flags = 0;
    ModelConfig config;
    std::uint64_t tokenizer_offset = 0;
    std::uint64_t tokenizer_length = 0;
    std::uint64_t directory_offset = 0;
    std::uint32_t tensor_count = 0;
    std::uint64_t tensor_data_offset = 0;
    std::uint64_t checksum = 0;
};

// One 64-byte directory entry. Layout:
//   0 name_hash u64 | 8 dtype u32 | 12 rank u32 | 16 dims 4 x u32 (dims[0] innermost)
//   32 data_offset u64 | 40 data_length u64 | 48 scale_offset u64
//   56 block_size u32 | 60 reserved u32
struct TensorEntry {
    std::uint64_t name_hash = 0;
    std::uint32_t dtype = 0;
    std::uint32_t rank = 0;
    std::array<std::uint32_t, 4> dims{};
    std::uint64_t data_offset = 0;
    std::uint64_t data_length = 0;
    std::uint64_t scale_offset = 0;
    std::uint32_t block_size = 0;
    std::uint32_t reserved = 0;

    std::uint64_t element_count() const;  // product of the used dims (no overflow after validation)
};

}  // namespace slm::format
