#!/bin/sh
# arm-vs-x86.sh DIR MODEL "QEMU" SLMRUN_AARCH64 OPTION...
# Compiles MODEL with the compile OPTIONs for aarch64-i8mm and for
# x86-64-avx512-vnni, and fails unless, with the first run by the AArch64 slmrun
# under QEMU (-cpu max) and the second by the x86 runtime:
#  - both print the same text and the same 64 greedy tokens, and
#  - the logits of 24 tokens, prefilled at once and decoded one by one, agree
#    within 1e-4 (the x86 ones are held to the fake-quantized reference by
#    QuantizedModelTest).
set -eu
dir=$1 model=$2 qemu=$3 slmrun=$4
shift 4
here=$(dirname "$0")
name=$(echo "$*" | tr -c 'a-z0-9\n' '_')
arm=$dir/$name.arm x86=$dir/$name.x86
slmc compile "$model" --target aarch64-i8mm "$@" -o "$arm.slmpack" > /dev/null
slmc compile "$model" --target x86-64-avx512-vnni "$@" -o "$x86.slmpack" > /dev/null
$qemu -cpu max "$slmrun" "$arm.slmpack" -p "Once upon a time" -n 64 --threads 1 --tokens > "$arm.out"
slmc run "$x86.slmpack" --prompt "Once upon a time" -n 64 --tokens > "$x86.out"
if ! diff "$x86.out" "$arm.out"; then
  echo "arm-vs-x86.sh: $*: aarch64-i8mm under qemu and x86 differ" >&2
  exit 1
fi
tokens=1,666,1944,311,811,1336,101,151,1684,1100,195,751,1196,121,1866,1042,442,79,179,891,859,146,495,188
for mode in prefill decode; do
  $qemu -cpu max "$slmrun" "$arm.slmpack" --logits $tokens --mode $mode --threads 1 > "$arm.$mode.json"
  slmc-logits "$x86.slmpack" --tokens $tokens --mode $mode > "$x86.$mode.json"
  if ! python3 "$here/../../compile/Inputs/expected_logits.py" "$x86.$mode.json" "$arm.$mode.json" 1e-4; then
    echo "arm-vs-x86.sh: $*: $mode logits of aarch64-i8mm under qemu and x86 differ" >&2
    exit 1
  fi
done
