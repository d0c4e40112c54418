#!/usr/bin/env bash
# Installs slmc's Debian 12 build dependencies (idempotent), configures CMake + Ninja + ccache in
# build/ and builds everything. Safe to re-run: apt skips what is installed, CMake reconfigures
# incrementally and Ninja rebuilds only what changed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${SLMC_BUILD_DIR:-$root/build}"

packages=(
  build-essential cmake ninja-build ccache git python3 python3-numpy python3-torch
  llvm-19-dev libmlir-19-dev mlir-19-tools clang-19 lld-19 llvm-19-tools
  libclang-rt-19-dev  # the sanitizers' and libFuzzer's runtimes (scripts/test.sh, fuzz.sh)
  libdnnl-dev ocl-icd-opencl-dev
  libabsl-dev libprotobuf-dev protobuf-compiler libonnx-dev libonnx-testdata
  nanopb libnanopb-dev libutf8proc-dev
  libsodium-dev  # Ed25519 signatures of artifacts (runtime/src/signature.c, slmc keygen)
  libgtest-dev libgmock-dev libbenchmark-dev
  qemu-user g++-aarch64-linux-gnu
  # the arm64 builds of the device runtime's two libraries and of gtest (its
  # unit tests), for the AArch64 cross build (Debian multiarch)
  libnanopb-dev:arm64 libutf8proc-dev:arm64 libsodium-dev:arm64 libgtest-dev:arm64
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "slmc setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  dpkg --print-foreign-architectures | grep -qx arm64 ||
    "${sudo_cmd[@]}" dpkg --add-architecture arm64
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE="${SLMC_BUILD_TYPE:-Release}" \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
  -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
  -DMLIR_DIR=/usr/lib/llvm-19/lib/cmake/mlir -DLLVM_DIR=/usr/lib/llvm-19/lib/cmake/llvm
cmake --build "$build"

# The device runtime for AArch64 (libslmrt, libslmtok, slmrun), cross-built;
# the tests run it under qemu-aarch64.
cmake -S "$root" -B "$build/aarch64" -G Ninja -DSLMC_DEVICE_ONLY=ON \
  -DCMAKE_TOOLCHAIN_FILE="$root/cmake/aarch64-linux-gnu.cmake" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
cmake --build "$build/aarch64"

# Test oracles from the npm registry, under the build tree (never committed):
# ONNX Runtime's CPU build ships inside onnxruntime-node; its install script
# only fetches optional GPU files, hence --ignore-scripts. @huggingface/tokenizers
# is the JavaScript engine of @huggingface/transformers (pure JS), the tokenizer
# oracle.
oracles="$build/oracles"
install_oracle() { # package@version, directory under node_modules
  if [ ! -d "$oracles/node_modules/$2" ]; then
    if command -v npm >/dev/null 2>&1; then
      echo "slmc setup: installing $1 into $oracles" >&2
      mkdir -p "$oracles"
      npm install --ignore-scripts --no-audit --no-fund --silent --prefix "$oracles" "$1" >&2 ||
        echo "slmc setup: warning: npm could not install $1; its oracle tests will be skipped" >&2
    else
      echo "slmc setup: warning: no npm (node 20); the tests that use $1 will be skipped" >&2
    fi
  fi
}
install_oracle onnxruntime-node@1.30.0 onnxruntime-node
install_oracle @huggingface/tokenizers@0.2.0 @huggingface/tokenizers
install_oracle @huggingface/jinja@0.5.13 @huggingface/jinja
