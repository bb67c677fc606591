// Terminal conventions shared by all commands: errors as "slmctl: error: ...",
// machine output as JSON on stdout, human notes on stderr.
#pragma once

#include <string>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace slmctl {

// Prints the error and returns its exit code (ARCHITECTURE.md §6).
int report_error(const slm::Error& error);

// Pretty JSON on stdout followed by a newline.
void print_json(const nlohmann::json& value);

bool stderr_is_tty();

// Human-readable note on stderr.
template <class... Args>
void note(fmt::format_string<Args...> format, Args&&... args) {
    fmt::print(stderr, format, std::forward<Args>(args)...);
}

std::string human_bytes(std::uint64_t bytes);

}  // namespace slmctl
