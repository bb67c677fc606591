// Turning a reference (NAME:VERSION, NAME@ALIAS, NAME@sha256:...) into a
// version of the current state, with "did you mean" help when it is unknown.
#pragma once

#include <string>

#include "core/result.hpp"
#include "registry/reference.hpp"
#include "registry/state.hpp"

namespace slm::registry {

struct ResolvedVersion {
    std::string name;
    VersionEntry entry;
    std::string alias;  // the alias the reference went through, if any
};

// NAME@latest is the most recently added version. A bare NAME is refused
// (usage): say which version. Errors: not_found with suggestions;
// usage for an ambiguous digest prefix.
Result<ResolvedVersion> resolve(const RegistryState& state, const Reference& ref);

// The version whose .slm has this digest (sha256:<hex>); not_found if none.
Result<ResolvedVersion> find_by_artifact(const RegistryState& state, const std::string& artifact_digest);

// The closest of `candidates` to `word` if it is a plausible typo, else "".
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace slm::registry
