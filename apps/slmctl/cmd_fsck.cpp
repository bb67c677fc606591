// slmctl fsck: check every blob digest, every reference, the journal chain.
#include <memory>

#include "commands.hpp"
#include "output.hpp"
#include "registry/maintenance.hpp"
#include "registry_args.hpp"

namespace slmctl {
namespace {

struct FsckArgs {
    RegistryArgs registry;
    bool no_repair = false, quick = false, json = false;
};

int run_fsck(const FsckArgs& a) {
    auto registry = open_registry(a.registry, false);
    if (!registry) return report_error(registry.error());
    slm::registry::FsckOptions options;
    options.repair = !a.no_repair;
    options.verify_blobs = !a.quick;
    const auto report = slm::registry::fsck(*registry, options);
    if (a.json) {
        nlohmann::json findings = nlohmann::json::array();
        for (const auto& f : report.findings)
            findings.push_back({{"level", slm::registry::fsck_level_name(f.level)}, {"check", f.check}, {"detail", f.detail}});
        print_json({{"clean", report.clean()}, {"records", report.records}, {"versions", report.versions},
                    {"blobs_checked", report.blobs_checked}, {"findings", findings}});
    } else {
        for (const auto& f : report.findings)
            note("{:<8} {:<10} {}\n", slm::registry::fsck_level_name(f.level), f.check, f.detail);
        note("{}: {} journal record(s), {} version(s), {} blob(s) checked: {}\n", registry->layout().root, report.records,
             report.versions, report.blobs_checked, report.clean() ? "clean" : "PROBLEMS FOUND");
    }
    return report.clean() ? 0 : static_cast<int>(slm::ErrorCode::invalid_input);
}

}  // namespace

void register_fsck(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<FsckArgs>();
    auto* cmd = app.add_subcommand("fsck", "Check the registry: every blob digest, every reference, the journal chain and views");
    cmd->add_flag("--no-repair", a->no_repair, "Report stale views and an uncommitted journal tail instead of repairing them");
    cmd->add_flag("--quick", a->quick, "Skip re-hashing blobs (presence and references only)");
    add_registry_options(cmd, a->registry, true);
    cmd->add_flag("--json", a->json, "Print the report as JSON on stdout");
    cmd->footer("Exit codes: 0 clean; 3 problems found; 5 no registry; 6 locked.");
    cmd->callback([a, &ctx] { ctx.exit_code = run_fsck(*a); });
}

}  // namespace slmctl
