// `pack`: skill spec + weights + tokenizer source -> .slm bytes + manifest.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "package/skill_spec.hpp"

namespace slm::package {

struct PackedArtifact {
    std::vector<std::uint8_t> slm;  // the container image
    nlohmann::json manifest;
    std::string artifact_digest;  // sha256:<hex> of slm
    std::string manifest_id;      // sha256:<hex> of the canonical manifest bytes
};

// Deterministic: the same spec and inputs give byte-identical outputs.
Result<PackedArtifact> pack_skill(const SkillSpec& spec);

}  // namespace slm::package
