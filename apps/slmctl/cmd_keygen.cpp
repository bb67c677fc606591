// slmctl keygen -o KEY: an Ed25519 key pair for signing releases.
#include <memory>

#include "commands.hpp"
#include "output.hpp"
#include "package/signature.hpp"

namespace slmctl {
namespace {

struct KeygenArgs {
    std::string output;
    bool force = false, json = false;
};

int run_keygen(const KeygenArgs& a) {
    auto keys = slm::package::generate_key(a.output, a.force);
    if (!keys) return report_error(keys.error());
    if (a.json) {
        print_json({{"private_key", keys->private_key}, {"public_key", keys->public_key}, {"key_id", keys->key_id}});
        return 0;
    }
    note("private key  {} (keep it secret; mode 0600)\n", keys->private_key);
    note("public key   {} (list it under trusted_keys in the release policy)\n", keys->public_key);
    note("key id       {}\n", keys->key_id);
    return 0;
}

}  // namespace

void register_keygen(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<KeygenArgs>();
    auto* cmd = app.add_subcommand("keygen", "Generate an Ed25519 signing key pair (KEY and KEY.pub, PEM)");
    cmd->add_option("-o,--output", a->output, "Private key path; the public key goes to <path>.pub")->required();
    cmd->add_flag("--force", a->force, "Replace existing key files");
    cmd->add_flag("--json", a->json, "Print JSON on stdout");
    cmd->callback([a, &ctx] { ctx.exit_code = run_keygen(*a); });
}

}  // namespace slmctl
