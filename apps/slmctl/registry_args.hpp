// Options every registry-aware command shares (--registry, --lock-timeout,
// --reason) and the one way commands open the registry.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "registry/registry.hpp"

namespace slmctl {

struct RegistryArgs {
    std::string root;  // empty: $SLM_HOME, else ./.slm
    int lock_timeout_ms = 30000;
    std::string reason;
};

// --registry always; --lock-timeout and --reason for commands that write.
void add_registry_options(CLI::App* cmd, RegistryArgs& args, bool writes);

slm::Result<slm::registry::Registry> open_registry(const RegistryArgs& args, bool create);

}  // namespace slmctl
