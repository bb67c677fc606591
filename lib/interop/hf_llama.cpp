#include "interop/hf_llama.hpp"

namespace slm::interop {

// Not implemented yet in this commit: the Hugging Face importer lands separately.
Result<ImportedModel> import_hf_llama(const std::string& directory) {
    return make_error(ErrorCode::incompatible, "hf.unsupported", directory + ": Hugging Face import is not available yet");
}

}  // namespace slm::interop
