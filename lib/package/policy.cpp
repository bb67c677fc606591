#include "package/policy.hpp"

#include <algorithm>

#include "package/schemas.hpp"
#include "package/skill_spec.hpp"
#include "package/yaml_json.hpp"

namespace slm::package {
namespace {

std::optional<std::vector<std::string>> list(const nlohmann::json& j, const char* key) {
    if (!j.contains(key)) return std::nullopt;
    return j[key].get<std::vector<std::string>>();
}

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return "[" + s + "]";
}

PolicyFinding membership(const char* check, const char* field,
                         const std::optional<std::vector<std::string>>& allowed, const std::string& actual) {
    if (!allowed) return {check, true, std::string(field) + " " + actual + " (no rule)"};
    bool ok = std::find(allowed->begin(), allowed->end(), actual) != allowed->end();
    return {check, ok, std::string(field) + " " + actual + (ok ? " is in " : " is not in ") + join(*allowed)};
}

}  // namespace

Result<Policy> load_policy(const std::string& path) {
    auto doc = load_yaml_file(path);
    if (!doc) return doc.take_error();
    SLM_TRY(validate_against_schema(doc->value, "policy.schema.json",
                                    [&](const std::string& p) { return doc->locate(p); }));
    const auto& j = doc->value;
    Policy p;
    p.allowed_input_contracts = list(j, "allowed_input_contracts");
    p.allowed_output_contracts = list(j, "allowed_output_contracts");
    p.supported_backends = list(j, "supported_backends");
    p.allowed_quantizations = list(j, "allowed_quantizations");
    p.allowed_licenses = list(j, "allowed_licenses");
    if (j.contains("memory_ceiling_bytes")) p.memory_ceiling_bytes = j["memory_ceiling_bytes"].get<std::uint64_t>();
    if (j.contains("max_safety_tier")) p.max_safety_tier = j["max_safety_tier"].get<std::string>();
    p.require_evaluation_card = j.value("require_evaluation_card", false);
    p.max_eval_age_hours = j.value("max_eval_age_hours", 168.0);
    if (auto suites = list(j, "required_eval_suites")) p.required_eval_suites = *suites;
    p.require_signature = j.value("require_signature", false);
    const auto slash = path.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
    for (const auto& key : list(j, "trusted_keys").value_or(std::vector<std::string>{}))
        p.trusted_keys.push_back(!key.empty() && key[0] == '/' ? key : dir + key);
    return p;
}

std::vector<PolicyFinding> evaluate_policy(const Policy& policy, const nlohmann::json& m) {
    std::vector<PolicyFinding> out;
    out.push_back(membership("policy.input_contract", "input_contract", policy.allowed_input_contracts,
                             m["input_contract"]));
    out.push_back(membership("policy.output_contract", "output_contract", policy.allowed_output_contracts,
                             m["output_contract"]));
    out.push_back(membership("policy.backend", "backend", policy.supported_backends, m["runtime"]["backend"]));
    out.push_back(membership("policy.quantization", "quantization", policy.allowed_quantizations,
                             m["runtime"]["quantization"]));
    out.push_back(membership("policy.license", "license", policy.allowed_licenses, m["risk_profile"]["license"]));

    const std::uint64_t peak = m["resource_profile"]["peak_ram_bytes"];
    if (policy.memory_ceiling_bytes) {
        bool ok = peak <= *policy.memory_ceiling_bytes;
        out.push_back({"policy.memory_ceiling", ok,
                       "peak_ram_bytes " + std::to_string(peak) + (ok ? " <= " : " > ") +
                           "memory_ceiling_bytes " + std::to_string(*policy.memory_ceiling_bytes)});
    } else {
        out.push_back({"policy.memory_ceiling", true, "peak_ram_bytes " + std::to_string(peak) + " (no rule)"});
    }

    const std::string tier = m["risk_profile"]["safety_tier"];
    if (policy.max_safety_tier) {
        bool ok = safety_tier_rank(tier) <= safety_tier_rank(*policy.max_safety_tier);
        out.push_back({"policy.safety_tier", ok,
                       "safety_tier " + tier + (ok ? " is within " : " exceeds ") + "max_safety_tier " +
                           *policy.max_safety_tier});
    } else {
        out.push_back({"policy.safety_tier", true, "safety_tier " + tier + " (no rule)"});
    }

    const bool has_card = m["evaluation_card"].is_string();
    if (policy.require_evaluation_card)
        out.push_back({"policy.evaluation_card", has_card,
                       has_card ? "evaluation_card " + m["evaluation_card"].get<std::string>()
                                : "an evaluation_card is required, the manifest has none"});
    else
        out.push_back({"policy.evaluation_card", true, has_card ? "present" : "absent (not required)"});
    return out;
}

}  // namespace slm::package
