// Release policy checked by `slmctl verify --policy` and `slmctl promote`
// (schemas/policy.schema.json).
// Every rule is optional; an absent rule allows everything.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace slm::package {

struct Policy {
    std::optional<std::vector<std::string>> allowed_input_contracts;
    std::optional<std::vector<std::string>> allowed_output_contracts;
    std::optional<std::vector<std::string>> supported_backends;
    std::optional<std::vector<std::string>> allowed_quantizations;
    std::optional<std::vector<std::string>> allowed_licenses;
    std::optional<std::uint64_t> memory_ceiling_bytes;
    std::optional<std::string> max_safety_tier;
    bool require_evaluation_card = false;

    // Promotion rules (slmctl promote).
    double max_eval_age_hours = 168;
    std::vector<std::string> required_eval_suites;
    bool require_signature = false;
    std::vector<std::string> trusted_keys;  // PEM files, resolved against the policy's folder
};

Result<Policy> load_policy(const std::string& path);

struct PolicyFinding {
    std::string check;   // e.g. "policy.input_contract"
    bool passed = false;
    std::string detail;  // what was required and what the manifest says
};

// Evaluates every rule of the policy against a manifest (no early exit).
std::vector<PolicyFinding> evaluate_policy(const Policy& policy, const nlohmann::json& manifest);

}  // namespace slm::package
