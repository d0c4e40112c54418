#!/usr/bin/env python3
"""Distillation-aware quantization quality, against llama.cpp's figures.

Calibrates on the first 80% of test/data/text/tinystories_train_head.txt (cut
at a story boundary, as scripts/distill does) and evaluates every compiled
artifact on the rest with `slmc eval --ctx 128 --teacher T --json`: KL(teacher ||
quantized), same top token and bits per weight over every weight and scale,
as llama.cpp's llama-perplexity --kl-divergence measures them.

  1. TinyStories-656K in self-distillation (teacher = the float model) at the
     issue's three budgets, `--quant auto --bpw B`, beside round-to-nearest in
     the largest single format that fits the same budget, and beside
     llama.cpp's Q4_0 / Q5_0 / Q8_0 on the same model (figures from the issue).
  2. The distilled student (test/data/tinystories-student) with the real
     teacher: teacher-guided allocation (--teacher tinystories-656k) against
     self-distillation allocation at the same budgets, both scored against
     the teacher.
  3. stories260K in int4-g32 (ragged 172-wide rows): GPTQ and RTN.

Usage: benchmarks/quantization_quality.py [--build build] [--calib-windows 32] [--seed 0] [--json FILE]
"""
import argparse
import json
import os
import tempfile
import time

from bench_common import DATA, ROOT, TEXT, cpu_name, run, slmc_path

TEACHER = os.path.join(DATA, "tinystories-656k")
STUDENT = os.path.join(DATA, "tinystories-student")
STORIES260K = os.path.join(DATA, "stories260K", "stories260K.bin")
TOK512 = os.path.join(DATA, "stories260K", "tok512.bin")

# llama.cpp on TinyStories-656K (the figures): bpw over all tensors.
LLAMA_CPP = [("Q4_0 (tied embedding Q8_0)", 6.125, "0.054-0.057", "81-82%"),
             ("Q5_0", 6.7, "0.015", "90%"),
             ("Q8_0", 8.5, "0.00078", "97.4%")]
# The targets: (budget bpw, max KL, min same-top-token or None).
TARGETS = [(6.125, 0.0285, 0.90), (4.5, 0.057, None), (8.5, 0.0004, None)]
# Uniform formats for the RTN baseline, largest first.
UNIFORM = [("int8", 8.125), ("int6-g32", 6.5), ("int5-g32", 5.5), ("int4-g32", 4.5),
           ("int4-g64", 4.25), ("int4-g128", 4.125), ("int3-g32", 3.5)]


def split_text(text, fraction=0.8):
    """scripts/distill/common.py's split: the last story boundary at or before the mark."""
    mark = int(fraction * len(text))
    cut = text.rfind("\n\nOnce upon a time", 0, mark + 1)
    return text[:cut + 1], text[cut + 2:]




class Bench:
    def __init__(self, slmc, workdir, calib, heldout, windows, seed):
        self.slmc, self.workdir = slmc, workdir
        self.calib, self.heldout = calib, heldout
        self.windows, self.seed = windows, seed

    def compile(self, name, model, quant, extra=()):
        out = os.path.join(self.workdir, name + ".slmpack")
        cmd = [self.slmc, "compile", *model, "--quant", quant, "-o", out, *extra]
        if quant == "auto" or "--calib" in extra:
            cmd += ["--calib-windows", str(self.windows), "--seed", str(self.seed),
                    "--report", os.path.join(self.workdir, name + ".json")]
        start = time.time()
        run(cmd)
        return out, time.time() - start

    def evaluate(self, artifact, teacher, tokenizer=()):
        result = run([self.slmc, "eval", artifact, "--text", self.heldout, "--ctx", "128",
                      "--teacher", teacher, "--json", *tokenizer])
        return json.loads(result.stdout)


def fits(budget):
    for fmt, bits in UNIFORM:
        if bits <= budget - 0.05:  # norms stay f32: leave room for them
            return fmt
    return UNIFORM[-1][0]


def row(label, r, seconds=None):
    extra = "" if seconds is None else "  (compile %.0f s)" % seconds
    return "  %-40s %6.3f bpw  KL %.6f  same top token %6.2f%%  ppl %.3f%s" % (
        label, r["bpw"], r["kl_to_teacher"], 100 * r["top1_agreement"], r["ppl"], extra)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--calib-windows", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write every figure to this file")
    args = parser.parse_args()
    slmc = slmc_path(args.build)
    results = {}
    with tempfile.TemporaryDirectory() as workdir:
        calib, heldout = split_text(open(TEXT, encoding="utf-8").read())
        calib_path, heldout_path = (os.path.join(workdir, n) for n in ("calib.txt", "heldout.txt"))
        open(calib_path, "w", encoding="utf-8").write(calib)
        open(heldout_path, "w", encoding="utf-8").write(heldout)
        bench = Bench(slmc, workdir, calib_path, heldout_path, args.calib_windows, args.seed)
        print("machine: %s, %d CPUs" % (cpu_name(), os.cpu_count()))
        print("calibration %d characters, held out %d; ctx 128; %d calibration windows, seed %d"
              % (len(calib), len(heldout), args.calib_windows, args.seed))

        print("\n1. TinyStories-656K, self-distillation (teacher: the float model)")
        print("   llama.cpp on the same model:")
        for name, bpw, kl, top1 in LLAMA_CPP:
            print("  %-40s %6.3f bpw  KL %-8s  same top token %s" % ("llama.cpp " + name, bpw, kl, top1))
        for budget, max_kl, min_top1 in TARGETS:
            artifact, seconds = bench.compile("656k-auto-%s" % budget, [TEACHER], "auto",
                                              ["--bpw", str(budget), "--calib", calib_path])
            auto = bench.evaluate(artifact, TEACHER)
            fmt = fits(budget)
            rtn_artifact, _ = bench.compile("656k-rtn-%s" % fmt, [TEACHER], fmt)
            rtn = bench.evaluate(rtn_artifact, TEACHER)
            met = auto["bpw"] <= budget and auto["kl_to_teacher"] <= max_kl and (
                min_top1 is None or auto["top1_agreement"] >= min_top1)
            goal = "KL <= %g" % max_kl + ("" if min_top1 is None else ", top-1 >= %g%%" % (100 * min_top1))
            print("   budget %s bpw (target %s): %s" % (budget, goal, "met" if met else "NOT MET"))
            print(row("slmc --quant auto --bpw %s" % budget, auto, seconds))
            print(row("RTN %s (uniform, fits the budget)" % fmt, rtn))
            results["656k_auto_%s" % budget] = auto
            results["656k_rtn_%s" % fmt] = rtn

        print("\n2. Distilled student, scored against the TinyStories-656K teacher")
        float_student = bench.evaluate(STUDENT, TEACHER)
        print(row("float student (reference executor)", float_student))
        for budget in (4.5, 6.125):
            guided, s1 = bench.compile("student-guided-%s" % budget, [STUDENT], "auto",
                                       ["--bpw", str(budget), "--calib", calib_path,
                                        "--teacher", TEACHER])
            selfd, s2 = bench.compile("student-self-%s" % budget, [STUDENT], "auto",
                                      ["--bpw", str(budget), "--calib", calib_path])
            g, s = bench.evaluate(guided, TEACHER), bench.evaluate(selfd, TEACHER)
            verdict = "teacher-guided is better" if g["kl_to_teacher"] < s["kl_to_teacher"] else \
                "teacher-guided is NOT better"
            print("   budget %s bpw: %s (ΔKL %+.6f)" % (budget, verdict,
                                                        g["kl_to_teacher"] - s["kl_to_teacher"]))
            print(row("teacher-guided allocation", g, s1))
            print(row("self-distillation allocation", s, s2))
            results["student_guided_%s" % budget] = g
            results["student_self_%s" % budget] = s

        print("\n3. stories260K in int4-g32 (rows of 172: ragged groups), teacher: its float model")
        for label, extra in (("GPTQ (calibrated)", ["--calib", calib_path]), ("RTN", [])):
            artifact, seconds = bench.compile("260k-int4-g32-" + label.split()[0].lower(),
                                              [STORIES260K, "--tokenizer", TOK512], "int4-g32",
                                              extra)
            r = bench.evaluate(artifact, STORIES260K)
            print(row("int4-g32 " + label, r, seconds))
            results["260k_int4_g32_" + label.split()[0].lower()] = r
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
