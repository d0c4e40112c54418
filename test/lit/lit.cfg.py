# lit configuration for slmc's IR and command-line tests.
import os

import lit.formats

config.name = "slmc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.slmc_binary_dir, "test", "lit")

# slmc's tools first, then LLVM's FileCheck, not and count.
for tool_dir in reversed(config.slmc_tool_dirs + [config.llvm_tools_dir]):
    config.environment["PATH"] = os.pathsep.join([tool_dir, config.environment.get("PATH", os.environ["PATH"])])

config.substitutions.append(("%data", config.slmc_test_data_dir))
config.substitutions.append(("%oracles", os.path.join(config.slmc_source_dir, "test", "oracles")))
config.substitutions.append(("%python", config.python_executable))
# Where the build's tools are, for tests that inspect the binaries themselves.
config.substitutions.append(("%tools", os.path.join(config.slmc_binary_dir, "tools")))
# One thread per process: lit already runs tests in parallel.
config.environment["OMP_NUM_THREADS"] = "1"

# What the host CPU can run, so that each compiled target is tested where it can execute.
def _cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()

_flags = _cpu_flags()
if {"avx2", "fma", "f16c", "bmi2"} <= _flags:
    config.available_features.add("cpu-avx2")
    if {"avx512f", "avx512bw", "avx512dq", "avx512vl"} <= _flags:
        config.available_features.add("cpu-avx512")
        if "avx512_vnni" in _flags:
            config.available_features.add("cpu-avx512-vnni")
# A feature the runtime knows that this CPU lacks, to test the refusal.
if "avx_vnni" not in _flags:
    config.available_features.add("cpu-lacks-avxvnni")

# The AArch64 device runtime (build/aarch64, cross-built by scripts/setup.sh)
# under qemu-user: %qemu-aarch64 runs an AArch64 program, -cpu chosen by the test.
import shutil
_qemu = shutil.which("qemu-aarch64")
_slmrun_aarch64 = os.path.join(config.slmc_aarch64_dir, "tools", "slmrun", "slmrun")
if _qemu and os.path.isfile(_slmrun_aarch64) and os.path.isdir("/usr/aarch64-linux-gnu"):
    config.available_features.add("aarch64-qemu")
    config.substitutions.append(("%qemu-aarch64", _qemu + " -L /usr/aarch64-linux-gnu"))
    config.substitutions.append(("%slmrun-aarch64", _slmrun_aarch64))
    config.substitutions.append(("%aarch64-build", config.slmc_aarch64_dir))

# ONNX Runtime (onnxruntime-node, installed by scripts/setup.sh under the build
# tree) as an independent oracle, run by node.
import shutil
_node = shutil.which("node")
_ort_modules = os.path.join(config.slmc_oracles_dir, "node_modules")
if _node and os.path.isdir(os.path.join(_ort_modules, "onnxruntime-node")):
    config.available_features.add("onnxruntime")
# Hugging Face's JavaScript tokenizers (@huggingface/tokenizers), the same way.
if _node and os.path.isdir(os.path.join(_ort_modules, "@huggingface", "tokenizers")):
    config.available_features.add("hf-tokenizers-js")
# Hugging Face's JavaScript Jinja (@huggingface/jinja) for chat templates.
if _node and os.path.isdir(os.path.join(_ort_modules, "@huggingface", "jinja")):
    config.available_features.add("hf-jinja-js")
if _node:
    config.environment["NODE_PATH"] = _ort_modules
    config.substitutions.append(("%node", _node))

# PyTorch (Debian's python3-torch) as an independent oracle: the first python that imports it.
import subprocess
for _python in [config.python_executable, "/usr/bin/python3"]:
    try:
        subprocess.run([_python, "-c", "import torch, numpy"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    except (OSError, subprocess.SubprocessError):
        continue
    config.available_features.add("torch")
    config.substitutions.append(("%torch_python", _python))
    break
