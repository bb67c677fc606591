// llama2.c checkpoints (Karpathy's run.c format) and their tokenizer.bin.
//
// Checkpoint, legacy layout (all little-endian):
//   header  := dim i32, hidden_dim i32, n_layers i32, n_heads i32,
//              n_kv_heads i32, vocab_size i32, seq_len i32
//              (vocab_size < 0: the classifier is a separate matrix)
//   weights := f32 arrays, row-major (out, in):
//              token_embedding (vocab, dim), rms_att (L, dim),
//              wq (L, dim, dim), wk (L, kv_dim, dim), wv (L, kv_dim, dim),
//              wo (L, dim, dim), rms_ffn (L, dim), w1 (L, hidden, dim),
//              w2 (L, dim, hidden), w3 (L, hidden, dim), rms_final (dim),
//              freq_cis_real (seq_len, head_size/2), freq_cis_imag (same),
//              [wcls (vocab, dim) when unshared]
// Version 1 ("ak42" magic, version 1, the same 7 fields, shared flag u8,
// header padded to 256 bytes) stores the norms first, then the embedding,
// then the matrices by kind, then wcls when unshared. The file size must
// match the header exactly. RoPE theta is 10000 and the RMSNorm epsilon
// 1e-5, as run.c hard-codes them.
//
// tokenizer.bin := max_token_length i32, then vocab_size x (score f32,
// length i32, bytes[length]). Pieces carry ' ' where sentencepiece had
// U+2581 and BOS/EOS are spelled "\n<s>\n" / "\n</s>\n"; the importer turns
// it back into a sentencepiece-style SPM1 vocabulary (UNK 0, BOS 1, EOS 2,
// "<0xXX>" byte tokens), as llama.cpp's converter does.
#pragma once

#include <string>

#include "core/result.hpp"
#include "interop/gguf_llama.hpp"

namespace slm::interop {

Result<ImportedModel> import_llama2c(const std::string& checkpoint_path, const std::string& tokenizer_path);

Result<format::TokenizerSection> read_llama2c_tokenizer(const std::string& path, std::uint32_t vocab_size);

}  // namespace slm::interop
