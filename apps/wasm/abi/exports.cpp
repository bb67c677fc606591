// The exported C functions of slm_runtime.wasm: pointer and length checks,
// then the Engine. Documented in docs/wasm-abi.md.
#include <cstdlib>
#include <string_view>

#include "engine.hpp"
#include "slm_abi.h"

#define SLM_EXPORT(name) extern "C" __attribute__((export_name(#name)))

namespace {

slm::wasm::Engine& engine() {
    static slm::wasm::Engine e;
    return e;
}

// A caller's (pointer, length) must lie inside linear memory; a null pointer
// is refused even with length 0, since it is always a caller bug here.
bool in_memory(const void* ptr, std::uint32_t length) {
    const auto begin = reinterpret_cast<std::uintptr_t>(ptr);
#if defined(__wasm__)
    const std::uintptr_t size = __builtin_wasm_memory_size(0) * 65536ull;
#else
    const std::uintptr_t size = UINTPTR_MAX;
#endif
    return ptr != nullptr && begin <= size && length <= size - begin;
}

int bad_range(const char* what, const void* ptr, std::uint32_t length) {
    return engine().fail(SLM_E_BAD_ARGUMENT,
                         std::string("wasm.bad_argument: ") + what +
                             (ptr == nullptr ? " pointer is null"
                                             : " (pointer " + std::to_string(reinterpret_cast<std::uintptr_t>(ptr)) +
                                                   ", length " + std::to_string(length) +
                                                   ") is not inside the module's memory"));
}

std::string_view text(const std::uint8_t* p, std::uint32_t n) { return {reinterpret_cast<const char*>(p), n}; }

}  // namespace

SLM_EXPORT(slm_abi_version) std::uint32_t slm_abi_version(void) { return SLM_ABI_VERSION; }
SLM_EXPORT(slm_alloc) void* slm_alloc(std::uint32_t size) { return std::malloc(size == 0 ? 1 : size); }
SLM_EXPORT(slm_free) void slm_free(void* ptr) { std::free(ptr); }

SLM_EXPORT(slm_load_model) std::int32_t slm_load_model(const std::uint8_t* bytes, std::uint32_t length) {
    if (!in_memory(bytes, length)) return bad_range("model", bytes, length);
    return engine().load_model(slm::Bytes(bytes, length));
}

SLM_EXPORT(slm_release_model) std::int32_t slm_release_model(void) { return engine().release_model(); }
SLM_EXPORT(slm_reset) std::int32_t slm_reset(void) { return engine().reset(); }

SLM_EXPORT(slm_configure)
std::int32_t slm_configure(std::uint32_t max_tokens, float temperature, std::int32_t top_k, float top_p,
                           float repeat_penalty, double seed) {
    return engine().configure(max_tokens, temperature, top_k, top_p, repeat_penalty, seed);
}

SLM_EXPORT(slm_set_flags) std::int32_t slm_set_flags(std::uint32_t flags) { return engine().set_flags(flags); }

SLM_EXPORT(slm_generate) std::int32_t slm_generate(const std::uint8_t* prompt, std::uint32_t length) {
    if (!in_memory(prompt, length)) return bad_range("prompt", prompt, length);
    return engine().generate(text(prompt, length));
}

SLM_EXPORT(slm_begin) std::int32_t slm_begin(const std::uint8_t* prompt, std::uint32_t length) {
    if (!in_memory(prompt, length)) return bad_range("prompt", prompt, length);
    return engine().begin(text(prompt, length));
}

SLM_EXPORT(slm_step) std::int32_t slm_step(void) { return engine().step(); }
SLM_EXPORT(slm_diagnostics) std::int32_t slm_diagnostics(void) { return engine().diagnostics(); }

SLM_EXPORT(slm_result_ptr) const std::uint8_t* slm_result_ptr(void) {
    return reinterpret_cast<const std::uint8_t*>(engine().result().data());
}
SLM_EXPORT(slm_result_len) std::uint32_t slm_result_len(void) {
    return static_cast<std::uint32_t>(engine().result().size());
}
SLM_EXPORT(slm_tokens_ptr) const std::uint32_t* slm_tokens_ptr(void) { return engine().tokens().data(); }
SLM_EXPORT(slm_tokens_len) std::uint32_t slm_tokens_len(void) {
    return static_cast<std::uint32_t>(engine().tokens().size());
}
SLM_EXPORT(slm_last_error_ptr) const char* slm_last_error_ptr(void) { return engine().last_error().data(); }
SLM_EXPORT(slm_last_error_len) std::uint32_t slm_last_error_len(void) {
    return static_cast<std::uint32_t>(engine().last_error().size());
}
