#!/usr/bin/env python3
"""Compares slmc-logits output with a fixture's expected.safetensors (standard library only).

  expected_logits.py FOLDER|EXPECTED.json LOGITS.json TOL
      FOLDER/expected.safetensors holds `tokens` (I64 [n]) and `logits` (F32 [n, vocab]) from the
      plain-PyTorch reference (scripts/fixtures/llama_reference.py); EXPECTED.json is instead
      another run's slmc-logits (or slmrun --logits) JSON. LOGITS.json is slmc-logits run on those
      tokens. Prints PASS and the max |difference|, or FAIL and where.
"""
import json
import struct
import sys


def read_expected(path):
    data = open(path, "rb").read()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    base = 8 + size
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        fmt = {"I64": "q", "F32": "f"}[info["dtype"]]
        count = (end - begin) // struct.calcsize(fmt)
        out[name] = list(struct.unpack("<%d%s" % (count, fmt), data[base + begin:base + end]))
    return out


def main():
    folder, logits_path, tol = sys.argv[1], sys.argv[2], float(sys.argv[3])
    expected = (json.load(open(folder)) if folder.endswith(".json")
                else read_expected(folder + "/expected.safetensors"))
    got = json.load(open(logits_path))
    if got["tokens"] != expected["tokens"]:
        sys.exit("FAIL: slmc-logits ran on %s, not the fixture's tokens %s"
                 % (got["tokens"], expected["tokens"]))
    want = expected["logits"]
    if len(got["logits"]) != len(want):
        sys.exit("FAIL: %d logits, expected %d" % (len(got["logits"]), len(want)))
    worst = max(range(len(want)), key=lambda i: abs(got["logits"][i] - want[i]))
    diff = abs(got["logits"][worst] - want[worst])
    vocab = got["vocab"]
    if not diff <= tol:
        sys.exit("FAIL: token %d logit %d is %g, expected %g (|diff| %g > %g)"
                 % (worst // vocab, worst % vocab, got["logits"][worst], want[worst], diff, tol))
    print("PASS max |diff| %.2g" % diff)


if __name__ == "__main__":
    main()
