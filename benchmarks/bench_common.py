"""What the benchmark scripts share: paths, running slmc, reading its speeds, the machine."""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "test", "data")
TEXT = os.path.join(DATA, "text", "tinystories_train_head.txt")


def slmc_path(build):
    return os.path.join(build, "tools", "slmc", "slmc")


def run(cmd):
    """Runs a command; a failure ends the benchmark with its stderr."""
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(cmd), result.stderr))
    return result


def _tokens_per_second(stderr):
    return float(re.search(r"\(([0-9.]+) tokens/s\)", stderr).group(1))


def decode_rate(slmc, model, threads):
    """tokens/s of `slmc run -n 256` after the prompt; `model` is MODEL [--tokenizer FILE]."""
    return _tokens_per_second(run([slmc, "run", *model, "--prompt", "Once upon a time", "-n",
                                   "256", "--threads", str(threads)]).stderr)


def prefill_rate(slmc, model, threads):
    """tokens/s of `slmc eval --ctx 128` on the bundled text (128-token windows, all logits)."""
    return _tokens_per_second(run([slmc, "eval", *model, "--text", TEXT, "--ctx", "128",
                                   "--threads", str(threads)]).stderr)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"
