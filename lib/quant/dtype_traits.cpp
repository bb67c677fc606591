#include "quant/dtype_traits.hpp"

#include <array>
#include <cassert>
#include <cstring>

#include "quant/kernels.hpp"
#include "quant/q4_0.hpp"
#include "quant/q8_0.hpp"
#include "quant/row_checks.hpp"

namespace slm::quant {

namespace {

// f32 -------------------------------------------------------------------

std::uint64_t f32_value_bytes(std::uint64_t n) { return n * sizeof(float); }

Status f32_check_block_size(std::uint64_t, std::uint32_t block_size) {
    if (block_size == 0) return {};
    return make_error(ErrorCode::invalid_input, "quant.bad_block_size",
                      "f32: block size must be 0, found " + std::to_string(block_size));
}

void f32_dequantize_row(const void* values, const float*, std::uint32_t, float* out,
                        std::size_t n) {
    std::memcpy(out, values, n * sizeof(float));
}

Status f32_quantize_row(const float* x, std::size_t n, std::uint32_t block_size, void* values,
                        float*) {
    SLM_TRY(f32_check_block_size(n, block_size));
    const std::size_t bad = find_non_finite(x, n);
    if (bad != n) return non_finite_error("f32", bad, x[bad]);
    std::memcpy(values, x, n * sizeof(float));
    return {};
}

// q8_0 ------------------------------------------------------------------

std::uint64_t q8_0_value_bytes(std::uint64_t n) { return n; }

Status q8_0_check_block_size(std::uint64_t n, std::uint32_t block_size) {
    return check_block_shape("q8_0", n, block_size, false);
}

void q8_0_dequantize(const void* values, const float* scales, std::uint32_t block_size,
                     float* out, std::size_t n) {
    dequantize_row_q8_0(static_cast<const std::int8_t*>(values), scales, block_size, out, n);
}

Status q8_0_quantize(const float* x, std::size_t n, std::uint32_t block_size, void* values,
                     float* scales) {
    return quantize_row_q8_0_ref(x, n, block_size, static_cast<std::int8_t*>(values), scales);
}

// q4_0 ------------------------------------------------------------------

std::uint64_t q4_0_value_bytes(std::uint64_t n) { return n / 2; }

Status q4_0_check_block_size(std::uint64_t n, std::uint32_t block_size) {
    return check_block_shape("q4_0", n, block_size, true);
}

void q4_0_dequantize(const void* values, const float* scales, std::uint32_t block_size,
                     float* out, std::size_t n) {
    dequantize_row_q4_0(static_cast<const std::uint8_t*>(values), scales, block_size, out, n);
}

Status q4_0_quantize(const float* x, std::size_t n, std::uint32_t block_size, void* values,
                     float* scales) {
    return quantize_row_q4_0_ref(x, n, block_size, static_cast<std::uint8_t*>(values), scales);
}

Status q8_0_quantize_fast(const float* x, std::size_t n, std::uint32_t block_size, void* values,
                         float* scales) {
    if (active_kernels().quantize_q8_0(x, n, block_size, values, scales)) return {};
    return q8_0_quantize(x, n, block_size, values, scales);  // the reference's error
}

Status q4_0_quantize_fast(const float* x, std::size_t n, std::uint32_t block_size, void* values,
                         float* scales) {
    if (active_kernels().quantize_q4_0(x, n, block_size, values, scales)) return {};
    return q4_0_quantize(x, n, block_size, values, scales);
}

// Indexed by raw DType value - 1.
constexpr std::array<DTypeTraits, 3> k_traits = {{
    {DType::f32, "f32", false, 0, f32_value_bytes, f32_check_block_size, f32_dequantize_row,
     f32_quantize_row, f32_quantize_row},
    {DType::q8_0, "q8_0", true, k_default_block_size, q8_0_value_bytes, q8_0_check_block_size,
     q8_0_dequantize, q8_0_quantize, q8_0_quantize_fast},
    {DType::q4_0, "q4_0", true, k_default_block_size, q4_0_value_bytes, q4_0_check_block_size,
     q4_0_dequantize, q4_0_quantize, q4_0_quantize_fast},
}};

}  // namespace

const DTypeTraits& dtype_traits(DType dtype) {
    const DTypeTraits* traits = find_dtype_traits(static_cast<std::uint32_t>(dtype));
    assert(traits != nullptr);
    return *traits;
}

const DTypeTraits* find_dtype_traits(std::uint32_t raw) {
    if (raw == 0 || raw > k_traits.size()) return nullptr;
    return &k_traits[raw - 1];
}

const DTypeTraits* find_dtype_traits(std::string_view name) {
    for (const DTypeTraits& t : k_traits) {
        if (t.name == name) return &t;
    }
    return nullptr;
}

std::span<const DTypeTraits> all_dtype_traits() { return k_traits; }

}  // namespace slm::quant
