// `eval --add`: attach an eval sidecar to its version in the registry (found
// by the sidecar's model_digest), where promote looks for evidence.
#pragma once

#include <nlohmann/json.hpp>

#include "registry_args.hpp"

namespace slmctl {

// Returns an exit code; adds "registry" to `summary` on success.
int attach_sidecar(const RegistryArgs& registry, const nlohmann::json& sidecar, nlohmann::json& summary);

}  // namespace slmctl
