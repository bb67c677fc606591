// Builds small, valid .slm models in memory for tests and fuzz seeds.
//
// Weights are deterministic pseudo-random values (splitmix64), so the same
// TinySpec always gives the same bytes. Quantized tensors get plausible but
// fake payloads (random int8 values / nibbles and random positive scales):
// they are valid containers, not the output of a real quantizer.
//
// The tokenizer is byte-level with 258 tokens: ids 0..255 are the single
// bytes (type byte), 256 is "<s>" (BOS) and 257 is "</s>" (EOS), both control.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "format/layout.hpp"
#include "format/tensor_names.hpp"
#include "format/tokenizer_section.hpp"
#include "format/writer.hpp"

namespace slm::test {

inline constexpr std::uint32_t k_byte_vocab = 258;
inline constexpr std::uint32_t k_byte_bos = 256;
inline constexpr std::uint32_t k_byte_eos = 257;

// splitmix64: tiny, fast and identical on every platform.
class SplitMix64 {
public:
    explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    // Uniform in [lo, hi) with 24 bits of resolution.
    float uniform(float lo, float hi) {
        const float u = static_cast<float>(next() >> 40) / 16777216.0f;
        return lo + (hi - lo) * u;
    }

private:
    std::uint64_t state_;
};

// The byte-level tokenizer described at the top of this file.
inline format::TokenizerSection byte_tokenizer(std::uint32_t flags = 0) {
    format::TokenizerSection t;
    t.kind = format::TokenizerKind::byte_level;
    t.bos_id = k_byte_bos;
    t.eos_id = k_byte_eos;
    t.unk_id = format::k_no_token;
    t.flags = flags;
    t.tokens.reserve(k_byte_vocab);
    for (int b = 0; b < 256; ++b)
        t.tokens.push_back({std::string(1, static_cast<char>(b)), 0.0f, format::TokenType::byte});
    t.tokens.push_back({"<s>", 0.0f, format::TokenType::control});
    t.tokens.push_back({"</s>", 0.0f, format::TokenType::control});
    return t;
}

// An 8-token SPM1 vocabulary (vocab_size 8): models that use it are a few KB,
// so exhaustive mutation loops and fuzz seeds stay cheap.
inline constexpr std::uint32_t k_small_spm_vocab = 8;
inline format::TokenizerSection small_spm_tokenizer() {
    using format::TokenType;
    format::TokenizerSection t;
    t.kind = format::TokenizerKind::sentencepiece;
    t.unk_id = 0;
    t.bos_id = 1;
    t.eos_id = 2;
    t.flags = format::k_tokflag_add_bos | format::k_tokflag_add_space_prefix;
    t.tokens = {{"<unk>", 0.0f, TokenType::unknown}, {"<s>", 0.0f, TokenType::control},
                {"</s>", 0.0f, TokenType::control},  {"<0x0A>", 0.0f, TokenType::byte},
                {"\xE2\x96\x81" "a", -1.0f, TokenType::normal}, {"b", -2.0f, TokenType::normal},
                {"ab", -3.0f, TokenType::user_defined}, {"", 0.0f, TokenType::unused}};
    return t;
}

// vocab 258, 1 layer, 2 heads (no GQA), head_dim 4 (dim 8), ffn 16, context 16, tied.
inline format::ModelConfig tiny_config() {
    format::ModelConfig c;
    c.vocab_size = k_byte_vocab;
    c.n_layers = 1;
    c.n_heads = 2;
    c.n_kv_heads = 2;
    c.head_dim = 4;
    c.ffn_dim = 16;
    c.context_length = 16;
    c.tied_output = true;
    return c;
}

struct TinySpec {
    format::ModelConfig config = tiny_config();
    format::DType matrix_dtype = format::DType::f32;  // every rank-2 tensor
    format::DType vector_dtype = format::DType::f32;  // the norm weights
    std::map<std::string, format::DType> dtype_overrides;  // by canonical name
    // Elements per scale for quantized tensors; 0 picks 32 when it divides the
    // row length and the whole row otherwise.
    std::uint32_t block_size = 0;
    std::uint64_t seed = 1;
    std::uint32_t tokenizer_flags = 0;
};

// The writer input plus the buffers its spans point into. Move-only: moving
// keeps the inner buffers (and so the spans) where they are.
struct TinyModel {
    format::SlmInput input;
    std::vector<std::vector<std::uint8_t>> storage;

    TinyModel() = default;
    TinyModel(TinyModel&&) = default;
    TinyModel& operator=(TinyModel&&) = default;
    TinyModel(const TinyModel&) = delete;
    TinyModel& operator=(const TinyModel&) = delete;
};

inline std::uint32_t tiny_block_size(const TinySpec& spec, std::uint32_t row_length) {
    if (spec.block_size != 0) return spec.block_size;
    return row_length % 32 == 0 ? 32 : row_length;
}

inline TinyModel make_tiny_input(const TinySpec& spec = {}) {
    TinyModel m;
    m.input.config = spec.config;
    m.input.tokenizer = byte_tokenizer(spec.tokenizer_flags);
    SplitMix64 rng(spec.seed);
    const auto specs = format::required_tensors(spec.config);
    m.storage.reserve(2 * specs.size());
    for (const auto& s : specs) {
        format::TensorInput t;
        t.name = s.name;
        t.dtype = s.rank == 1 ? spec.vector_dtype : spec.matrix_dtype;
        if (auto it = spec.dtype_overrides.find(s.name); it != spec.dtype_overrides.end()) t.dtype = it->second;
        std::uint64_t n = 1;
        for (std::uint32_t i = 0; i < s.rank; ++i) {
            t.dims.push_back(s.dims[i]);
            n *= s.dims[i];
        }
        std::vector<std::uint8_t> data(format::dtype_payload_bytes(t.dtype, n));
        std::vector<std::uint8_t> scales;
        if (t.dtype == format::DType::f32) {
            for (std::uint64_t i = 0; i < n; ++i) {
                const float v = s.rank == 1 ? rng.uniform(0.5f, 1.5f) : rng.uniform(-0.5f, 0.5f);
                std::memcpy(data.data() + 4 * i, &v, 4);
            }
        } else {
            t.block_size = tiny_block_size(spec, s.dims[0]);
            for (auto& b : data) {
                // q8_0 keeps to ggml's range [-127, 127]; q4_0 bytes are any two nibbles.
                b = t.dtype == format::DType::q8_0
                        ? static_cast<std::uint8_t>(static_cast<std::int8_t>(rng.next() % 255 - 127))
                        : static_cast<std::uint8_t>(rng.next());
            }
            const std::uint64_t blocks = t.block_size == 0 ? 0 : n / t.block_size;
            scales.resize(blocks * 4);
            for (std::uint64_t i = 0; i < blocks; ++i) {
                const float v = rng.uniform(0.001f, 0.02f);
                std::memcpy(scales.data() + 4 * i, &v, 4);
            }
        }
        m.storage.push_back(std::move(data));
        t.data = m.storage.back();
        if (!scales.empty()) {
            m.storage.push_back(std::move(scales));
            t.scales = m.storage.back();
        }
        m.input.tensors.push_back(std::move(t));
    }
    return m;
}

// A complete valid file. Throws std::runtime_error if the writer refuses the
// spec (a test bug), so doctest reports it with the writer's message.
inline std::vector<std::uint8_t> make_tiny_slm(const TinySpec& spec = {}) {
    const TinyModel m = make_tiny_input(spec);
    auto out = format::write_slm(m.input);
    if (!out) throw std::runtime_error("make_tiny_slm: " + out.error().id + ": " + out.error().message);
    return std::move(*out);
}

}  // namespace slm::test
