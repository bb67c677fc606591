// Remote references for push and pull (docs/registry.md, "Push and pull"):
//
//   oci://HOST[:PORT]/REPOSITORY[:TAG]
//   oci://HOST[:PORT]/REPOSITORY@sha256:HEX
//
// HOST is a DNS name, an IPv4 address or a bracketed IPv6 address. REPOSITORY
// and TAG follow the OCI distribution spec:
//   repository  [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*
//   tag         [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}
// Credentials never go into the URL (user:pass@host is refused): they come
// from --username/--password-stdin or the environment.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace slm::registry {

struct RemoteRef {
    std::string host;        // "registry.example.com", "127.0.0.1:5000", "[::1]:5000"
    std::string repository;  // "team/skills/tiny"
    std::string tag;         // empty when `digest` is set or nothing was given
    std::string digest;      // "sha256:<hex>" or empty

    // What goes after /manifests/: the digest if there is one, else the tag.
    const std::string& reference() const { return digest.empty() ? tag : digest; }
    // oci://host/repository[:tag|@digest]
    std::string to_string() const;
};

bool is_repository_name(std::string_view s);
bool is_tag(std::string_view s);

// Errors: ErrorCode::usage, id registry.bad_remote, naming the part that is wrong.
Result<RemoteRef> parse_remote_ref(std::string_view text);

// The tag a version is pushed under by default: OCI tags cannot hold '+', so
// "1.2.0+q8-0" becomes "1.2.0_q8-0" ('_' cannot occur in a semantic version).
std::string tag_for_version(std::string_view version);

// The OCI 1.1 referrers tag schema: "sha256-<hex>" for subject "sha256:<hex>".
std::string referrers_tag(std::string_view subject_digest);

}  // namespace slm::registry
