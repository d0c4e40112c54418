#!/usr/bin/env bash
# Builds slmc (via setup.sh, which also installs missing packages) and runs every test:
# gtest, lit/FileCheck, end-to-end model checks and ONNX conformance, all through ctest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${SLMC_BUILD_DIR:-$root/build}"
"$root/scripts/setup.sh"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
