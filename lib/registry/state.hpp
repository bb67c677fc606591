// The registry's current state: the journal replayed. Kept on disk as
// ROOT/slmctl/state.json together with the journal position it reflects,
// so a reader replays only the records appended after it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "registry/blob_store.hpp"
#include "registry/journal.hpp"

namespace slm::registry {

// Lifecycle of a version. The state records how far a version has come;
// which version is served is said by aliases (docs/registry.md).
enum class Stage { candidate, shadow, canary, champion, retired, quarantined };

const char* stage_name(Stage s);
std::optional<Stage> stage_from_name(const std::string& name);
// The stages that carry an alias of the same name.
bool stage_has_alias(Stage s);

struct Referrer {
    std::string kind;        // eval | signature
    Descriptor manifest;     // the OCI manifest whose subject is the version
    Descriptor blob;         // the sidecar or signature document
    nlohmann::json summary;  // e.g. {"decision":"pass", "generated_at_utc":..., "suite":...}
    std::uint64_t seq = 0;
};

struct VersionEntry {
    std::string version;
    Descriptor manifest;  // OCI image manifest of the version
    Descriptor config;    // the skill manifest (its digest is the manifest id)
    Descriptor artifact;  // the .slm
    std::optional<Descriptor> provenance;
    Stage stage = Stage::candidate;
    std::string added_at;
    std::uint64_t added_seq = 0;
    std::vector<Referrer> referrers;
};

// How many earlier targets an alias remembers for rollback; older moves stay
// in the journal (slmctl log) but cannot be rolled back to in one step.
inline constexpr std::size_t k_alias_history = 256;

struct AliasEntry {
    std::string target;                // a version
    std::vector<std::string> history;  // earlier targets, most recent last (rollback pops), <= k_alias_history
    std::uint64_t seq = 0;             // record that last moved it
};

struct SkillEntry {
    std::map<std::string, VersionEntry> versions;
    std::map<std::string, AliasEntry> aliases;
};

struct RegistryState {
    JournalPosition journal;
    std::map<std::string, SkillEntry> skills;
};

// Applies one committed journal record. A record that does not fit the
// state (unknown version, stale "from", ...) is journal corruption:
// ErrorCode::invalid_input, id registry.journal_inconsistent.
Status apply_record(RegistryState& state, const JournalRecord& record);

nlohmann::json state_to_json(const RegistryState& state);
Result<RegistryState> state_from_json(const nlohmann::json& j, const std::string& where);

}  // namespace slm::registry

namespace slm::registry {

// Every blob the state refers to (manifests, configs, layers, referrers and
// the empty config referrers share), each once.
std::vector<Descriptor> referenced_blobs(const RegistryState& state);

}  // namespace slm::registry
