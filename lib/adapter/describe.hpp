// A structured description of a validated adapter (what `slmctl inspect`
// shows for ADP1 / ASP1 / ALR1 files).
#pragma once

#include <nlohmann/json.hpp>

#include "adapter/format.hpp"

namespace slm::adapter {

// Kind, identity fields, digest, checksum and one entry per payload (name
// when the hash is a canonical name of a model with the identity's flags and
// tensor count, shape, encoding, nnz or factor rank, scale, bytes).
nlohmann::json describe_adapter(const AdapterView& adapter);

}  // namespace slm::adapter
