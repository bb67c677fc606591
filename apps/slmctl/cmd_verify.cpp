// slmctl verify FILE.slm [--manifest M] [--policy P]: gate an artifact.
#include <memory>

#include "commands.hpp"
#include "output.hpp"
#include "package/verify.hpp"
#include "progress.hpp"

namespace slmctl {
namespace {

struct VerifyArgs {
    slm::package::VerifyOptions options;
    std::string manifest;
    std::string policy;
    bool json = false;
};

int run_verify(VerifyArgs& a) {
    if (!a.manifest.empty()) a.options.manifest_path = a.manifest;
    if (!a.policy.empty()) a.options.policy_path = a.policy;
    slm::package::VerifyReport report;
    {
        ProgressBar bar;  // cleared before the report is printed
        a.options.progress = bar.callback();
        report = slm::package::verify_artifact(a.options);
    }
    if (a.json) {
        print_json(report.to_json());
    } else {
        for (const auto& c : report.checks) {
            const char* mark = c.outcome == slm::package::CheckOutcome::pass   ? "ok  "
                               : c.outcome == slm::package::CheckOutcome::fail ? "FAIL"
                                                                                : "skip";
            fmt::print("{}  {:<26} {}\n", mark, c.name, c.detail);
        }
        fmt::print("{}: {}\n", report.artifact_path, report.passed() ? "verified" : "NOT verified");
    }
    for (const auto& c : report.checks) {
        if (c.outcome != slm::package::CheckOutcome::fail) continue;
        fmt::print(stderr, "slmctl: error: {}: {}\n", c.name, c.detail);
        break;
    }
    return report.exit_code();
}

}  // namespace

void register_verify(CLI::App& app, Context& ctx) {
    auto args = std::make_shared<VerifyArgs>();
    auto* cmd = app.add_subcommand(
        "verify", "Check structure, checksum, manifest digest and policy before anything is loaded");
    cmd->add_option("file", args->options.artifact_path, "The .slm to verify")->required();
    cmd->add_option("--manifest", args->manifest, "Skill manifest (default: sibling <name>.manifest.json if present)");
    cmd->add_option("--policy", args->policy, "Release policy YAML (schemas/policy.schema.json)");
    cmd->add_flag("--json", args->json, "Print the report as JSON on stdout");
    cmd->footer("Exit codes: 0 verified; 1 a manifest check failed; 2 usage; 3 corrupt or invalid input;\n"
                "4 policy not met; 5 file not found.");
    cmd->callback([args, &ctx] { ctx.exit_code = run_verify(*args); });
}

}  // namespace slmctl
