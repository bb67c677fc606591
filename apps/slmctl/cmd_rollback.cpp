// slmctl rollback NAME [--alias champion] [--to VERSION | --steps N]
#include <memory>

#include "commands.hpp"
#include "output.hpp"
#include "registry/lifecycle.hpp"
#include "registry/reference.hpp"
#include "registry_args.hpp"

namespace slmctl {
namespace {

struct RollbackArgs {
    slm::registry::RollbackRequest request;
    RegistryArgs registry;
    bool json = false;
};

int run_rollback(const RollbackArgs& a) {
    if (!slm::registry::is_skill_name(a.request.name))
        return report_error(slm::make_error(slm::ErrorCode::usage, "registry.bad_name",
                                            "'" + a.request.name + "' is not a skill name (rollback takes NAME, not NAME:VERSION)"));
    auto registry = open_registry(a.registry, false);
    if (!registry) return report_error(registry.error());
    auto move = slm::registry::rollback(*registry, a.request, slm::registry::current_actor(a.registry.reason));
    if (!move) return report_error(move.error());
    if (a.json)
        print_json({{"name", a.request.name}, {"alias", move->alias}, {"from", move->from}, {"to", move->to}});
    else
        note("{}@{}: {} -> {} (rolled back)\n", a.request.name, move->alias, move->from, move->to);
    return 0;
}

}  // namespace

void register_rollback(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<RollbackArgs>();
    auto* cmd = app.add_subcommand("rollback", "Return an alias to an earlier target from its journal history");
    cmd->add_option("name", a->request.name, "Skill name")->required();
    cmd->add_option("--alias", a->request.alias, "Alias to move back")->capture_default_str();
    auto* to = cmd->add_option("--to", a->request.to_version, "An earlier target of the alias");
    cmd->add_option("--steps", a->request.steps, "How many moves to undo")->check(CLI::PositiveNumber)->excludes(to)->capture_default_str();
    add_registry_options(cmd, a->registry, true);
    cmd->add_flag("--json", a->json, "Print the move as JSON on stdout");
    cmd->footer("Refuses a target that is retired or quarantined.\n"
                "Exit codes: 0 rolled back; 1 refused; 2 usage; 3 corrupt registry; 5 no such skill/alias; 6 locked.");
    cmd->callback([a, &ctx] { ctx.exit_code = run_rollback(*a); });
}

}  // namespace slmctl
