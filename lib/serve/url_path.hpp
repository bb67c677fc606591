// From a request target to a file under a root, refusing anything that
// could leave the root: ".." segments (also percent-encoded), backslashes,
// encoded NULs and control characters, and symlinks pointing outside.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace slm::serve {

// Request text quoted for a message: at most 64 characters, non-printable
// bytes as '?'.
std::string shown(std::string_view s);

// The path part of an origin-form target: the query and fragment are dropped.
std::string_view target_path(std::string_view target);

// Decodes %XX escapes ('+' stays '+': this is a path, not a form).
// Errors (invalid_input): serve.bad_escape for '%' without two hex digits,
// serve.encoded_nul for %00.
Result<std::string> percent_decode(std::string_view text);

// Checks a decoded absolute path and returns it relative to the root, with
// empty and "." segments dropped ("/a//./b/" -> "a/b/"; a trailing '/' is kept
// so that a directory's index.html can be served). Errors: serve.bad_path
// (invalid_input: not starting with '/', control characters) and
// serve.traversal (a ".." segment or a backslash; answered with 403).
Result<std::string> safe_relative_path(std::string_view decoded);

// root/relative after following symlinks, if that is still inside root's
// real path. Errors: serve.outside_root (403), serve.not_found (not_found:
// nothing there, or the root itself does not exist).
Result<std::filesystem::path> resolve_under(const std::filesystem::path& root, const std::string& relative);

}  // namespace slm::serve
