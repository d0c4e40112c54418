#!/bin/sh
# arm-vs-x86.sh DIR MODEL "QEMU" SLMRUN_AARCH64 OPTION...
# Compiles MODEL with the compile OPTIONs for aarch64-i8mm and for
# x86-64-avx512-vnni, runs the first with the AArch64 slmrun under QEMU
# (-cpu max) and the second with slmc run, and fails unless both print the same
# text and the same 64 tokens.
set -eu
dir=$1 model=$2 qemu=$3 slmrun=$4
shift 4
name=$(echo "$*" | tr -c 'a-z0-9\n' '_')
slmc compile "$model" --target aarch64-i8mm "$@" -o "$dir/$name.arm.slmpack" > /dev/null
slmc compile "$model" --target x86-64-avx512-vnni "$@" -o "$dir/$name.x86.slmpack" > /dev/null
$qemu -cpu max "$slmrun" "$dir/$name.arm.slmpack" -p "Once upon a time" -n 64 --threads 1 \
  --tokens > "$dir/$name.arm.out"
slmc run "$dir/$name.x86.slmpack" --prompt "Once upon a time" -n 64 --tokens > "$dir/$name.x86.out"
if ! diff "$dir/$name.x86.out" "$dir/$name.arm.out"; then
  echo "arm-vs-x86.sh: $*: aarch64-i8mm under qemu and x86 differ" >&2
  exit 1
fi
