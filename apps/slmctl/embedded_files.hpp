// Files built into the slmctl binary (cmake/EmbedFiles.cmake): the WASM
// runtime, its JS loader and the browser app, so `slmctl runtime wasm` and
// `slmctl serve` need nothing next to the binary.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace slmctl {

// The bytes of an embedded file ("slm_runtime.wasm", "slm.mjs", "index.html",
// ...); empty if this build has no such file.
std::span<const std::uint8_t> embedded_file(std::string_view name);
std::vector<std::string_view> embedded_file_names();

}  // namespace slmctl
