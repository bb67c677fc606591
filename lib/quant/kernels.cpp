// Run-time selection of the kernel set (see kernels.hpp).
#include "quant/kernels.hpp"

#include <atomic>
#include <cstdlib>
#include <string>

#include "quant/ggml_compat.hpp"
#include "quant/ggml_compat_x86.hpp"
#include "quant/kernels_wasm.hpp"
#include "quant/kernels_x86.hpp"
#include "quant/q4_0.hpp"
#include "quant/q8_0.hpp"

namespace slm::quant {

namespace {

constexpr KernelSet k_scalar{"scalar", dot_f32_ref, dots_f32_ref, axpys_f32_ref, dots_f16_ref, axpys_f16_ref,
                             ggml::softmax_ref, ggml::silu_mul_ref,
                             dot_q8_0_ref, dot_q4_0_ref,
                             quantize_act_q8_0_ref, rows_q8_0_q8_0_ref, rows_q4_0_q8_0_ref,
                             rows_q8_0_packed_ref, rows_q4_0_packed_ref, quantize_q8_0_ref, quantize_q4_0_ref};

#if defined(__x86_64__)
// The AVX-512 sets reuse the AVX2 quantizers, and the plain one also AVX2's
// int8 kernels (see kernels_x86.hpp).
constexpr KernelSet k_avx2{"avx2", dot_f32_avx2, dots_f32_avx2, axpys_f32_avx2, dots_f16_avx2, axpys_f16_avx2,
                           ggml::softmax_avx2, ggml::silu_mul_avx2,
                           dot_q8_0_avx2, dot_q4_0_avx2,
                           quantize_act_q8_0_avx2, rows_q8_0_q8_0_avx2, rows_q4_0_q8_0_avx2,
                           rows_q8_0_packed_avx2, rows_q4_0_packed_avx2, quantize_q8_0_avx2, quantize_q4_0_avx2};
constexpr KernelSet k_avxvnni{"avxvnni", dot_f32_avx2, dots_f32_avx2, axpys_f32_avx2, dots_f16_avx2, axpys_f16_avx2,
                              ggml::softmax_avx2, ggml::silu_mul_avx2,
                              dot_q8_0_avx2, dot_q4_0_avx2,
                              quantize_act_q8_0_avx2, rows_q8_0_q8_0_avxvnni, rows_q4_0_q8_0_avxvnni,
                              rows_q8_0_packed_avxvnni, rows_q4_0_packed_avxvnni, quantize_q8_0_avx2, quantize_q4_0_avx2};
constexpr KernelSet k_avx512{"avx512", dot_f32_avx512, dots_f32_avx512, axpys_f32_avx512, dots_f16_avx2, axpys_f16_avx2,
                             ggml::softmax_avx2, ggml::silu_mul_avx2,
                             dot_q8_0_avx512, dot_q4_0_avx512,
                             quantize_act_q8_0_avx2, rows_q8_0_q8_0_avx2, rows_q4_0_q8_0_avx2,
                             rows_q8_0_packed_avx2, rows_q4_0_packed_avx2, quantize_q8_0_avx2, quantize_q4_0_avx2};
constexpr KernelSet k_avx512vnni{"avx512vnni", dot_f32_avx512, dots_f32_avx512, axpys_f32_avx512, dots_f16_avx2, axpys_f16_avx2,
                                 ggml::softmax_avx2, ggml::silu_mul_avx2,
                                 dot_q8_0_avx512, dot_q4_0_avx512,
                                 quantize_act_q8_0_avx2, rows_q8_0_q8_0_avx512vnni, rows_q4_0_q8_0_avx512vnni,
                                 rows_q8_0_packed_avx512vnni, rows_q4_0_packed_avx512vnni,
                                 quantize_q8_0_avx2, quantize_q4_0_avx2};

bool cpu_has_avx2() {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}

// GCC's and clang's checks include the OS (XCR0) enabling the ZMM state.
bool cpu_has_avx512() { return cpu_has_avx2() && __builtin_cpu_supports("avx512f"); }
bool cpu_has_avx512vnni() { return cpu_has_avx512() && __builtin_cpu_supports("avx512vnni"); }
bool cpu_has_avxvnni() { return cpu_has_avx2() && __builtin_cpu_supports("avxvnni"); }
#endif

#if defined(__wasm_simd128__)
// A module built with SIMD128 only instantiates where it is supported.
constexpr KernelSet k_simd128{"simd128", dot_f32_simd128, dots_f32_simd128, axpys_f32_simd128, dots_f16_ref, axpys_f16_ref,
                              softmax_libm, silu_mul_libm,
                              dot_q8_0_simd128, dot_q4_0_simd128,
                              quantize_act_q8_0_ref, rows_q8_0_q8_0_simd128, rows_q4_0_q8_0_simd128,
                              nullptr, nullptr, quantize_q8_0_ref, quantize_q4_0_ref};
#endif

// Best first.
std::vector<const KernelSet*> supported_best_first() {
    std::vector<const KernelSet*> sets;
#if defined(__x86_64__)
    if (cpu_has_avx512vnni()) sets.push_back(&k_avx512vnni);
    if (cpu_has_avx512()) sets.push_back(&k_avx512);
    if (cpu_has_avxvnni()) sets.push_back(&k_avxvnni);
    if (cpu_has_avx2()) sets.push_back(&k_avx2);
#endif
#if defined(__wasm_simd128__)
    sets.push_back(&k_simd128);
#endif
    sets.push_back(&k_scalar);
    return sets;
}

const KernelSet* initial_set() {
    const char* env = std::getenv("SLM_KERNEL");
    const KernelSet* set = env != nullptr ? find_kernel_set(env) : nullptr;
    return set != nullptr ? set : find_kernel_set("auto");
}

std::atomic<const KernelSet*> g_active{nullptr};

}  // namespace

bool quantize_q8_0_ref(const float* x, std::size_t n, std::size_t block_size, void* values, float* scales) {
    return quantize_row_q8_0_ref(x, n, block_size, static_cast<std::int8_t*>(values), scales).ok();
}

bool quantize_q4_0_ref(const float* x, std::size_t n, std::size_t block_size, void* values, float* scales) {
    return quantize_row_q4_0_ref(x, n, block_size, static_cast<std::uint8_t*>(values), scales).ok();
}

const KernelSet& active_kernels() {
    const KernelSet* set = g_active.load(std::memory_order_acquire);
    if (set == nullptr) {
        // Racing first calls compute the same answer; one of them stores it.
        const KernelSet* expected = nullptr;
        set = initial_set();
        if (!g_active.compare_exchange_strong(expected, set, std::memory_order_acq_rel)) {
            set = expected;
        }
    }
    return *set;
}

std::string_view kernel_name() { return active_kernels().name; }

const KernelSet* find_kernel_set(std::string_view name) {
    const auto sets = supported_best_first();
    if (name == "auto") return sets.front();
    for (const KernelSet* set : sets) {
        if (set->name == name) return set;
    }
    return nullptr;
}

std::vector<const KernelSet*> supported_kernel_sets() {
    auto sets = supported_best_first();
    return {sets.rbegin(), sets.rend()};
}

Status select_kernels(std::string_view name) {
    const KernelSet* set = find_kernel_set(name);
    if (set == nullptr) {
        std::string available;
        for (const KernelSet* s : supported_kernel_sets()) {
            available += available.empty() ? "" : ", ";
            available += s->name;
        }
        return make_error(ErrorCode::usage, "quant.kernel_unavailable",
                          "kernel set '" + std::string(name) +
                              "' is not available on this build/CPU (available: auto, " +
                              available + ")");
    }
    g_active.store(set, std::memory_order_release);
    return {};
}

}  // namespace slm::quant
