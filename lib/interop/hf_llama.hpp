// Hugging Face llama checkpoints: a directory with config.json
// (LlamaForCausalLM), model.safetensors and tokenizer.json.
//
// Hugging Face stores q_proj/k_proj rows in "rotate half" order (per head:
// the first halves of all rotary pairs, then the second halves); this
// runtime, GGUF and Meta's checkpoints rotate adjacent pairs. The importer
// undoes the permutation Hugging Face's conversion script applied: within
// each head, row h*hd + 2*i + j comes from row h*hd + j*hd/2 + i.
// docs/interop.md lists the config and tokenizer.json fields read.
#pragma once

#include <string>

#include "core/result.hpp"
#include "interop/gguf_llama.hpp"

namespace slm::interop {

Result<ImportedModel> import_hf_llama(const std::string& directory);

}  // namespace slm::interop
