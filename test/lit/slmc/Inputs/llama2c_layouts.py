#!/usr/bin/env python3
"""Rewrites a legacy llama2.c checkpoint (shared classifier) in another layout:
  version1  - llama2.c export.py's "version 1" fp32 format (magic 0x616b3432)
  unshared  - legacy layout with its own classifier (negative vocab_size)
The weights are the same, so every layout must generate the same text.
Usage: llama2c_layouts.py LAYOUT IN.bin OUT.bin"""
import struct
import sys

layout, src, dst = sys.argv[1:4]
data = open(src, "rb").read()
dim, hidden, layers, heads, kv_heads, vocab, seq_len = struct.unpack("<7i", data[:28])
assert vocab > 0, "expects a shared-classifier legacy file"
head = dim // heads
kv_dim = kv_heads * head
floats = 4
sizes = [("embed", vocab * dim), ("rms_att", layers * dim), ("wq", layers * dim * dim),
         ("wk", layers * kv_dim * dim), ("wv", layers * kv_dim * dim), ("wo", layers * dim * dim),
         ("rms_ffn", layers * dim), ("w1", layers * hidden * dim), ("w2", layers * dim * hidden),
         ("w3", layers * hidden * dim), ("rms_final", dim), ("freq_cis", seq_len * head)]
parts, offset = {}, 28
for name, count in sizes:
    parts[name] = data[offset:offset + count * floats]
    offset += count * floats
assert offset == len(data)

if layout == "version1":
    header = struct.pack("<Ii7iB", 0x616B3432, 1, dim, hidden, layers, heads, kv_heads, vocab, seq_len, 1)
    header += b"\0" * (256 - len(header))
    order = ["rms_att", "rms_ffn", "rms_final", "embed", "wq", "wk", "wv", "wo", "w1", "w2", "w3"]
    open(dst, "wb").write(header + b"".join(parts[n] for n in order))
elif layout == "unshared":
    header = struct.pack("<7i", dim, hidden, layers, heads, kv_heads, -vocab, seq_len)
    open(dst, "wb").write(header + data[28:] + parts["embed"])
else:
    sys.exit("unknown layout " + layout)
