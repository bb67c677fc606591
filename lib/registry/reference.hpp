// Names and references of the registry (docs/registry.md):
//   skill name   skill.math.reasoner      [a-z][a-z0-9_-]* ('.' [a-z0-9][a-z0-9_-]*)*
//   version      1.2.0, 1.2.0+q8-0        semver 2.0
//   alias        champion, blue_2         [A-Za-z0-9_-]{1,64}, "latest" reserved (MLflow's rule)
//   reference    NAME:VERSION | NAME@ALIAS | NAME@sha256:HEX (a unique prefix of at least
//                8 hex digits of the artifact digest, skill manifest id or OCI manifest digest)
// Validation happens here, before any name reaches a path: a name can never
// contain '/', "..", or anything a shell or a file system treats specially.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace slm::registry {

// [a-z0-9]: the characters every part of a name starts and ends with.
bool lower_alnum(char c);
bool is_skill_name(std::string_view s);
bool is_version(std::string_view s);
bool is_alias_name(std::string_view s);  // true for "latest" too: see check_alias_name
bool is_digest(std::string_view s);      // "sha256:" + 64 lowercase hex

// Errors: ErrorCode::usage, ids registry.bad_alias / registry.reserved_alias.
Status check_alias_name(std::string_view alias);

struct Reference {
    enum class Kind { name, version, alias, digest };
    Kind kind = Kind::name;
    std::string name;
    std::string value;  // version, alias, or "sha256:<hex prefix>"

    std::string to_string() const;
};

// Errors: ErrorCode::usage, id registry.bad_reference, naming the part that is wrong.
Result<Reference> parse_reference(std::string_view text);

// True when `text` has the shape of NAME:VERSION, NAME@ALIAS or NAME@sha256:...
// (used to tell references from file paths; a path that exists wins).
bool looks_like_reference(std::string_view text);

}  // namespace slm::registry
