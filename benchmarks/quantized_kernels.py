#!/usr/bin/env python3
"""Compiled TinyStories-656K with quantized weights against f32, measured in the same run.

Compiles the model once per weight format (`slmc compile --quant FORMAT`) and
prints the artifact size, generation (decode) and perplexity-evaluation
(prefill) tokens/s with their ratio to f32, and what `slmc eval --teacher`
reports against the f32 model: bits per weight, perplexity, KL. With a slmc
that has `slmc compile --w8a8`, int8 is also measured with W8A8. Every speed
is the median of several runs: the machine is shared and noisy.

Usage: benchmarks/quantized_kernels.py [--build build] [--runs 5] [--target host] [--threads 1]
"""
import argparse
import json
import os
import statistics
import tempfile

from bench_common import DATA, ROOT, TEXT, cpu_name, decode_rate, prefill_rate, run, slmc_path

MODEL = os.path.join(DATA, "tinystories-656k")
# (label, slmc compile flags); int3-g32 runs the generic kernel.
FORMATS = [
    ("f32", []),
    ("int8", ["--quant", "int8"]),
    ("int8-g32", ["--quant", "int8-g32"]),
    ("int4-g32", ["--quant", "int4-g32"]),
    ("int4-g32-asym", ["--quant", "int4-g32-asym"]),
    ("int3-g32", ["--quant", "int3-g32"]),
]
W8A8 = ("int8 w8a8", ["--quant", "int8", "--w8a8"])








def quality(slmc, artifact, threads):
    out = run([slmc, "eval", artifact, "--text", TEXT, "--ctx", "128", "--teacher", MODEL,
               "--json", "--threads", str(threads)]).stdout
    return json.loads(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--target", default="host")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    slmc = slmc_path(args.build)

    formats = list(FORMATS)
    usage = run([slmc, "compile", "--help"])
    if "--w8a8" in usage.stdout + usage.stderr:
        formats.append(W8A8)
    else:
        print("(this slmc has no `slmc compile --w8a8`: W8A8 is not measured)")
    print("machine: %s, %d CPUs; TinyStories-656K; target %s; threads %d; speeds are medians "
          "of %d runs" % (cpu_name(), os.cpu_count(), args.target, args.threads, args.runs))
    print()
    print("%-14s %10s %10s %7s %10s %7s %7s %8s %9s" % (
        "weights", "artifact B", "decode", "ratio", "prefill", "ratio", "bpw", "ppl",
        "KL"))
    with tempfile.TemporaryDirectory() as tmp:
        base = None
        for label, flags in formats:
            artifact = os.path.join(tmp, label.replace(" ", "-") + ".slmpack")
            run([slmc, "compile", MODEL, "--target", args.target, *flags, "-o", artifact])
            decode = statistics.median(decode_rate(slmc, [artifact], args.threads)
                                       for _ in range(args.runs))
            prefill = statistics.median(prefill_rate(slmc, [artifact], args.threads)
                                        for _ in range(args.runs))
            q = quality(slmc, artifact, args.threads)
            base = base or (decode, prefill)
            print("%-14s %10d %10.0f %6.2fx %10.0f %6.2fx %7.2f %8.3f %9.5f" % (
                label, os.path.getsize(artifact), decode, decode / base[0], prefill,
                prefill / base[1], q["bpw"], q["ppl"], q["kl_to_teacher"]))
    print()
    print("decode: tokens/s of `slmc run -n 256`; prefill: tokens/s of `slmc eval --ctx 128` "
          "(128-token windows in calls of 64, all logits); bpw, ppl and KL to the f32 model "
          "from `slmc eval --teacher`.")




if __name__ == "__main__":
    main()
