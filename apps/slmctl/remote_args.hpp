// Options push and pull share for talking to a remote OCI registry: TLS,
// credentials, and the help text on exit codes and credentials.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "registry/http_client.hpp"

namespace slmctl {

struct RemoteArgs {
    bool plain_http = false;
    bool insecure = false;
    std::string ca_file;
    std::string username;
    bool password_stdin = false;
};

// --plain-http --insecure --ca-file --username --password-stdin
void add_remote_options(CLI::App* cmd, RemoteArgs& args);

// The HTTP options, with the password read from stdin (--password-stdin) or
// taken from $SLMCTL_REGISTRY_USERNAME / $SLMCTL_REGISTRY_PASSWORD.
// Errors: usage (a username without a password or the reverse), not_found (--ca-file).
slm::Result<slm::registry::HttpOptions> http_options(const RemoteArgs& args);

// The footer both commands print under --help.
std::string remote_footer(const std::string& exit_codes);

}  // namespace slmctl
