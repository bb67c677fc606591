// Putting content into the registry: a new skill version (the .slm, its
// skill manifest, its provenance) and documents attached to a version (eval
// sidecars, signatures). Blobs are written before the journal record that
// references them, so a crash leaves at worst unreferenced blobs (gc).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "registry/registry.hpp"

namespace slm::registry {

struct AddRequest {
    Bytes slm;                              // the artifact bytes
    nlohmann::json manifest;                // its skill manifest (validated by the caller)
    std::optional<std::string> provenance;  // in-toto statement, if any
};

struct AddResult {
    std::string name;
    VersionEntry entry;
    bool already_present = false;  // the same manifest was added before
};

// Errors: invalid_input (manifest does not describe these bytes, bad name or
// version), conflict (NAME:VERSION exists with another manifest).
Result<AddResult> add_version(Registry& registry, const AddRequest& request, const Actor& actor);

struct AttachRequest {
    std::string name, version;
    std::string kind;        // eval | signature
    std::string media_type;  // of the document
    Bytes document;
    nlohmann::json summary = nlohmann::json::object();  // copied into the journal
};

struct AttachResult {
    Referrer referrer;
    bool already_present = false;
};

Result<AttachResult> attach_referrer(Registry& registry, const AttachRequest& request, const Actor& actor);

}  // namespace slm::registry
