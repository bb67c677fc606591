// C's float -> int8_t conversion, pinned down where C leaves it undefined.
#pragma once

#include <cstdint>

namespace slm::quant {

// (int8_t)v as ggml's reference quantizers compile on x86-64: truncation
// toward zero to int32 (cvttss2si), then the low byte. NaN, +-inf and values
// outside int32 give the "integer indefinite" 0x80000000, whose low byte is 0.
// The quantizers only reach that case when 1/d overflows, where the stored
// scale is 0 and the value does not matter; fixing it keeps output identical
// on every platform.
inline std::int8_t float_to_int8_like_x86(float v) {
    const std::int32_t i = (v >= -2147483648.0f && v < 2147483648.0f)
                               ? static_cast<std::int32_t>(v)
                               : INT32_MIN;
    return static_cast<std::int8_t>(i);  // modular since C++20
}

}  // namespace slm::quant
