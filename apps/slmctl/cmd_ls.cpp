// slmctl ls [NAME]: the skills in the registry, or the versions of one skill.
#include <memory>

#include "commands.hpp"
#include "output.hpp"
#include "registry/reference.hpp"
#include "registry/resolve.hpp"
#include "registry_args.hpp"
#include "registry_view.hpp"

namespace slmctl {
namespace {

struct LsArgs {
    std::string name;
    RegistryArgs registry;
    bool json = false;
};

int list_skills(const slm::registry::RegistryState& state, bool json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [name, skill] : state.skills) {
        nlohmann::json aliases = nlohmann::json::object();
        for (const auto& [alias, a] : skill.aliases) aliases[alias] = a.target;
        out.push_back({{"name", name}, {"versions", skill.versions.size()}, {"aliases", aliases}});
    }
    if (json) {
        print_json(out);
        return 0;
    }
    if (out.empty()) note("the registry is empty (add a version with `slmctl pack SPEC -o X.slm --add`)\n");
    for (const auto& s : out) {
        std::string aliases;
        for (const auto& [alias, target] : s["aliases"].items())
            aliases += fmt::format("{}{}={}", aliases.empty() ? "" : " ", alias, target.get<std::string>());
        fmt::print("{:<32} {:>3} version(s)  {}\n", s["name"].get<std::string>(), s["versions"].get<std::size_t>(),
                   aliases);
    }
    return 0;
}

int list_versions(const std::string& name, const slm::registry::SkillEntry& skill, bool json) {
    std::vector<const slm::registry::VersionEntry*> versions;
    for (const auto& [ver, v] : skill.versions) versions.push_back(&v);
    std::sort(versions.begin(), versions.end(), [](auto* a, auto* b) { return a->added_seq < b->added_seq; });
    if (json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto* v : versions) out.push_back(version_json(name, skill, *v));
        print_json(out);
        return 0;
    }
    fmt::print("{:<20} {:<12} {:<20} {:<19} {:>10}  {}\n", "VERSION", "STAGE", "ALIASES", "ARTIFACT", "SIZE", "EVIDENCE");
    for (const auto* v : versions)
        fmt::print("{:<20} {:<12} {:<20} {:<19} {:>10}  {}\n", v->version, slm::registry::stage_name(v->stage),
                   aliases_of(skill, v->version), short_digest(v->artifact.digest), human_bytes(v->artifact.size),
                   evidence_summary(*v));
    return 0;
}

int run_ls(const LsArgs& a) {
    auto registry = open_registry(a.registry, false);
    if (!registry) return report_error(registry.error());
    auto state = registry->read_state();
    if (!state) return report_error(state.error());
    if (a.name.empty()) return list_skills(*state, a.json);
    if (!slm::registry::is_skill_name(a.name))
        return report_error(slm::make_error(slm::ErrorCode::usage, "registry.bad_name", "'" + a.name + "' is not a skill name"));
    auto skill = state->skills.find(a.name);
    if (skill == state->skills.end()) {
        std::vector<std::string> names;
        for (const auto& kv : state->skills) names.push_back(kv.first);
        const std::string guess = slm::registry::closest_match(a.name, names);
        return report_error(slm::make_error(slm::ErrorCode::not_found, "registry.not_found",
                                            "no skill named '" + a.name + "'" +
                                                (guess.empty() ? "" : " (did you mean '" + guess + "'?)")));
    }
    return list_versions(a.name, skill->second, a.json);
}

}  // namespace

void register_ls(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<LsArgs>();
    auto* cmd = app.add_subcommand("ls", "List the skills in the registry, or the versions of one skill");
    cmd->add_option("name", a->name, "A skill name: list its versions");
    add_registry_options(cmd, a->registry, false);
    cmd->add_flag("--json", a->json, "Print JSON on stdout");
    cmd->callback([a, &ctx] { ctx.exit_code = run_ls(*a); });
}

}  // namespace slmctl
