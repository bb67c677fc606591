#!/usr/bin/env python3
"""Writes golden.txt: expected q8_0 / q4_0 / fp16 results for test_quant_golden.cpp.

This is an independent transcription of ggml's reference C code
(ggml-quants.c `quantize_row_q8_0_ref`, `quantize_row_q4_0_ref`; ggml-impl.h
`GGML_FP32_TO_FP16`), written from the published algorithm, not from the
C++ under test. Plain Python 3 with `struct` only:

- float32 arithmetic: every operation is done on Python floats (binary64) and
  rounded to binary32 at once (`f32`). For +, -, *, / of binary32 operands
  this double rounding gives the correctly rounded binary32 result, because
  53 >= 2 * 24 + 2.
- fp16: struct's 'e' format, which rounds to nearest even (subnormals
  included); values that round past 65504 become +-inf, as F16C does.
- roundf: half away from zero. (int8_t) of a float: truncation toward zero;
  NaN/inf give 0 (x86-64's cvttss2si yields 0x80000000, low byte 0).

Usage: python3 make_golden.py > golden.txt   (deterministic: fixed seed)
"""

import math
import random
import struct

# --- binary32 / binary16 helpers ------------------------------------------


def f32(x):
    """Rounds a Python float to the nearest binary32 value (inf on overflow)."""
    try:
        return struct.unpack("<f", struct.pack("<f", x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def f32_bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def f32_from_bits(b):
    return struct.unpack("<f", struct.pack("<I", b))[0]


def fp16_bits(x):
    """GGML_FP32_TO_FP16 for a finite or infinite binary32 value."""
    try:
        return struct.unpack("<H", struct.pack("<e", x))[0]
    except OverflowError:
        return 0xFC00 if math.copysign(1.0, x) < 0 else 0x7C00


def fp16_to_f32(h):
    return struct.unpack("<e", struct.pack("<H", h))[0]


def roundf(x):
    """C roundf: nearest integer, halfway cases away from zero."""
    if math.isinf(x) or math.isnan(x):
        return x
    a = abs(x)
    r = math.floor(a)
    if a - r >= 0.5:
        r += 1
    return math.copysign(r, x)


def to_int8(x):
    """(int8_t)x for a float, as x86-64 builds of ggml compute it."""
    if math.isnan(x) or not (-2147483648.0 <= x < 2147483648.0):
        i = -2147483648
    else:
        i = math.trunc(x)
    return ((i + 128) % 256) - 128


# --- ggml reference quantizers, one block ---------------------------------


def quantize_block_q8_0(x):
    amax = 0.0
    for v in x:
        a = abs(v)
        amax = amax if amax > a else a  # MAX(amax, fabsf(v))
    d = f32(amax / 127.0)
    ident = f32(1.0 / d) if d != 0.0 else 0.0
    q = [to_int8(roundf(f32(v * ident))) for v in x]
    return q, fp16_bits(d)


def quantize_block_q4_0(x):
    amax = 0.0
    mx = 0.0
    for v in x:
        if amax < abs(v):
            amax = abs(v)
            mx = v
    d = f32(mx / -8.0)
    ident = f32(1.0 / d) if d != 0.0 else 0.0
    half = len(x) // 2
    packed = []
    for j in range(half):
        x0 = f32(x[j] * ident)
        x1 = f32(x[j + half] * ident)
        xi0 = min(15, to_int8(f32(x0 + 8.5))) & 0xFF
        xi1 = min(15, to_int8(f32(x1 + 8.5))) & 0xFF
        packed.append((xi0 | (xi1 << 4)) & 0xFF)
    return packed, fp16_bits(d)


# --- cases ----------------------------------------------------------------

TINY = f32_from_bits(0x00000001)  # smallest binary32 subnormal
MIN_NORMAL = f32_from_bits(0x00800000)


def cases(rng):
    """Yields (name, block_size, x) with x a list of binary32 values."""

    def gauss(n, sigma):
        return [f32(rng.gauss(0.0, sigma)) for _ in range(n)]

    def uniform(n, lo, hi):
        return [f32(rng.uniform(lo, hi)) for _ in range(n)]

    yield "zeros", 32, [0.0] * 32
    yield "negative_zeros", 32, [-0.0] * 32
    yield "single_one", 32, [0.0] * 7 + [1.0] + [0.0] * 24
    yield "single_minus_one", 32, [0.0] * 7 + [-1.0] + [0.0] * 24
    # Equal magnitudes with different signs: the first one sets the sign of
    # q4_0's scale; the opposite one saturates at nibble 15.
    yield "tie_pos_first", 32, [8.0, -8.0] + [0.0] * 30
    yield "tie_neg_first", 32, [-8.0, 8.0] + [0.0] * 30
    yield "tie_late", 32, [0.5] * 20 + [-3.0, 3.0, -3.0] + [1.0] * 9
    yield "tie_all_same", 32, [-2.25] * 32
    # Exact halves: roundf rounds them away from zero (RNE would not).
    yield "halves_q8", 32, [127.0] + [k + 0.5 for k in range(-15, 16)]
    yield "halves_q4", 32, [-8.0] + [k / 2.0 for k in range(-15, 16)]
    yield "integers", 32, [float(k) for k in range(-16, 16)]
    # Subnormal inputs: all tiny (1/d overflows), mixed with normals, and
    # around the point where 1/d stops overflowing.
    yield "denormal_all", 32, [TINY * (k + 1) * (1 if k % 2 else -1) for k in range(32)]
    yield "denormal_max", 32, [f32_from_bits(0x007FFFFF)] + [f32_from_bits(0x00012345 + k) for k in range(31)]
    yield "denormal_with_normal", 32, [MIN_NORMAL * 4.0] + [TINY * 3 * k for k in range(31)]
    yield "near_inv_overflow", 32, [f32(2.0 ** -125 * (1 + k / 64.0)) for k in range(32)]
    yield "near_inv_overflow_q8", 32, [f32(2.0 ** -121 * (1 + k / 64.0)) for k in range(32)]
    # Scales below fp16's range: stored as 0 while the values are not.
    yield "tiny_scale", 32, uniform(32, -1e-9, 1e-9)
    yield "fp16_subnormal_scale", 32, uniform(32, -2e-5, 2e-5)
    # Scales at and past fp16's top: 65504 * 127, just past it, far past it.
    yield "huge_fits_q8", 32, [f32(65504.0 * 127.0)] + uniform(31, -1e6, 1e6)
    yield "huge_overflow_q8", 32, [f32(65520.0 * 127.0)] + uniform(31, -1e6, 1e6)
    yield "huge_fits_q4", 32, [f32(-65504.0 * 8.0)] + uniform(31, -1e5, 1e5)
    yield "huge_overflow_q4", 32, [f32(65520.0 * 8.0)] + uniform(31, -1e5, 1e5)
    yield "float_max", 32, [f32_from_bits(0x7F7FFFFF)] + uniform(31, -1.0, 1.0)
    # Typical weights and awkward distributions, several blocks per row.
    for i in range(6):
        yield "gauss_%d" % i, 32, gauss(32 * 4, 0.02 * (i + 1))
    yield "uniform", 32, uniform(32 * 8, -1.0, 1.0)
    yield "wide_range", 32, [f32(math.copysign(math.exp(rng.uniform(-40, 10)), rng.uniform(-1, 1)))
                             for _ in range(32 * 8)]
    outliers = gauss(32 * 4, 0.05)
    outliers[5] = 3.0
    outliers[70] = -4.0
    yield "outliers", 32, outliers
    # Other block sizes (each divides the row; q4_0 needs even ones).
    for bs in (2, 4, 6, 8, 16, 48, 64, 128):
        yield "block_%d" % bs, bs, gauss(bs * 3, 0.1)


def hex_words(values):
    return " ".join("%08x" % f32_bits(v) for v in values)


def main():
    rng = random.Random(20240601)
    out = []
    out.append("# Generated by make_golden.py; do not edit. Regenerate with")
    out.append("#   python3 tests/data/quant/make_golden.py > tests/data/quant/golden.txt")
    out.append("# case <dtype> <name> <block_size> <n>, then x (f32 bits), q (value bytes,")
    out.append("# hex), d (stored scale as f32 bits = fp16 scale widened), end.")
    for name, bs, x in cases(rng):
        assert len(x) % bs == 0
        x = [f32(v) for v in x]
        for dtype, quantize in (("q8_0", quantize_block_q8_0), ("q4_0", quantize_block_q4_0)):
            if dtype == "q4_0" and bs % 2:
                continue
            q_bytes = []
            scales = []
            for b in range(0, len(x), bs):
                q, h = quantize(x[b:b + bs])
                q_bytes.extend(v & 0xFF for v in q)
                scales.append(fp16_to_f32(h))
            out.append("case %s %s %d %d" % (dtype, name, bs, len(x)))
            out.append("x " + hex_words(x))
            out.append("q " + "".join("%02x" % v for v in q_bytes))
            out.append("d " + hex_words(scales))
            out.append("end")

    # fp16 conversion vectors: f32 bits -> fp16 bits.
    special = [
        0x00000000, 0x80000000, 0x3F800000, 0xBF800000, 0x477FE000, 0x477FEFFF, 0x477FF000,
        0x477FFFFF, 0x47800000, 0x7F7FFFFF, 0x7F800000, 0xFF800000, 0x38800000, 0x387FFFFF,
        0x387FE000, 0x387FF000, 0x33800000, 0x33000000, 0x33000001, 0x32FFFFFF, 0x00000001,
        0x3F801000, 0x3F803000, 0x3F801001, 0x3F802FFF, 0x33C00000, 0x34200000, 0x34600000,
        0xB3C00000, 0x3DCCCCCD, 0x3EAAAAAB, 0x40490FDB, 0x42F6E979, 0xC479C000,
    ]
    for _ in range(300):
        special.append(rng.getrandbits(32) & 0xFFFFFFFF)
    for bits in special:
        v = f32_from_bits(bits)
        if math.isnan(v):
            continue
        out.append("f16 %08x %04x" % (bits, fp16_bits(v)))
    print("\n".join(out))


if __name__ == "__main__":
    main()
