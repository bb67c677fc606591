// `verify`: structure, checksum, digest vs manifest and release policy, all
// decided before any tensor value is read.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/progress.hpp"

namespace slm::package {

enum class CheckOutcome { pass, fail, skipped };

struct VerifyCheck {
    std::string name;  // e.g. "container.structure", "manifest.artifact_digest"
    CheckOutcome outcome = CheckOutcome::skipped;
    std::string detail;
    ErrorCode failure_code = ErrorCode::check_failed;  // exit code if this check failed
    std::string error_id;                              // library error id, when one caused the failure
};

struct VerifyOptions {
    std::string artifact_path;
    std::optional<std::string> manifest_path;  // default: sibling <name>.manifest.json if present
    std::optional<std::string> policy_path;
    ProgressFn progress;  // hashing progress for large files (optional)
};

struct VerifyReport {
    std::string artifact_path;
    std::optional<std::string> manifest_path;
    std::string artifact_digest;  // empty when the file could not be read
    std::vector<VerifyCheck> checks;

    bool passed() const;
    // Exit code of the first failed check (0 when everything passed).
    int exit_code() const;
    nlohmann::json to_json() const;
};

VerifyReport verify_artifact(const VerifyOptions& options);

const char* outcome_name(CheckOutcome outcome);

}  // namespace slm::package
