// Writing a new artifact (the .slm, its manifest, its in-toto provenance) and
// optionally adding it to the registry; shared by pack, import and quantize.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/bytes.hpp"
#include "core/io.hpp"
#include "package/pack.hpp"
#include "registry_args.hpp"

namespace slmctl {

struct AddArgs {
    bool add = false;
    RegistryArgs registry;
};

// --add plus the registry options.
void add_add_options(CLI::App* cmd, AddArgs& args);

struct WrittenArtifact {
    std::string artifact, manifest, provenance;  // paths
    std::string provenance_bytes;
};

// Writes the artifact first, then the manifest that names it, then the
// provenance: a crash in between leaves an artifact without a manifest, never
// a manifest without its artifact. `manifest_path` empty means
// "<output>.manifest.json".
slm::Result<WrittenArtifact> write_artifact_files(slm::Bytes slm, const nlohmann::json& manifest,
                                                  const std::string& output, const std::string& manifest_path);

// The same for an artifact already staged (written and fsynced under a
// temporary name) while the manifest was being made: publishes it, then the
// manifest and the provenance.
slm::Result<WrittenArtifact> commit_artifact_files(slm::StagedFile artifact, const nlohmann::json& manifest,
                                                   const std::string& manifest_path);

// With --add: stores the written artifact in the registry and records the
// result in `summary` ("registry": {...}). Returns an exit code.
int add_to_registry(const AddArgs& args, slm::Bytes slm, const nlohmann::json& manifest,
                    const WrittenArtifact& written, nlohmann::json& summary);

// The human line for summary["registry"], if there is one.
void note_registry(const nlohmann::json& summary);

// write_artifact_files + add_to_registry + the summary (JSON with `extra`
// merged in, or notes led by `verb`). Returns the exit code.
int write_artifact(const slm::package::PackedArtifact& artifact, const std::string& output,
                   const std::string& manifest_path, bool json, const std::string& verb, const AddArgs& add,
                   const nlohmann::json& extra = nlohmann::json::object());

}  // namespace slmctl
