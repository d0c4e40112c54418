#!/usr/bin/env python3
"""Every tiny Hugging Face fixture, compiled for every x86 target this CPU runs, against PyTorch.

  tiny_hf_targets.py FIXTURES_DIR OUT_DIR TOL [--targets T,T... --runner "CMD ARG..."] FOLDER...

For each FOLDER of FIXTURES_DIR and each target `slmc targets` marks as runnable here: compile
(with FIXTURES_DIR/tokenizer64.json), run slmc-logits on the fixture's tokens prefilled at once and
decoded one token at a time, and compare with expected.safetensors (expected_logits.py). Prints one
line per (folder, target, mode); exits non-zero at the first failure. With --targets and --runner,
those targets instead, their logits from `CMD ARG... ARTIFACT --logits IDS --mode MODE` (slmrun's
--logits, e.g. the AArch64 slmrun under qemu).
"""
import os
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import expected_logits  # noqa: E402


def run(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def main():
    fixtures, out, tol, rest = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4:]
    runner = None
    if rest[:1] == ["--targets"]:
        assert rest[2] == "--runner", "--targets needs --runner"
        targets, runner, folders = rest[1].split(","), shlex.split(rest[3]), rest[4:]
    else:
        folders = rest
        targets = [line.split()[0] for line in run("slmc", "targets").splitlines()
                   if line and not line.startswith(" ")
                   and ("[host]" in line or "[runs here]" in line)]
    for folder in folders:
        model = os.path.join(fixtures, folder)
        tokens = ",".join(str(t) for t in expected_logits.read_expected(
            os.path.join(model, "expected.safetensors"))["tokens"])
        for target in targets:
            artifact = os.path.join(out, "%s-%s.slmpack" % (folder, target))
            run("slmc", "compile", model, "--tokenizer", os.path.join(fixtures, "tokenizer64.json"),
                "--target", target, "-o", artifact)
            for mode in ("prefill", "decode"):
                logits = artifact + "." + mode + ".json"
                with open(logits, "w") as f:
                    f.write(run(*runner, artifact, "--logits", tokens, "--mode", mode) if runner
                            else run("slmc-logits", artifact, "--tokens", tokens, "--mode", mode))
                result = subprocess.run([sys.executable, os.path.join(HERE, "expected_logits.py"),
                                         model, logits, str(tol)], capture_output=True, text=True)
                line = (result.stdout + result.stderr).strip()
                print("%s %s %s: %s" % (folder, target, mode, line))
                if result.returncode:
                    sys.exit(1)


if __name__ == "__main__":
    main()
