#!/usr/bin/env bash
# scripts/test.sh [--sanitize | --no-sanitize]
#
# Builds slmc (via setup.sh, which also installs missing packages) and runs every test:
# gtest, lit/FileCheck, end-to-end model checks and ONNX conformance, all through ctest; then
# the sanitized stage: the project built again with AddressSanitizer and UndefinedBehaviorSanitizer
# in build/sanitize (-DSLMC_SANITIZE=ON, clang), running the unit tests, the lit tests on the
# bundled models and every fuzz target's corpus (ctest -L sanitized). --sanitize runs only the
# sanitized stage, --no-sanitize only the first. .ci/run runs both.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${SLMC_BUILD_DIR:-$root/build}"
main=1 sanitized=1
case "${1:-}" in
  "") ;;
  --sanitize) main=0 ;;
  --no-sanitize) sanitized=0 ;;
  *) echo "usage: scripts/test.sh [--sanitize | --no-sanitize]" >&2; exit 2 ;;
esac
"$root/scripts/setup.sh"
if ((main)); then
  ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
fi
if ((sanitized)); then
  start=$(date +%s)
  "$root/scripts/configure-sanitized.sh" "$build"
  cmake --build "$build/sanitize"
  # The tests carry their sanitizer options (SLMC_TEST_ENVIRONMENT in CMakeLists.txt).
  ctest --test-dir "$build/sanitize" -L sanitized --output-on-failure -j "$(nproc)"
  echo "slmc test: the sanitized stage took $(($(date +%s) - start)) s" >&2
fi
