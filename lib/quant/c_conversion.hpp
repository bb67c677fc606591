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

// float_to_int8_like_x86(roundf(v)) without a libm call: roundf rounds
// halfway cases away from zero. Exact for every float: below 2^23 the
// fraction v - trunc(v) is computed exactly; above, v is an integer.
inline std::int8_t round_to_int8_like_x86(float v) {
    if (!(v >= -2147483648.0f && v < 2147483648.0f)) return 0;
    const std::int32_t i = static_cast<std::int32_t>(v);
    const float fraction = v - static_cast<float>(i);
    // Branch-free: the fraction's side of +-0.5 is random for real weights.
    const std::int32_t step = static_cast<std::int32_t>(fraction >= 0.5f) -
                              static_cast<std::int32_t>(fraction <= -0.5f);
    return static_cast<std::int8_t>(i + step);
}

}  // namespace slm::quant
