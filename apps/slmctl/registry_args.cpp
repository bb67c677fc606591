#include "registry_args.hpp"

namespace slmctl {

void add_registry_options(CLI::App* cmd, RegistryArgs& args, bool writes) {
    cmd->add_option("--registry", args.root, "Registry directory (default: $SLM_HOME, else ./.slm)");
    if (!writes) return;
    cmd->add_option("--lock-timeout", args.lock_timeout_ms, "Milliseconds to wait for the registry lock (then exit 6)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--reason", args.reason, "Why: recorded in the registry journal");
}

slm::Result<slm::registry::Registry> open_registry(const RegistryArgs& args, bool create) {
    slm::registry::OpenOptions options;
    options.root = slm::registry::default_root(args.root);
    options.create = create;
    options.lock_timeout_ms = args.lock_timeout_ms;
    return slm::registry::Registry::open(options);
}

}  // namespace slmctl
