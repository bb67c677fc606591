// IEEE 754 binary16 ("fp16") <-> binary32 conversions.
//
// fp32_to_fp16 rounds to nearest, ties to even, exactly like the x86 F16C
// instruction `vcvtps2ph` with imm8 = 0 (ggml's GGML_FP32_TO_FP16 on x86) and
// ggml's portable `ggml_compute_fp32_to_fp16`:
//   - values below half of the smallest fp16 subnormal (2^-25) become +-0,
//     values in [2^-25, 2^-14) become fp16 subnormals (correctly rounded),
//   - values that round to 65520 or more become +-inf,
//   - NaN stays NaN with its sign; the quiet bit is set and the top 9 payload
//     bits are kept (as F16C does; ggml's portable code returns 0x7E00 instead,
//     which is the same for the default NaN).
// The conversion is done on the bit pattern with integer arithmetic, so it
// does not depend on the floating-point environment (FMA contraction, DAZ/FTZ).
#pragma once

#include <cstdint>

namespace slm::quant {

std::uint16_t fp32_to_fp16(float f);

// Exact: every fp16 value (subnormals and +-inf included) is representable in
// fp32. A signalling NaN comes back quiet, as with F16C's vcvtph2ps.
float fp16_to_fp32(std::uint16_t h);

// fp16_to_fp32(fp32_to_fp16(f)): the value a scale has after being stored as
// ggml's fp16 and widened again.
inline float round_to_fp16(float f) { return fp16_to_fp32(fp32_to_fp16(f)); }

}  // namespace slm::quant
