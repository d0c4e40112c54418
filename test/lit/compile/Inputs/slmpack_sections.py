#!/usr/bin/env python3
"""Compares the code and the weights sections of two .slmpack artifacts (docs/ARTIFACT.md).
  slmpack_sections.py A B   prints each section's size and whether the bytes are the same;
                            exits 1 when either differs."""
import struct
import sys


def sections(path):
    data = open(path, "rb").read()
    _, _, code_offset, code_size, weights_offset, weights_size = struct.unpack("<QQQQQQ", data[24:72])
    return {"code": data[code_offset:code_offset + code_size],
            "weights": data[weights_offset:weights_offset + weights_size]}


a, b = sections(sys.argv[1]), sections(sys.argv[2])
same = True
for name in ("code", "weights"):
    identical = a[name] == b[name]
    same &= identical
    print("%s: %d and %d bytes, %s" % (name, len(a[name]), len(b[name]),
                                       "identical" if identical else "DIFFERENT"))
sys.exit(0 if same else 1)
