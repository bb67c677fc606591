// `eval --add`: attach an eval sidecar to its version in the registry (found
// by the sidecar's model_digest), where promote looks for evidence.
#pragma once

#include <nlohmann/json.hpp>

#include "registry/resolve.hpp"
#include "registry_args.hpp"

namespace slmctl {

// `version` is the version the model was resolved to, if it came from the
// registry; otherwise the version is found by the sidecar's model_digest.
// Returns an exit code; adds "registry" to `summary` on success.
int attach_sidecar(const RegistryArgs& registry, const nlohmann::json& sidecar,
                   const std::optional<slm::registry::ResolvedVersion>& version, nlohmann::json& summary);

}  // namespace slmctl
