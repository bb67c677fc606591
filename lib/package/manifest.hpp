// Skill manifests: canonical JSON (sorted keys, no whitespace) whose id is the
// SHA-256 of exactly those bytes. A manifest is never edited; any change is a
// new manifest. Schema: schemas/skill-manifest.schema.json.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "format/reader.hpp"
#include "package/skill_spec.hpp"

namespace slm::package {

inline constexpr const char* k_manifest_schema_id = "slmctl.skill-manifest/v1";
inline constexpr const char* k_model_media_type = "application/vnd.slmctl.model.v1+slm";

struct ManifestParent {
    std::string digest;  // sha256:<hex>
    std::string role;    // weights-source, base, adapter, input-model, import-source
    std::string format;  // e.g. safetensors, slm, gguf (optional)
};

struct Provenance {
    std::string operator_name;  // pack, quantize, adapter-apply, import, merge
    std::vector<ManifestParent> parents;
    nlohmann::json parameters = nlohmann::json::object();
};

// Builds the manifest of an artifact from the skill facts, its provenance and
// the validated container view (digest, size, model and tokenizer facts).
nlohmann::json make_manifest(const SkillInfo& info, const Provenance& provenance,
                             const format::SlmView& artifact);
// The same with the artifact's "sha256:<hex>" already computed by the caller.
nlohmann::json make_manifest(const SkillInfo& info, const Provenance& provenance, const format::SlmView& artifact,
                             const std::string& artifact_digest);

// The manifest's "model" object: architecture, hyper-parameters, parameter count.
nlohmann::json model_facts(const format::SlmView& view);

// The exact bytes that are stored and hashed: canonical JSON with no trailing
// newline, so `sha256sum` of a manifest file equals its id.
std::string manifest_bytes(const nlohmann::json& manifest);
std::string manifest_id(const nlohmann::json& manifest);

// Reads the skill facts back (used by derived artifacts such as quantize).
SkillInfo skill_info_from_manifest(const nlohmann::json& manifest);

// "f32", "q8_0", "q4_0" or "mixed", judged over the 2-D weight matrices.
std::string quantization_label(const format::SlmView& view);

// Estimated peak resident memory for running the model with a full context:
// mapped file + KV cache + activation scratch + a fixed process allowance.
std::uint64_t estimate_peak_ram(const format::SlmView& view);

// Loads and schema-validates a manifest file; also checks that the bytes are
// canonical (an edited or re-serialized manifest would change its id).
Result<nlohmann::json> load_manifest(const std::string& path);

// Sibling manifest path for an artifact: "x.slm" -> "x.manifest.json".
std::string default_manifest_path(const std::string& artifact_path);

}  // namespace slm::package
