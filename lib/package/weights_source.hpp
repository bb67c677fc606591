// Reads f32 weights for every tensor a config requires from a spec's weights
// source (safetensors file or directory of raw f32 files), checking names,
// shapes and finiteness.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "format/layout.hpp"
#include "package/manifest.hpp"

namespace slm::package {

struct LoadedWeights {
    std::map<std::string, std::vector<float>> tensors;  // canonical name -> values
    ManifestParent source;                               // digest + format of the source
};

Result<LoadedWeights> load_weights(const std::string& format, const std::string& path,
                                   const format::ModelConfig& config);

}  // namespace slm::package
