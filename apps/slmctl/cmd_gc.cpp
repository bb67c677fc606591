// slmctl gc: remove blobs that no version, sidecar or signature refers to.
#include <memory>

#include "commands.hpp"
#include "output.hpp"
#include "registry/maintenance.hpp"
#include "registry_args.hpp"

namespace slmctl {
namespace {

struct GcArgs {
    slm::registry::GcOptions options;
    RegistryArgs registry;
    bool json = false;
};

int run_gc(const GcArgs& a) {
    auto registry = open_registry(a.registry, false);
    if (!registry) return report_error(registry.error());
    auto result = slm::registry::collect_garbage(*registry, a.options);
    if (!result) return report_error(result.error());
    if (a.json) {
        print_json({{"removed", result->removed}, {"bytes", result->bytes}, {"kept_young", result->kept_young},
                    {"dry_run", a.options.dry_run}});
        return 0;
    }
    for (const auto& f : result->removed) note("{} {}\n", a.options.dry_run ? "would remove" : "removed", f);
    note("{} {} file(s), {}", a.options.dry_run ? "would free" : "freed", result->removed.size(), human_bytes(result->bytes));
    if (result->kept_young > 0)
        note("; kept {} unreferenced file(s) younger than {} s (--min-age)", result->kept_young, a.options.min_age_seconds);
    note("\n");
    return 0;
}

}  // namespace

void register_gc(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<GcArgs>();
    auto* cmd = app.add_subcommand("gc", "Remove unreferenced blobs (never anything a version, sidecar or signature uses)");
    cmd->add_option("--min-age", a->options.min_age_seconds,
                    "Keep unreferenced files younger than this many seconds (an add in progress writes them first)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    cmd->add_flag("--dry-run", a->options.dry_run, "Only list what would be removed");
    add_registry_options(cmd, a->registry, true);
    cmd->add_flag("--json", a->json, "Print JSON on stdout");
    cmd->callback([a, &ctx] { ctx.exit_code = run_gc(*a); });
}

}  // namespace slmctl
