// `import`: a GGUF file, a llama2.c checkpoint or a Hugging Face llama
// directory -> .slm bytes + a manifest (operator "import", the source's
// SHA-256 as the "import-source" parent, the source format recorded).
#pragma once

#include <string>

#include "core/result.hpp"
#include "package/pack.hpp"

namespace slm::package {

struct ImportOptions {
    std::string format = "auto";  // auto | gguf | llama2c | hf
    std::string name;             // skill name; default: the source's name if it is one, else derived
    std::string version;          // default: the source's version if it is semver, else 0.1.0
    std::string tokenizer_path;   // llama2.c: tokenizer.bin (default: next to the checkpoint)
};

// "gguf", "llama2c" or "hf" for a path (a directory is hf; a file starting
// with "GGUF" is gguf; any other file is taken as llama2.c).
Result<std::string> detect_import_format(const std::string& path);

Result<PackedArtifact> import_model(const std::string& path, const ImportOptions& options);

}  // namespace slm::package
