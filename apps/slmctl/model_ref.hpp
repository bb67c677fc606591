// MODEL arguments: a .slm path, or a registry reference (NAME:VERSION,
// NAME@ALIAS, NAME@sha256:...). A path that exists wins over a reference.
#pragma once

#include <optional>
#include <string>

#include "registry/resolve.hpp"
#include "registry_args.hpp"

namespace slmctl {

struct ModelInput {
    std::string path;           // the .slm (a blob path for references)
    std::string manifest_path;  // "" when there is none
    std::optional<slm::registry::ResolvedVersion> version;  // set for references
    std::string label;          // what to call it in messages
};

// For references the blob is checked against its digest (unless
// !verify_digest) and a quarantined version is refused (exit 4).
slm::Result<ModelInput> resolve_model(const std::string& arg, const RegistryArgs& registry, bool verify_digest = true);

}  // namespace slmctl
