#include "remote_args.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <iostream>
#include <iterator>

namespace slmctl {

void add_remote_options(CLI::App* cmd, RemoteArgs& args) {
    cmd->add_flag("--plain-http", args.plain_http, "Talk http instead of https (any host, loopback included)");
    cmd->add_option("--ca-file", args.ca_file, "PEM file of CA certificates to trust besides the system's");
    cmd->add_flag("--insecure", args.insecure, "Do not verify the registry's TLS certificate");
    cmd->add_option("--username", args.username, "Registry user (else $SLMCTL_REGISTRY_USERNAME)");
    cmd->add_flag("--password-stdin", args.password_stdin,
                  "Read the password (or token) from stdin (else $SLMCTL_REGISTRY_PASSWORD)");
}

slm::Result<slm::registry::HttpOptions> http_options(const RemoteArgs& args) {
    slm::registry::HttpOptions o;
    o.plain_http = args.plain_http;
    o.insecure = args.insecure;
    if (!args.ca_file.empty()) {
        struct stat st {};
        if (::stat(args.ca_file.c_str(), &st) != 0)
            return slm::make_error(slm::ErrorCode::not_found, "io.open", args.ca_file + ": no such file (--ca-file)");
        o.ca_file = args.ca_file;
    }
    auto env = [](const char* name) -> std::string {
        const char* v = std::getenv(name);
        return v != nullptr ? v : "";
    };
    o.username = args.username.empty() ? env("SLMCTL_REGISTRY_USERNAME") : args.username;
    if (args.password_stdin) {
        o.password.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
        if (!o.password.empty() && o.password.back() == '\n') o.password.pop_back();
        if (!o.password.empty() && o.password.back() == '\r') o.password.pop_back();
    } else {
        o.password = env("SLMCTL_REGISTRY_PASSWORD");
    }
    if (o.username.empty() && !o.password.empty())
        return slm::make_error(slm::ErrorCode::usage, "registry.credentials",
                               "a password without a user: give --username (or SLMCTL_REGISTRY_USERNAME)");
    if (!o.username.empty() && o.password.empty())
        return slm::make_error(slm::ErrorCode::usage, "registry.credentials",
                               "no password for user '" + o.username +
                                   "': pipe it to --password-stdin (or set SLMCTL_REGISTRY_PASSWORD)");
    return o;
}

std::string remote_footer(const std::string& exit_codes) {
    return "REMOTE is oci://HOST[:PORT]/REPOSITORY[:TAG] or oci://HOST[:PORT]/REPOSITORY@sha256:HEX. https is the\n"
           "default for every host; --plain-http for http. Credentials: --username with --password-stdin, or\n"
           "SLMCTL_REGISTRY_USERNAME and SLMCTL_REGISTRY_PASSWORD (Basic, or a Bearer token fetched with them).\n" +
           exit_codes;
}

}  // namespace slmctl
