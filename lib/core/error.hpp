// Typed errors shared by every layer. Library code returns these instead of
// printing or exiting; apps/ maps ErrorCode to the documented exit codes.
#pragma once

#include <string>
#include <utility>

namespace slm {

// Values are the CLI exit codes (ARCHITECTURE.md §6), so the mapping is trivial.
enum class ErrorCode : int {
    check_failed = 1,   // a gate decision was negative (verify/eval/promote)
    usage = 2,          // bad command line or option value
    invalid_input = 3,  // malformed or corrupt file/content
    incompatible = 4,   // adapter/model/policy mismatch
    not_found = 5,
    conflict = 6,       // lock held, alias moved underneath us, exists already
    internal = 10,
};

struct Error {
    ErrorCode code = ErrorCode::internal;
    std::string id;       // stable machine-readable name, e.g. "format.bad_magic"
    std::string message;  // human text: file, field/offset, expected, found
};

inline Error make_error(ErrorCode code, std::string id, std::string message) {
    return Error{code, std::move(id), std::move(message)};
}

const char* error_code_name(ErrorCode code);

}  // namespace slm
