// A structured description of a validated .slm (what `slmctl inspect` shows).
#pragma once

#include <nlohmann/json.hpp>

#include "format/reader.hpp"

namespace slm::package {

// Header fields, parameter count, tensors (name, dtype, shape, bytes,
// block size), tokenizer summary and digests.
nlohmann::json describe_artifact(const format::SlmView& view);

}  // namespace slm::package
