// slmctl sign REF --key KEY: sign a version's skill manifest id and attach
// the signature to it in the registry.
#include <memory>

#include "commands.hpp"
#include "core/json_canonical.hpp"
#include "output.hpp"
#include "package/signature.hpp"
#include "registry/add.hpp"
#include "registry/oci.hpp"
#include "registry/resolve.hpp"
#include "registry_args.hpp"

namespace slmctl {
namespace {

struct SignArgs {
    std::string ref, key;
    RegistryArgs registry;
    bool json = false;
};

int run_sign(const SignArgs& a) {
    auto ref = slm::registry::parse_reference(a.ref);
    if (!ref) return report_error(ref.error());
    auto registry = open_registry(a.registry, false);
    if (!registry) return report_error(registry.error());
    auto state = registry->read_state();
    if (!state) return report_error(state.error());
    auto v = slm::registry::resolve(*state, *ref);
    if (!v) return report_error(v.error());
    auto doc = slm::package::sign_manifest_id(a.key, v->entry.config.digest);
    if (!doc) return report_error(doc.error());
    const std::string bytes = slm::canonical_json(*doc);
    auto attached = slm::registry::attach_referrer(
        *registry,
        {v->name, v->entry.version, "signature", slm::registry::k_signature_media_type, slm::as_bytes(bytes),
         {{"key_id", (*doc)["key_id"]}}},
        slm::registry::current_actor(a.registry.reason));
    if (!attached) return report_error(attached.error());
    const std::string target = v->name + ":" + v->entry.version;
    if (a.json) {
        print_json({{"reference", target}, {"signed", v->entry.config.digest}, {"key_id", (*doc)["key_id"]},
                    {"signature_manifest", attached->referrer.manifest.digest},
                    {"already_present", attached->already_present}});
        return 0;
    }
    note("signed {} (manifest {}) with key {}\n", target, v->entry.config.digest, (*doc)["key_id"].get<std::string>());
    return 0;
}

}  // namespace

void register_sign(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<SignArgs>();
    auto* cmd = app.add_subcommand("sign", "Sign a registry version (Ed25519 over its skill manifest id) and attach the signature");
    cmd->add_option("ref", a->ref, "NAME:VERSION, NAME@ALIAS or NAME@sha256:...")->required();
    cmd->add_option("--key", a->key, "PEM private key from `slmctl keygen`")->required();
    add_registry_options(cmd, a->registry, true);
    cmd->add_flag("--json", a->json, "Print JSON on stdout");
    cmd->callback([a, &ctx] { ctx.exit_code = run_sign(*a); });
}

}  // namespace slmctl
