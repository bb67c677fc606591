// Helpers shared by the tokenizer sources (not part of the public API).
#pragma once

#include <string>

#include "core/error.hpp"
#include "format/tokenizer_section.hpp"

namespace slm::tokenizer {

inline Error tokenizer_error(std::string id, std::string message) {
    return make_error(ErrorCode::invalid_input, std::move(id), "tokenizer: " + std::move(message));
}

// Token types whose text is part of the decoded output (and may be matched
// when encoding); control, unknown and unused tokens produce nothing.
inline bool produces_text(format::TokenType t) {
    return t == format::TokenType::normal || t == format::TokenType::byte ||
           t == format::TokenType::user_defined;
}

}  // namespace slm::tokenizer
