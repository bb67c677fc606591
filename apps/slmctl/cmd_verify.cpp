// slmctl verify FILE.slm [--manifest M] [--policy P]: gate an artifact.
#include <memory>

#include "commands.hpp"
#include "core/json_canonical.hpp"
#include "model_ref.hpp"
#include "package/policy.hpp"
#include "package/signature.hpp"
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
    RegistryArgs registry;
};

// For a registry version: each attached signature checked against the
// policy's trusted keys; with require_signature, at least one must verify.
void check_signatures(const ModelInput& input, const std::string& policy_path, const RegistryArgs& registry_args,
                      slm::package::VerifyReport& report) {
    using slm::package::CheckOutcome;
    slm::package::Policy policy;
    if (!policy_path.empty()) {
        auto p = slm::package::load_policy(policy_path);
        if (!p) return;  // verify_artifact already reported the policy error
        policy = *p;
    }
    auto registry = open_registry(registry_args, false);
    if (!registry) return;
    bool any_valid = false;
    for (const auto& r : input.version->entry.referrers) {
        if (r.kind != "signature") continue;
        slm::package::VerifyCheck check;
        check.name = "signature " + r.summary.value("key_id", std::string("?")).substr(0, 19);
        auto bytes = registry->blobs().read_verified(r.blob);
        auto doc = bytes ? slm::parse_json(std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()),
                                           registry->blobs().path(r.blob.digest))
                         : slm::Result<nlohmann::json>(bytes.error());
        if (!doc) {
            check.outcome = CheckOutcome::fail;
            check.detail = doc.error().message;
            check.failure_code = slm::ErrorCode::invalid_input;
        } else {
            auto result = slm::package::check_signature(*doc, input.version->entry.config.digest, policy.trusted_keys);
            any_valid = any_valid || result.valid;
            // An untrusted key is reported but only fails with require_signature.
            const bool untrusted = !result.valid && result.detail.find("not a trusted key") != std::string::npos;
            check.outcome = result.valid ? CheckOutcome::pass : untrusted ? CheckOutcome::skipped : CheckOutcome::fail;
            check.detail = result.detail;
        }
        report.checks.push_back(check);
    }
    if (policy.require_signature && !any_valid) {
        slm::package::VerifyCheck check;
        check.name = "policy.signature";
        check.outcome = CheckOutcome::fail;
        check.failure_code = slm::ErrorCode::incompatible;
        check.detail = "the policy requires a signature by a trusted key; none verifies";
        report.checks.push_back(check);
    }
}

int run_verify(VerifyArgs& a) {
    auto input = resolve_model(a.options.artifact_path, a.registry, false);  // verify reports a bad digest itself
    if (!input) return report_error(input.error());
    a.options.artifact_path = input->path;
    if (!input->manifest_path.empty()) a.options.manifest_path = input->manifest_path;
    if (!a.manifest.empty()) a.options.manifest_path = a.manifest;
    if (!a.policy.empty()) a.options.policy_path = a.policy;
    slm::package::VerifyReport report;
    {
        ProgressBar bar;  // cleared before the report is printed
        a.options.progress = bar.callback();
        report = slm::package::verify_artifact(a.options);
    }
    if (input->version) {
        report.artifact_path = input->label;
        check_signatures(*input, a.policy, a.registry, report);
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
    cmd->add_option("file", args->options.artifact_path, "The .slm to verify, or a registry reference")->required();
    add_registry_options(cmd, args->registry, false);
    cmd->add_option("--manifest", args->manifest, "Skill manifest (default: sibling <name>.manifest.json if present)");
    cmd->add_option("--policy", args->policy, "Release policy YAML (schemas/policy.schema.json)");
    cmd->add_flag("--json", args->json, "Print the report as JSON on stdout");
    cmd->footer("Exit codes: 0 verified; 1 a manifest check failed; 2 usage; 3 corrupt or invalid input;\n"
                "4 policy not met; 5 file not found.");
    cmd->callback([args, &ctx] { ctx.exit_code = run_verify(*args); });
}

}  // namespace slmctl
