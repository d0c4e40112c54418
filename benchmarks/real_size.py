#!/usr/bin/env python3
"""Decode and prefill at real size, against the physical limit and oneDNN, measured in one run.

For the `llama-0.5b` and `qwen3-0.6b` synth shapes (`slmc synth`, random weights at the real
shapes: 508M and 596M parameters, weights far larger than the cache), compiles f32, bf16
(--weights bf16), int8, int4-g32, and int8 and int4-g32 with --w8a8 (W8A8, W4A8) for the host
and runs `slmc bench` at
1 and 2 threads. Prints per format:
  decode   tokens/s, weight GB/s read per second, this machine's read GB/s measured in the same
           `slmc bench` run, and their ratio bandwidth_share (target >= 0.80);
  prefill  tokens/s of a 128-token prompt, and the "linear-only bound": tokens/s if prefill were
           nothing but oneDNN GEMMs on the model's own linear shapes at M = 128 (sgemm for float
           and weight-only formats, u8s8 for W8A8 and W4A8), timed by slm-kernel-bench in the same run at
           the same thread count (target >= 0.70 of it). slmc runs the output head on the last
           token only (a prompt's other logits are not asked for), so beside that bound is the
           like-for-like one, "last": the head's GEMM at M = 1, the layers' at M = 128;
  memory   the runtime's peak resident memory in `slmc bench` (over slmc's own) against its bound:
           artifact + KV cache + arena + 64 MiB (target: within).
The synth folders are written in bf16 to save disk; the importer widens them to f32, and
--weights bf16 stores them at half width again (the same values: no rounding).

Usage: benchmarks/real_size.py [--build build] [--work DIR] [--models llama-0.5b,qwen3-0.6b]
                               [--threads 1,2] [--repetitions 3] [--gen-tokens 32]
                               [--max-tokens 128]
"""
import argparse
import json
import os
import subprocess
import sys
import time

from bench_common import ROOT, cpu_name, run, slmc_path

FORMATS = [("f32", []), ("bf16", ["--weights", "bf16"]), ("int8", ["--quant", "int8"]), ("int4-g32", ["--quant", "int4-g32"]),
           ("int8+w8a8", ["--quant", "int8", "--w8a8"]),
           ("int4+w4a8", ["--quant", "int4-g32", "--w8a8"])]
# Linear shapes [out, in] per layer (q/k/v and gate/up stacked, as compiled), and the head;
# slm-kernel-bench registers the same names.
LAYERS = {"llama-0.5b": 28, "qwen3-0.6b": 28}
LINEARS = ["qkv", "o", "gate_up", "down"]


def kernel_times(bench, model, threads):
    """Microseconds per call of oneDNN's sgemm and u8s8 on the model's shapes at M = 128, and
    of the head at M = 1: {(kind, shape, m): us}."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    out = subprocess.run([bench, "--benchmark_filter=Dnnl/.*/%s/(.*/M128|head/M1)/" % model,
                          "--benchmark_format=json"], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit("slm-kernel-bench failed:\n" + out.stderr)
    times = {}
    for b in json.loads(out.stdout)["benchmarks"]:
        _, kind, _, shape, m = b["name"].split("/")[:5]
        times[(kind, shape, int(m[1:]))] = b["real_time"]  # microseconds (the binary's unit)
    return times


def linear_bound(times, kind, model, head_rows, m=128):
    """Tokens/s of an M = 128 prompt through the layers' GEMMs and the head's at head_rows."""
    per_layer = sum(times[(kind, s, m)] for s in LINEARS)
    total_us = LAYERS[model] * per_layer + times[(kind, "head", head_rows)]
    return m / (total_us / 1e6)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--work", default=None, help="where synth folders and artifacts go "
                        "(default BUILD/real-size; the synth folders are reused when present, "
                        "the artifacts compiled afresh)")
    parser.add_argument("--models", default="llama-0.5b,qwen3-0.6b")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--formats", default=",".join(name for name, _ in FORMATS),
                        help="which of the formats to compile (default: all)")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--gen-tokens", type=int, default=32)
    parser.add_argument("--max-tokens", type=int, default=128,
                        help="tokens per call the artifacts are compiled for (default 128, "
                        "slmc compile's own: the prompt in one call, as the bound's GEMMs at "
                        "M = 128 take it)")
    args = parser.parse_args()
    slmc = slmc_path(args.build)
    kernel_bench = os.path.join(args.build, "benchmarks", "kernels", "slm-kernel-bench")
    work = args.work or os.path.join(args.build, "real-size")
    os.makedirs(work, exist_ok=True)
    threads = [int(t) for t in args.threads.split(",")]

    print("machine: %s, %d CPUs; compile --max-tokens %d; slmc bench -p 128 -n %d, "
          "%d repetitions (medians)" % (cpu_name(), os.cpu_count(), args.max_tokens,
                                        args.gen_tokens, args.repetitions))
    print()
    header = "%-11s %-10s %3s %9s %8s %8s %6s %9s %9s %6s %8s %6s %9s %13s" % (
        "model", "format", "thr", "decode/s", "wGB/s", "readGB/s", "share", "prefill/s",
        "bound/s", "ratio", "last/s", "ratio", "compile s", "rt/bound MB")
    print(header)
    for model in args.models.split(","):
        folder = os.path.join(work, model)
        if not os.path.exists(folder):
            run([slmc, "synth", "--shape", model, "--dtype", "bf16", "-o", folder])
        bounds = {t: kernel_times(kernel_bench, model, t) for t in threads}
        for name, flags in FORMATS:
            if name not in args.formats.split(","):
                continue
            artifact = os.path.join(work, "%s-%s.slmpack" % (model, name))
            start = time.perf_counter()
            run([slmc, "compile", folder, "--max-context", "512", "--max-tokens",
                 str(args.max_tokens), "-o", artifact] + flags)
            compile_s = time.perf_counter() - start
            for t in threads:
                r = json.loads(run([slmc, "bench", artifact, "--prompt-tokens", "128",
                                    "--gen-tokens", str(args.gen_tokens), "--repetitions",
                                    str(args.repetitions), "--threads", str(t),
                                    "--json"]).stdout)
                kind = "U8s8" if "a8" in name else "Sgemm"
                bound = linear_bound(bounds[t], kind, model, head_rows=128)
                last = linear_bound(bounds[t], kind, model, head_rows=1)
                prefill = r["prefill_tokens_per_second"]
                memory = "%d/%d" % (r["runtime_rss_bytes"] / 1e6, r["memory_bound_bytes"] / 1e6)
                print("%-11s %-10s %3d %9.1f %8.2f %8.2f %6.2f %9.1f %9.1f %6.2f %8.1f %6.2f %9s "
                      "%13s" % (model, name, t, r["decode_tokens_per_second"],
                                r["decode_weight_gb_per_second"], r["read_gb_per_second"],
                                r["bandwidth_share"], prefill, bound, prefill / bound, last,
                                prefill / last, "%.1f" % compile_s, memory), flush=True)
            os.remove(artifact)
    print()
    print("share: decode weight bytes per token x tokens/s over the read bandwidth (target "
          ">= 0.80); ratio: prefill over the oneDNN linear-only bound (target >= 0.70), and over\n"
          "the bound with the head on the last token only (last/s), as slmc runs it; rt/bound:\n"
          "the runtime's peak resident memory over slmc's own, and its bound (artifact + KV cache\n"
          "+ arena + 64 MiB; target: within).")


if __name__ == "__main__":
    main()
