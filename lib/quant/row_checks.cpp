#include "quant/row_checks.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace slm::quant {

namespace {

std::string format_float(float v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
    return buf;
}

}  // namespace

Status check_block_shape(std::string_view dtype, std::size_t n, std::size_t block_size,
                         bool even_block) {
    std::string what;
    if (block_size == 0) {
        what = "block size 0";
    } else if (n % block_size != 0) {
        what = "block size " + std::to_string(block_size) + " does not divide the row length " +
               std::to_string(n);
    } else if (even_block && block_size % 2 != 0) {
        what = "block size " + std::to_string(block_size) + " is odd (two values share a byte)";
    } else {
        return {};
    }
    return make_error(ErrorCode::invalid_input, "quant.bad_block_size",
                      std::string(dtype) + ": " + what);
}

std::size_t find_non_finite(const float* x, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        if (!std::isfinite(x[i])) return i;
    }
    return n;
}

Error non_finite_error(std::string_view dtype, std::size_t index, float value) {
    const char* kind = std::isnan(value) ? "NaN" : (value > 0 ? "+inf" : "-inf");
    return make_error(ErrorCode::invalid_input, "quant.non_finite",
                      std::string(dtype) + ": element " + std::to_string(index) + " is " + kind +
                          "; only finite values can be quantized");
}

Error scale_overflow_error(std::string_view dtype, std::size_t block, std::size_t block_size,
                           float max_abs, float limit) {
    return make_error(
        ErrorCode::invalid_input, "quant.scale_overflow",
        std::string(dtype) + ": block " + std::to_string(block) + " (elements " +
            std::to_string(block * block_size) + ".." +
            std::to_string((block + 1) * block_size - 1) + ") has |x| up to " +
            format_float(max_abs) + "; its fp16 scale would overflow (|x| must stay below about " +
            format_float(limit) + ")");
}

float max_abs(const float* x, std::size_t n) {
    float m = 0.0f;
    for (std::size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(x[i]));
    return m;
}

}  // namespace slm::quant
