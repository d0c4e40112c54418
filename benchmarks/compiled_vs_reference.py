#!/usr/bin/env python3
"""Compiled artifacts against the reference executor, measured in the same run.

Prints, for the bundled models: compile time and artifact size, generation
(decode) tokens/s and perplexity-evaluation (prefill) tokens/s of the compiled
artifact and of the reference executor, with their ratio; and the stripped size
of the tiny runtime. Every figure is the median of several runs: the machine is
shared and noisy.

Usage: benchmarks/compiled_vs_reference.py [--build build] [--runs 5] [--target host] [--threads 0]
"""
import argparse
import os
import shutil
import statistics
import tempfile
import time

from bench_common import DATA, ROOT, cpu_name, decode_rate, prefill_rate, run, slmc_path

MODELS = [
    ("stories260K", [os.path.join(DATA, "stories260K", "stories260K.bin"),
                     "--tokenizer", os.path.join(DATA, "stories260K", "tok512.bin")]),
    ("stories260K ONNX", [os.path.join(DATA, "stories260K", "model.onnx"),
                          "--tokenizer", os.path.join(DATA, "stories260K", "tok512.bin")]),
    ("TinyStories-656K", [os.path.join(DATA, "tinystories-656k")]),
    ("TS-656K ONNX", [os.path.join(DATA, "tinystories-656k", "model.onnx"),
                      "--tokenizer", os.path.join(DATA, "tinystories-656k", "tokenizer.json")]),
    ("TS-656K ONNX past", [os.path.join(DATA, "onnx-with-past", "model.onnx"),
                           "--tokenizer", os.path.join(DATA, "tinystories-656k", "tokenizer.json")]),
]


def median_of(runs, fn):
    return statistics.median(fn() for _ in range(runs))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--target", default="host")
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    slmc = slmc_path(args.build)

    runtime = os.path.join(args.build, "runtime", "libslmrt.so")
    with tempfile.TemporaryDirectory() as tmp:
        stripped = os.path.join(tmp, "libslmrt.so")
        shutil.copy(runtime, stripped)
        run(["strip", stripped])
        print("libslmrt.so stripped: %d bytes" % os.path.getsize(stripped))
        print("machine: %s, %d CPUs; target %s; threads %s; medians of %d runs" % (
            cpu_name(), os.cpu_count(), args.target, args.threads or "all", args.runs))
        print()
        print("%-17s %10s %12s %12s %12s %7s %12s %12s %7s" % (
            "model", "compile s", "artifact B", "decode ref", "decode cmp", "ratio",
            "prefill ref", "prefill cmp", "ratio"))
        for name, model in MODELS:
            artifact = os.path.join(tmp, name + ".slmpack")

            def compile_once():
                start = time.perf_counter()
                run([slmc, "compile", *model, "--target", args.target, "-o", artifact])
                return time.perf_counter() - start

            compile_s = median_of(max(3, args.runs // 2), compile_once)
            reference = [model[0]] + model[1:]
            decode_ref = median_of(args.runs, lambda: decode_rate(slmc, reference, args.threads))
            decode_cmp = median_of(args.runs, lambda: decode_rate(slmc, [artifact], args.threads))
            prefill_ref = median_of(3, lambda: prefill_rate(slmc, reference, args.threads))
            prefill_cmp = median_of(3, lambda: prefill_rate(slmc, [artifact], args.threads))
            print("%-17s %10.2f %12d %12.0f %12.0f %6.2fx %12.0f %12.0f %6.2fx" % (
                name, compile_s, os.path.getsize(artifact), decode_ref, decode_cmp,
                decode_cmp / decode_ref, prefill_ref, prefill_cmp, prefill_cmp / prefill_ref))
    print()
    print("decode: tokens/s of `slmc run -n 256` after the prompt; prefill: tokens/s of "
          "`slmc eval --ctx 128` (128-token windows, all logits).")


if __name__ == "__main__":
    main()
