// slmctl push REF REMOTE: one version, with its eval sidecars and signatures,
// to a registry speaking the OCI distribution API.
#include <memory>

#include "commands.hpp"
#include "output.hpp"
#include "progress.hpp"
#include "registry/transfer.hpp"
#include "registry_args.hpp"
#include "remote_args.hpp"

namespace slmctl {
namespace {

struct PushArgs {
    std::string ref, remote;
    RegistryArgs registry;
    RemoteArgs net;
    bool json = false;
};

int run_push(const PushArgs& a) {
    namespace reg = slm::registry;
    auto ref = reg::parse_reference(a.ref);
    if (!ref) return report_error(ref.error());
    auto target = reg::parse_remote_ref(a.remote);
    if (!target) return report_error(target.error());
    auto options = http_options(a.net);
    if (!options) return report_error(options.error());
    auto registry = open_registry(a.registry, false);
    if (!registry) return report_error(registry.error());
    auto state = registry->read_state();
    if (!state) return report_error(state.error());
    auto version = reg::resolve(*state, *ref);
    if (!version) return report_error(version.error());
    if (version->entry.stage == reg::Stage::quarantined)
        return report_error(slm::make_error(slm::ErrorCode::incompatible, "registry.quarantined",
                                            version->name + ":" + version->entry.version +
                                                " is quarantined: it is not pushed anywhere"));
    reg::HttpClient http(*options);
    ProgressBar bar;
    auto pushed = reg::push_version(*registry, *version, *target, http, bar.callback());
    if (!pushed) return report_error(pushed.error());

    nlohmann::json blobs = nlohmann::json::array(), referrers = nlohmann::json::array();
    std::size_t uploaded = 0;
    for (const auto& b : pushed->blobs) {
        blobs.push_back({{"role", b.role}, {"digest", b.descriptor.digest}, {"size", b.descriptor.size},
                         {"uploaded", b.transferred}});
        uploaded += b.transferred ? 1 : 0;
    }
    for (const auto& r : pushed->referrers)
        referrers.push_back({{"kind", r.kind}, {"manifest", r.manifest.digest}, {"size", r.manifest.size}});
    const std::string label = pushed->name + ":" + pushed->version;
    if (a.json) {
        print_json({{"reference", label},
                    {"target", pushed->target.to_string()},
                    {"tag", pushed->target.tag},
                    {"oci_manifest", pushed->manifest.digest},
                    {"blobs", blobs},
                    {"referrers", referrers},
                    {"referrers_via", pushed->referrers_via},
                    {"bytes_uploaded", pushed->bytes_uploaded}});
        return 0;
    }
    note("pushed {} -> {}\n", label, pushed->target.to_string());
    note("  manifest   {}\n", pushed->manifest.digest);
    note("  blobs      {} uploaded, {} already there ({} sent)\n", uploaded, pushed->blobs.size() - uploaded,
         human_bytes(pushed->bytes_uploaded));
    for (const auto& r : pushed->referrers) note("  {:<10} {}\n", r.kind, r.manifest.digest);
    if (pushed->referrers_via == "tag")
        note("  referrers  listed under tag {} (the registry has no referrers API)\n",
             reg::referrers_tag(pushed->manifest.digest));
    return 0;
}

}  // namespace

void register_push(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<PushArgs>();
    auto* cmd = app.add_subcommand(
        "push", "Push a version, with its eval sidecars and signatures, to an OCI registry (distribution API)");
    cmd->add_option("ref", a->ref, "NAME:VERSION, NAME@ALIAS or NAME@sha256:...")->required();
    cmd->add_option("remote", a->remote,
                    "oci://HOST[:PORT]/REPOSITORY[:TAG] (default TAG: the version, '+' written as '_')")
        ->required();
    add_registry_options(cmd, a->registry, false);
    add_remote_options(cmd, a->net);
    cmd->add_flag("--json", a->json, "Print JSON on stdout");
    cmd->footer(remote_footer(
        "Exit codes: 0 pushed; 2 usage; 3 a local blob is corrupt, or the registry refused the content;\n"
        "4 access refused (401/403) or the version is quarantined; 5 no such version, or the registry does not know\n"
        "the repository; 10 network or TLS failure, or an unexpected answer from the registry."));
    cmd->callback([a, &ctx] { ctx.exit_code = run_push(*a); });
}

}  // namespace slmctl
