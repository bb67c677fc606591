// slmctl log NAME: the journal records of one skill (lifecycle, aliases, evidence).
#include <memory>

#include "commands.hpp"
#include "output.hpp"
#include "registry/journal.hpp"
#include "registry/reference.hpp"
#include "registry_args.hpp"
#include "registry_view.hpp"

namespace slmctl {
namespace {

struct LogArgs {
    std::string name;
    std::string alias;
    RegistryArgs registry;
    bool json = false;
};

int run_log(const LogArgs& a) {
    if (!slm::registry::is_skill_name(a.name))
        return report_error(slm::make_error(slm::ErrorCode::usage, "registry.bad_name", "'" + a.name + "' is not a skill name"));
    auto registry = open_registry(a.registry, false);
    if (!registry) return report_error(registry.error());
    auto journal = slm::registry::read_journal(registry->layout().journal(), {});
    if (!journal) return report_error(journal.error());
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : journal->records) {
        if (r.body.value("name", "") != a.name) continue;
        if (!a.alias.empty() && r.body.value("alias", "") != a.alias) continue;
        out.push_back(r.body);
    }
    if (out.empty())
        return report_error(slm::make_error(slm::ErrorCode::not_found, "registry.not_found",
                                            "no journal records for '" + a.name + "'" +
                                                (a.alias.empty() ? "" : " and alias '" + a.alias + "'")));
    if (a.json) {
        print_json(out);
        return 0;
    }
    for (const auto& r : out) fmt::print("{}\n", record_line(r));
    return 0;
}

}  // namespace

void register_log(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<LogArgs>();
    auto* cmd = app.add_subcommand("log", "Show the lifecycle and alias history of a skill from the journal");
    cmd->add_option("name", a->name, "Skill name")->required();
    cmd->add_option("--alias", a->alias, "Only the moves of this alias");
    add_registry_options(cmd, a->registry, false);
    cmd->add_flag("--json", a->json, "Print the records as JSON on stdout");
    cmd->callback([a, &ctx] { ctx.exit_code = run_log(*a); });
}

}  // namespace slmctl
