// GGUF architecture "llama" <-> .slm v1.
//
// Names: token_embd <-> tok_embeddings, blk.{i}.attn_{norm,q,k,v,output} <->
// layers.{i}.attention_norm / attention.{wq,wk,wv,wo}, blk.{i}.ffn_{norm,gate,
// down,up} <-> layers.{i}.ffn_norm / feed_forward.{w1,w2,w3}, output_norm <->
// norm, output <-> output (absent when the output is tied to the embeddings).
// GGUF llama tensors already use the rotary pairing this runtime uses
// (adjacent pairs), so no row permutation happens in either direction.
//
// Import: F32 is copied, F16/BF16 are widened exactly, Q8_0/Q4_0 blocks are
// split into .slm values + f32 scales (ggml's f16 scale widened) without
// requantizing. Export writes F32 as F32 and q8_0/q4_0 as ggml blocks, which
// needs block size 32 and scales that are exact f16 values (true for anything
// `slmctl quantize` or an import produced). The tokenizer section travels in
// tokenizer.ggml.* plus two slmctl.* keys where GGUF has no spelling for it,
// so import(export(x)) reproduces x byte for byte. docs/interop.md has the details.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "format/reader.hpp"
#include "format/writer.hpp"
#include "interop/gguf.hpp"

namespace slm::interop {

// An importer's result: the writer input plus the buffers its spans point into.
struct ImportedModel {
    format::SlmInput input;
    std::vector<std::vector<std::uint8_t>> storage;
    std::string source_format;  // "gguf", "llama2c", "hf-safetensors"
    std::string model_name;     // general.name or similar, when the source has one
    std::string model_version;  // general.version, when the source has one
};

// The .slm name for a GGUF llama tensor name and back ("" when unknown).
std::string slm_name_from_gguf(std::string_view gguf_name);
std::string gguf_name_from_slm(std::string_view slm_name);

Result<ImportedModel> import_gguf_llama(const GgufFile& file);

struct GgufExportOptions {
    std::string model_name;     // general.name (optional)
    std::string model_version;  // general.version (optional)
};
Result<std::vector<std::uint8_t>> export_gguf_llama(const format::SlmView& view, const GgufExportOptions& options);

// Tokenizer section <-> tokenizer.ggml.* metadata (gguf_tokenizer.cpp).
Result<format::TokenizerSection> tokenizer_from_gguf(const GgufFile& file);
Status tokenizer_to_gguf(const format::TokenizerSection& section,
                         std::vector<std::pair<std::string, GgufValue>>& metadata);

}  // namespace slm::interop
