// slmctl promote REF --to STAGE [--alias A]: move a version forward through
// the lifecycle, gated by its eval evidence, the policy and signatures.
#include <sys/stat.h>

#include <memory>

#include "commands.hpp"
#include "output.hpp"
#include "registry/lifecycle.hpp"
#include "registry/resolve.hpp"
#include "registry_args.hpp"

namespace slmctl {
namespace {

namespace reg = slm::registry;

struct PromoteArgs {
    std::string ref, to, alias, policy;
    RegistryArgs registry;
    bool json = false;
};

// --policy, else the registry's slmctl/policy.yaml, else the defaults.
slm::Result<slm::package::Policy> load_promotion_policy(const std::string& cli, const reg::Registry& registry,
                                                        std::string& source) {
    struct stat st {};
    source = !cli.empty() ? cli : ::stat(registry.layout().policy().c_str(), &st) == 0 ? registry.layout().policy() : "";
    if (source.empty()) return slm::package::Policy{};
    return slm::package::load_policy(source);
}

nlohmann::json gate_json(const reg::GateReport& gate) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& f : gate.findings) out.push_back({{"check", f.check}, {"passed", f.passed}, {"detail", f.detail}});
    return out;
}

int run_promote(const PromoteArgs& a) {
    std::optional<reg::Stage> stage;
    if (!a.to.empty()) {
        stage = reg::stage_from_name(a.to);
        if (!stage || *stage == reg::Stage::candidate)
            return report_error(slm::make_error(slm::ErrorCode::usage, "cli.bad_stage",
                                                "--to: expected shadow, canary, champion, retired or quarantined, found " + a.to));
    } else if (a.alias.empty()) {
        return report_error(slm::make_error(slm::ErrorCode::usage, "cli.missing_argument", "promote needs --to STAGE or --alias NAME"));
    }
    auto ref = reg::parse_reference(a.ref);
    if (!ref) return report_error(ref.error());
    auto registry = open_registry(a.registry, false);
    if (!registry) return report_error(registry.error());
    auto state = registry->read_state();
    if (!state) return report_error(state.error());
    auto version = reg::resolve(*state, *ref);
    if (!version) return report_error(version.error());
    std::string policy_source;
    auto policy = load_promotion_policy(a.policy, *registry, policy_source);
    if (!policy) return report_error(policy.error());

    reg::GateReport gate;
    auto result = reg::promote(*registry, {version->name, version->entry.version, stage, a.alias}, *policy,
                               reg::current_actor(a.registry.reason), &gate);
    const std::string target = version->name + ":" + version->entry.version;
    nlohmann::json out = {{"reference", target}, {"policy", policy_source.empty() ? "defaults" : policy_source},
                          {"gate", gate_json(gate)}, {"promoted", result.ok()}};
    if (result) {
        nlohmann::json moves = nlohmann::json::array();
        for (const auto& m : result->moves)
            moves.push_back({{"alias", m.alias}, {"from", m.from.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.from)}, {"to", m.to}});
        out["alias_moves"] = moves;
        if (result->stage_change)
            out["stage"] = {{"from", reg::stage_name(result->stage_change->first)}, {"to", reg::stage_name(result->stage_change->second)}};
    } else {
        out["error"] = result.error().message;
    }
    if (a.json) print_json(out);
    if (!a.json) {
        for (const auto& f : gate.findings) note("{}  {:<26} {}\n", f.passed ? "ok  " : "FAIL", f.check, f.detail);
    }
    if (!result) return report_error(result.error());
    if (!a.json) {
        if (result->stage_change)
            note("{}: stage {} -> {}\n", target, reg::stage_name(result->stage_change->first), reg::stage_name(result->stage_change->second));
        for (const auto& m : result->moves)
            note("{}@{}: {} -> {}\n", version->name, m.alias, m.from.empty() ? "(new)" : m.from, m.to);
        if (!result->stage_change && result->moves.empty()) note("{}: nothing to change\n", target);
    }
    return 0;
}

}  // namespace

void register_promote(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<PromoteArgs>();
    auto* cmd = app.add_subcommand("promote", "Move a version to shadow/canary/champion (gated by its eval evidence), retire or quarantine it");
    cmd->add_option("ref", a->ref, "NAME:VERSION (or NAME@ALIAS, NAME@sha256:...)")->required();
    cmd->add_option("--to", a->to, "shadow | canary | champion (moves the alias of that name) | retired | quarantined");
    cmd->add_option("--alias", a->alias, "Also (or only) move this custom alias ([A-Za-z0-9_-], 'latest' is reserved)");
    cmd->add_option("--policy", a->policy, "Release policy YAML (default: <registry>/slmctl/policy.yaml, else built-in defaults)");
    add_registry_options(cmd, a->registry, true);
    cmd->add_flag("--json", a->json, "Print the gate findings and moves as JSON on stdout");
    cmd->footer("The gate: a passing eval sidecar for this exact artifact, newer than max_eval_age_hours (default 168),\n"
                "for every suite evaluated; the policy's manifest checks; a trusted signature if require_signature.\n"
                "Exit codes: 0 promoted; 1 refused (reasons printed); 2 usage; 3 corrupt registry; 5 not found; 6 locked.");
    cmd->callback([a, &ctx] { ctx.exit_code = run_promote(*a); });
}

}  // namespace slmctl
