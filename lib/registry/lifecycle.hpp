// Lifecycle moves: promote (gate, then stage and alias), rollback (alias back
// along its history), retire and quarantine. Every move is one or more journal
// records written under the registry lock; the gate runs before the lock is
// taken and the version is re-checked under it.
//
// Rules (docs/registry.md):
//   - stages only move forward: candidate < shadow < canary < champion < retired;
//     promoting to the stage a version already has just moves its alias again;
//   - quarantined is final and can be entered from any stage;
//   - promote --to shadow|canary|champion moves the alias of that name;
//     --alias NAME moves a custom alias (same gate, no stage change);
//   - a retired version may not be the target of any alias; rollback refuses
//     to return an alias to a retired or quarantined version.
#pragma once

#include <optional>
#include <string>

#include "package/policy.hpp"
#include "registry/promotion_gate.hpp"
#include "registry/registry.hpp"

namespace slm::registry {

struct PromoteRequest {
    std::string name, version;
    std::optional<Stage> stage;  // shadow|canary|champion|retired|quarantined
    std::string alias;           // custom alias, may be empty
};

struct AliasMove {
    std::string alias, from, to;  // from empty when the alias is new
};

struct PromoteResult {
    GateReport gate;  // empty for retire/quarantine
    std::optional<std::pair<Stage, Stage>> stage_change;
    std::vector<AliasMove> moves;
};

// Errors: check_failed (gate refused: the result is in the error message and
// `report`), conflict (lock), not_found, usage (illegal stage move).
Result<PromoteResult> promote(Registry& registry, const PromoteRequest& request, const package::Policy& policy,
                              const Actor& actor, GateReport* report = nullptr);

struct RollbackRequest {
    std::string name;
    std::string alias = "champion";
    std::string to_version;  // empty: use steps
    std::uint64_t steps = 1;
};

// Errors: not_found (alias), check_failed (no history, target retired or
// quarantined), conflict.
Result<AliasMove> rollback(Registry& registry, const RollbackRequest& request, const Actor& actor);

}  // namespace slm::registry
