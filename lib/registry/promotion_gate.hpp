// What `promote` demands before an alias moves (docs/registry.md):
//   - the .slm blob still hashes to its digest (else the version is quarantined);
//   - for each eval suite, the newest sidecar attached to the version is about
//     this exact artifact digest, passed, and is within max_eval_age_hours;
//     at least one such suite exists, and every required_eval_suites entry has one;
//   - the policy's manifest checks pass (contracts, quantization, memory, ...);
//   - when require_signature is set, a signature by a trusted key is attached.
#pragma once

#include <string>
#include <vector>

#include "package/policy.hpp"
#include "registry/registry.hpp"

namespace slm::registry {

struct GateFinding {
    std::string check;  // e.g. "gate.eval", "policy.license"
    bool passed = false;
    std::string detail;
};

struct GateReport {
    std::vector<GateFinding> findings;
    bool artifact_corrupt = false;  // the version must be quarantined
    bool passed() const;
};

GateReport check_promotion(const Registry& registry, const std::string& name, const VersionEntry& version,
                           const package::Policy& policy, const std::string& now_utc);

// Seconds since the epoch of "YYYY-MM-DDTHH:MM:SSZ"; -1 if malformed.
long long parse_utc(const std::string& iso);

}  // namespace slm::registry
