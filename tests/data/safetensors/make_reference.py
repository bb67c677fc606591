#!/usr/bin/env python3
"""Writes reference.safetensors, an independent fixture for
tests/unit/test_interop_safetensors.cpp.

No safetensors library is available offline, so the bytes are laid out by
hand from the format description with only struct and json:
u64 little-endian header length, JSON header padded with spaces to a multiple
of 8, then the tensor data. The header deliberately differs from what
slmctl's writer emits (pretty separators, insertion order, data stored out of
name order, F16 / BF16 / I64 tensors, a scalar and an empty tensor).

Run: python3 tests/data/safetensors/make_reference.py
"""
import json
import os
import struct


def f32(values):
    return struct.pack(f"<{len(values)}f", *values)


def f16(values):
    return struct.pack(f"<{len(values)}e", *values)


def bf16(values):
    # bfloat16 is the upper half of the float32 bit pattern; the values below are exact.
    out = b""
    for v in values:
        (bits,) = struct.unpack("<I", struct.pack("<f", v))
        assert bits & 0xFFFF == 0, v
        out += struct.pack("<H", bits >> 16)
    return out


# (name, dtype, shape, payload) in storage order.
TENSORS = [
    ("half.f16", "F16", [5], f16([1.0, -2.0, 65504.0, 2.0 ** -14, 2.0 ** -24])),
    ("brain.bf16", "BF16", [2, 2], bf16([1.0, -0.5, 3.140625, 256.0])),
    ("empty", "F32", [0, 4], b""),
    ("matrix.f32", "F32", [2, 3], f32([0.0, 1.0, -2.5, 3.25, 1e-3, -1e30])),
    ("ids.i64", "I64", [3], struct.pack("<3q", 1, 2, -3)),
    ("scalar", "F32", [], f32([7.5])),
]
METADATA = {"format": "pt", "producer": "make_reference.py"}


def main():
    header = {"__metadata__": METADATA}
    data = b""
    for name, dtype, shape, payload in TENSORS:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(payload)]}
        data += payload
    text = json.dumps(header).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    blob = struct.pack("<Q", len(text)) + text + data
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.safetensors")
    with open(path, "wb") as f:
        f.write(blob)
    print(f"wrote {path}: {len(blob)} bytes, header {len(text)} bytes")


if __name__ == "__main__":
    main()
