// slmctl pull REMOTE: one version, with its eval sidecars and signatures, from
// a registry speaking the OCI distribution API; everything is checked before
// anything enters the local registry.
#include <memory>

#include "commands.hpp"
#include "output.hpp"
#include "progress.hpp"
#include "registry/transfer.hpp"
#include "registry_args.hpp"
#include "remote_args.hpp"

namespace slmctl {
namespace {

struct PullArgs {
    std::string remote;
    RegistryArgs registry;
    RemoteArgs net;
    bool json = false;
};

int run_pull(const PullArgs& a) {
    namespace reg = slm::registry;
    auto source = reg::parse_remote_ref(a.remote);
    if (!source) return report_error(source.error());
    if (source->reference().empty())
        return report_error(slm::make_error(slm::ErrorCode::usage, "registry.bad_remote",
                                            a.remote + ": say what to pull: add :TAG or @sha256:DIGEST"));
    auto options = http_options(a.net);
    if (!options) return report_error(options.error());
    reg::OpenOptions local;
    local.root = reg::default_root(a.registry.root);
    local.lock_timeout_ms = a.registry.lock_timeout_ms;
    reg::HttpClient http(*options);
    ProgressBar bar;
    auto pulled = reg::pull_version(local, *source, http, reg::current_actor(a.registry.reason), bar.callback());
    if (!pulled) return report_error(pulled.error());

    nlohmann::json blobs = nlohmann::json::array(), referrers = nlohmann::json::array(), skipped = pulled->skipped;
    std::size_t downloaded = 0, attached = 0;
    for (const auto& b : pulled->blobs) {
        blobs.push_back({{"role", b.role}, {"digest", b.descriptor.digest}, {"size", b.descriptor.size},
                         {"downloaded", b.transferred}});
        downloaded += b.transferred ? 1 : 0;
    }
    for (const auto& r : pulled->referrers) {
        referrers.push_back({{"kind", r.kind}, {"manifest", r.manifest.digest}, {"already_present", !r.transferred}});
        attached += r.transferred ? 1 : 0;
    }
    const std::string label = pulled->name + ":" + pulled->version;
    if (a.json) {
        print_json({{"source", pulled->source.to_string()},
                    {"root", pulled->root},
                    {"reference", label},
                    {"oci_manifest", pulled->manifest.digest},
                    {"already_present", pulled->already_present},
                    {"blobs", blobs},
                    {"referrers", referrers},
                    {"referrers_via", pulled->referrers_via},
                    {"skipped", skipped},
                    {"bytes_downloaded", pulled->bytes_downloaded}});
        return 0;
    }
    note("{} {} from {} into {}\n", pulled->already_present ? "already had" : "pulled", label,
         pulled->source.to_string(), pulled->root);
    note("  manifest   {}\n", pulled->manifest.digest);
    note("  blobs      {} downloaded ({} received)\n", downloaded, human_bytes(pulled->bytes_downloaded));
    for (const auto& r : pulled->referrers)
        note("  {:<10} {}{}\n", r.kind, r.manifest.digest, r.transferred ? "" : " (already attached)");
    for (const auto& s : pulled->skipped) note("  skipped    {} (not a slmctl document)\n", s);
    return 0;
}

}  // namespace

void register_pull(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<PullArgs>();
    auto* cmd = app.add_subcommand(
        "pull", "Pull a version, with its eval sidecars and signatures, from an OCI registry into the local registry");
    cmd->add_option("remote", a->remote, "oci://HOST[:PORT]/REPOSITORY:TAG or oci://HOST[:PORT]/REPOSITORY@sha256:...")
        ->required();
    add_registry_options(cmd, a->registry, true);
    add_remote_options(cmd, a->net);
    cmd->add_flag("--json", a->json, "Print JSON on stdout");
    cmd->footer(remote_footer(
        "Exit codes: 0 pulled (or already present); 2 usage; 3 corrupt content (digest or size mismatch) or not a\n"
        "slmctl skill version: nothing is admitted; 4 access refused (401/403); 5 no such tag, digest or repository;\n"
        "6 NAME:VERSION exists here with another manifest, or the registry is locked; 10 network or TLS failure,\n"
        "or an unexpected answer from the registry."));
    cmd->callback([a, &ctx] { ctx.exit_code = run_pull(*a); });
}

}  // namespace slmctl
