// Writing a new artifact and its manifest, shared by pack and import.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "package/pack.hpp"

namespace slmctl {

// Writes the artifact first, then the manifest that names it: a crash in
// between leaves an artifact without a manifest, never a manifest without
// its artifact. `manifest_path` empty means "<output>.manifest.json".
// Prints the summary (JSON with `extra` merged in, or notes led by `verb`)
// and returns the exit code.
int write_artifact(const slm::package::PackedArtifact& artifact, const std::string& output,
                   const std::string& manifest_path, bool json, const std::string& verb,
                   const nlohmann::json& extra = nlohmann::json::object());

}  // namespace slmctl
