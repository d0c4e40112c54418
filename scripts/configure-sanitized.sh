#!/usr/bin/env bash
# scripts/configure-sanitized.sh [MAIN_BUILD]
#
# Configures MAIN_BUILD/sanitize (default build/sanitize): the whole project
# with AddressSanitizer, UndefinedBehaviorSanitizer and libFuzzer's coverage
# (-DSLMC_SANITIZE=ON, clang-19), using the main build's npm oracles. Used by
# scripts/test.sh (the sanitized stage) and scripts/fuzz.sh (the fuzzers).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-${SLMC_BUILD_DIR:-$root/build}}"
cmake -S "$root" -B "$build/sanitize" -G Ninja -DSLMC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
  -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
  -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir -DLLVM_DIR=/usr/lib/llvm-19/lib/cmake/llvm \
  -DSLMC_ORACLES_DIR="$build/oracles" > /dev/null
