#include "registry/lifecycle.hpp"

#include "registry/reference.hpp"

namespace slm::registry {

using nlohmann::json;

namespace {

Error refused(const std::string& why) { return make_error(ErrorCode::check_failed, "registry.refused", why); }

// Whether `from` may move to `to`; empty when allowed, else the reason.
std::string stage_move_problem(Stage from, Stage to) {
    if (from == Stage::quarantined) return "it is quarantined (final); release a new version instead";
    if (to == Stage::quarantined) return "";
    if (from == Stage::retired) return "it is retired";
    if (static_cast<int>(to) < static_cast<int>(from))
        return std::string("stages only move forward (") + stage_name(from) + " -> " + stage_name(to) +
               "); use `slmctl rollback` to move an alias back";
    return "";
}

const VersionEntry* find(const RegistryState& state, const std::string& name, const std::string& version) {
    auto s = state.skills.find(name);
    if (s == state.skills.end()) return nullptr;
    auto v = s->second.versions.find(version);
    return v == s->second.versions.end() ? nullptr : &v->second;
}

std::vector<std::string> aliases_on(const SkillEntry& skill, const std::string& version) {
    std::vector<std::string> out;
    for (const auto& [alias, a] : skill.aliases)
        if (a.target == version) out.push_back(alias);
    return out;
}

Status move_alias(Transaction& txn, const std::string& name, const std::string& alias, const std::string& to,
                  PromoteResult& result) {
    const SkillEntry& skill = txn.state().skills.at(name);
    auto it = skill.aliases.find(alias);
    const std::string from = it == skill.aliases.end() ? "" : it->second.target;
    if (from == to) return {};
    SLM_TRY(txn.append({{"event", "alias"}, {"op", "promote"}, {"name", name}, {"alias", alias},
                        {"from", from.empty() ? json(nullptr) : json(from)}, {"to", to}}));
    result.moves.push_back({alias, from, to});
    return {};
}

}  // namespace

Result<PromoteResult> promote(Registry& registry, const PromoteRequest& req, const package::Policy& policy,
                              const Actor& actor, GateReport* report_out) {
    if (!req.alias.empty()) SLM_TRY(check_alias_name(req.alias));
    auto state = registry.read_state();
    if (!state) return state.take_error();
    const VersionEntry* v = find(*state, req.name, req.version);
    if (v == nullptr)
        return make_error(ErrorCode::not_found, "registry.not_found", "no version " + req.name + ":" + req.version);
    if (req.stage) {
        if (auto problem = stage_move_problem(v->stage, *req.stage); !problem.empty())
            return make_error(ErrorCode::usage, "registry.bad_stage_move",
                              "cannot move " + req.name + ":" + req.version + " to " + stage_name(*req.stage) + ": " +
                                  problem);
    } else if (v->stage == Stage::quarantined || v->stage == Stage::retired) {
        return refused(req.name + ":" + req.version + " is " + stage_name(v->stage) + "; an alias cannot point at it");
    }

    PromoteResult result;
    const bool needs_gate = !req.stage || stage_has_alias(*req.stage);
    if (needs_gate) {
        result.gate = check_promotion(registry, req.name, *v, policy, clock_now_utc());
        if (report_out != nullptr) *report_out = result.gate;
        if (result.gate.artifact_corrupt) {
            // A version whose bytes no longer match its digest is quarantined.
            (void)registry.write(Actor{actor.who, "artifact failed verification during promote"}, [&](Transaction& txn) {
                const VersionEntry* cur = find(txn.state(), req.name, req.version);
                if (cur == nullptr || cur->stage == Stage::quarantined) return Status{};
                return txn.append({{"event", "state"}, {"name", req.name}, {"version", req.version},
                                   {"from", stage_name(cur->stage)}, {"to", "quarantined"}});
            });
            return refused(req.name + ":" + req.version + " failed verification and is now quarantined: " +
                           result.gate.findings.back().detail);
        }
        if (!result.gate.passed()) {
            std::string why;
            for (const auto& f : result.gate.findings)
                if (!f.passed) why += "\n  " + f.check + ": " + f.detail;
            return refused("promotion of " + req.name + ":" + req.version + " refused:" + why);
        }
    }

    Status st = registry.write(actor, [&](Transaction& txn) -> Status {
        const VersionEntry* cur = find(txn.state(), req.name, req.version);
        if (req.stage) {
            if (auto problem = stage_move_problem(cur->stage, *req.stage); !problem.empty())
                return make_error(ErrorCode::conflict, "registry.changed",
                                  req.name + ":" + req.version + " changed while it was being checked: " + problem);
            if (*req.stage == Stage::retired) {
                auto held = aliases_on(txn.state().skills.at(req.name), req.version);
                if (!held.empty())
                    return refused(req.name + ":" + req.version + " is the target of alias '" + held.front() +
                                   "'; move the alias first (promote another version or roll back)");
            }
            if (const Stage from = cur->stage; from != *req.stage) {
                SLM_TRY(txn.append({{"event", "state"}, {"name", req.name}, {"version", req.version},
                                    {"from", stage_name(from)}, {"to", stage_name(*req.stage)}}));
                result.stage_change = std::make_pair(from, *req.stage);
            }
            if (stage_has_alias(*req.stage)) SLM_TRY(move_alias(txn, req.name, stage_name(*req.stage), req.version, result));
        } else if (cur->stage == Stage::quarantined || cur->stage == Stage::retired) {
            return refused(req.name + ":" + req.version + " became " + stage_name(cur->stage) + " meanwhile");
        }
        if (!req.alias.empty()) SLM_TRY(move_alias(txn, req.name, req.alias, req.version, result));
        return {};
    });
    if (!st) return st.take_error();
    return result;
}

Result<AliasMove> rollback(Registry& registry, const RollbackRequest& req, const Actor& actor) {
    SLM_TRY(check_alias_name(req.alias));
    AliasMove move;
    Status st = registry.write(actor, [&](Transaction& txn) -> Status {
        auto skill = txn.state().skills.find(req.name);
        if (skill == txn.state().skills.end())
            return make_error(ErrorCode::not_found, "registry.not_found", "no skill named '" + req.name + "'");
        auto it = skill->second.aliases.find(req.alias);
        if (it == skill->second.aliases.end())
            return make_error(ErrorCode::not_found, "registry.not_found",
                              "no alias '" + req.alias + "' on " + req.name + " to roll back");
        const AliasEntry& a = it->second;
        std::uint64_t steps = req.steps;
        if (!req.to_version.empty()) {
            steps = 0;
            for (std::size_t i = a.history.size(); i-- > 0;)
                if (a.history[i] == req.to_version) {
                    steps = a.history.size() - i;
                    break;
                }
            if (steps == 0)
                return refused(req.to_version + " is not an earlier target of " + req.name + "@" + req.alias +
                               " (slmctl log " + req.name + " shows its history)");
        }
        if (steps == 0 || steps > a.history.size())
            return refused(req.name + "@" + req.alias + " has " + std::to_string(a.history.size()) +
                           " earlier target(s); cannot go back " + std::to_string(steps));
        const std::string target = a.history[a.history.size() - steps];
        const Stage stage = skill->second.versions.at(target).stage;
        if (stage == Stage::retired || stage == Stage::quarantined)
            return refused("cannot roll " + req.name + "@" + req.alias + " back to " + target + ": it is " +
                           stage_name(stage));
        move = {req.alias, a.target, target};
        return txn.append({{"event", "alias"}, {"op", "rollback"}, {"name", req.name}, {"alias", req.alias},
                           {"from", a.target}, {"to", target}, {"steps", steps}});
    });
    if (!st) return st.take_error();
    return move;
}

}  // namespace slm::registry
