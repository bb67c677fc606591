// In-toto v1 statements with SLSA v1 provenance for every artifact slmctl
// makes (pack, quantize, import, adapter-apply). The statement is derived
// from the skill manifest alone (inputs by digest, operator, parameters,
// tool version), so it is as deterministic as the manifest: the same inputs
// give the same bytes. It is written beside the manifest as
// "<name>.intoto.json" and stored as a layer of the version in the registry.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace slm::package {

inline constexpr const char* k_intoto_statement_type = "https://in-toto.io/Statement/v1";
inline constexpr const char* k_slsa_provenance_type = "https://slsa.dev/provenance/v1";

// `artifact_name` is the subject's name (usually the .slm file name).
nlohmann::json provenance_statement(const nlohmann::json& manifest, const std::string& artifact_name);

// Canonical JSON bytes of the statement.
std::string provenance_bytes(const nlohmann::json& statement);

// "x.slm" -> "x.intoto.json"
std::string default_provenance_path(const std::string& artifact_path);

}  // namespace slm::package
