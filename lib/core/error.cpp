#include "core/error.hpp"

namespace slm {

const char* error_code_name(ErrorCode code) {
    switch (code) {
        case ErrorCode::check_failed: return "check_failed";
        case ErrorCode::usage: return "usage";
        case ErrorCode::invalid_input: return "invalid_input";
        case ErrorCode::incompatible: return "incompatible";
        case ErrorCode::not_found: return "not_found";
        case ErrorCode::conflict: return "conflict";
        case ErrorCode::internal: return "internal";
    }
    return "internal";
}

}  // namespace slm
