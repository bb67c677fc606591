// Progress reporting from long library work (hashing, quantizing, evals).
// The library only calls the function; apps/ decides whether and how to draw.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace slm {

// stage: short label ("checksum", "sha256"); done/total in the stage's units.
using ProgressFn = std::function<void(std::string_view stage, std::uint64_t done, std::uint64_t total)>;

}  // namespace slm
