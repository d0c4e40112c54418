#!/usr/bin/env bash
# Builds slmc (via setup.sh, which also installs missing packages) and runs every test:
# gtest, lit/FileCheck, end-to-end model checks and ONNX conformance, all through ctest; then the
# device side's fuzz corpora under AddressSanitizer and UndefinedBehaviorSanitizer.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${SLMC_BUILD_DIR:-$root/build}"
"$root/scripts/setup.sh"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
# The device side (libslmrt, libslmtok) built with AddressSanitizer and
# UndefinedBehaviorSanitizer (the fuzz build, build/fuzz): every fuzz target's
# committed corpus replayed, the reproducers of fixed crashes included.
cmake -S "$root" -B "$build/fuzz" -G Ninja -DSLMC_FUZZ=ON -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
  -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache > /dev/null
cmake --build "$build/fuzz"
ctest --test-dir "$build/fuzz" --output-on-failure -j "$(nproc)"
