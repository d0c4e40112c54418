#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Builds the libFuzzer targets of test/fuzz (clang-19, AddressSanitizer and
# UndefinedBehaviorSanitizer) in the sanitized build, build/sanitize (only what
# the targets asked for need), seeds each target's corpus from
# the bundled files and its committed corpus, and fuzzes each TARGET (default:
# all) for SECONDS (default 60) with its dictionary. New crashes are left in
# build/sanitize/fuzz/crashes/TARGET; fix them and add the reproducer to
# test/fuzz/corpus/TARGET, which ctest replays on every run. Prints, per target,
# the executions and coverage libFuzzer reports.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build/sanitize/fuzz  # seeds, corpora, crashes, logs
seconds=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(slmpack_header slmpack_manifest tokenizer_file tokenizer_text chat_template
                                safetensors safetensors_index hf_config tokenizer_config
                                llama2c_checkpoint onnx_model calibration_text)

"$root/scripts/configure-sanitized.sh" "$root/build"
cmake --build "$root/build/sanitize" --target "${targets[@]/#/slmc-fuzz-}"
mkdir -p "$build"

# Seeds from the bundled files: artifacts (and their manifests) compiled by the
# main build's slmc when there is one, tokenizer files, templates, text.
seeds=$build/seeds
rm -rf "$seeds"
mkdir -p "$seeds"/{slmpack_header,slmpack_manifest,tokenizer_file,tokenizer_text,chat_template,safetensors}
mkdir -p "$seeds"/{safetensors_index,hf_config,tokenizer_config,llama2c_checkpoint,onnx_model,calibration_text}
for f in "$root"/test/data/tiny-hf/*/config.json "$root"/test/data/tinystories-656k/config.json; do
  cp "$f" "$seeds/hf_config/$(basename "$(dirname "$f")").json"
done
cp "$root/test/data/tiny-hf/llama-f16-sharded/model.safetensors.index.json" "$seeds/safetensors_index/"
cp "$root/test/data/tiny-hf/chat/tokenizer_config.json" "$seeds/tokenizer_config/tiny-chat.json"
for f in "$root"/test/data/tokenizers/*/tokenizer_config.json; do
  cp "$f" "$seeds/tokenizer_config/$(basename "$(dirname "$f")").json"
done
cp "$root/test/data/stories260K/stories260K.bin" "$seeds/llama2c_checkpoint/"
cp "$root/test/data/onnx-external/model.onnx" "$seeds/onnx_model/onnx-external.onnx"
cp "$root/test/data/tinystories-656k/model.onnx" "$seeds/onnx_model/tinystories-656k.onnx"
head -c 3000 "$root/test/data/text/tinystories_train_head.txt" > "$seeds/calibration_text/tinystories.txt"
for f in "$root"/test/data/tiny-hf/*/model*.safetensors; do
  cp "$f" "$seeds/safetensors/$(basename "$(dirname "$f")")-$(basename "$f")"
done
slmc=$root/build/tools/slmc/slmc
if [ -x "$slmc" ]; then
  "$slmc" compile "$root/test/data/tiny-hf/qwen3" --tokenizer "$root/test/data/tiny-hf/tokenizer64.json" \
    --target x86-64-avx2 -o "$seeds/slmpack_header/tiny-qwen3.slmpack" > /dev/null
  # A signed one too, so that mutations reach the signature block and Ed25519.
  [ -f "$build/seeds.key" ] || "$slmc" keygen -o "$build/seeds.key" > /dev/null
  "$slmc" compile "$root/test/data/tiny-hf/qwen3" --tokenizer "$root/test/data/tiny-hf/tokenizer64.json" \
    --target x86-64-avx2 --sign "$build/seeds.key" -o "$seeds/slmpack_header/tiny-qwen3-signed.slmpack" > /dev/null
  python3 - "$seeds/slmpack_header/tiny-qwen3.slmpack" "$seeds/slmpack_manifest/tiny-qwen3.manifest" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
offset, size = struct.unpack_from("<QQ", data, 24)
open(sys.argv[2], "wb").write(data[offset:offset + size])
PY
fi
for f in "$root"/test/data/tokenizers/*/tokenizer.json; do
  cp "$f" "$seeds/tokenizer_file/$(basename "$(dirname "$f")").json"
done
cp "$root/test/data/stories260K/tok512.bin" "$seeds/tokenizer_file/"
cp "$root/test/data/tiny-hf/tokenizer64.json" "$seeds/tokenizer_file/"
head -c 4000 "$root/test/data/text/tinystories_train_head.txt" > "$seeds/tokenizer_text/tinystories.txt"
python3 - "$root/test/data/chat-templates" "$seeds/chat_template" <<'PY'
import json, os, sys
source, out = sys.argv[1], sys.argv[2]
for dirpath, _, files in os.walk(source):
    for name in files:
        path = os.path.join(dirpath, name)
        if name.endswith(".jinja"):
            open(os.path.join(out, name), "wb").write(open(path, "rb").read())
        elif name.endswith(".json"):
            try:
                template = json.load(open(path)).get("chat_template")
            except (ValueError, AttributeError):
                continue
            if isinstance(template, str):
                open(os.path.join(out, name + ".jinja"), "w").write(template)
PY

# As the sanitized build's tests run (SLMC_TEST_ENVIRONMENT in CMakeLists.txt).
export ASAN_OPTIONS=allow_user_poisoning=0
declare -A dict=([slmpack_header]=slmpack [slmpack_manifest]=slmpack [tokenizer_file]=json
                 [tokenizer_text]=json [chat_template]=jinja [safetensors]=hf [safetensors_index]=hf
                 [hf_config]=hf [tokenizer_config]=jinja)
for target in "${targets[@]}"; do
  corpus=$build/corpus/$target crashes=$build/crashes/$target
  mkdir -p "$corpus" "$crashes"
  echo "== $target: $seconds s" >&2
  dict_flag=()
  [ -z "${dict[$target]:-}" ] || dict_flag=(-dict="$root/test/fuzz/dicts/${dict[$target]}.dict")
  "$root/build/sanitize/test/fuzz/slmc-fuzz-$target" "$corpus" "$seeds/$target" "$root/test/fuzz/corpus/$target" \
    "${dict_flag[@]}" -max_total_time="$seconds" \
    -artifact_prefix="$crashes/" -rss_limit_mb=4096 -timeout=20 -print_final_stats=1 \
    2> "$build/$target.log" || { echo "$target: FAILED (see $build/$target.log, $crashes)"; continue; }
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$build/$target.log" | grep -o '[0-9]*$')
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$build/$target.log" | tail -1)
  echo "$target: $runs executions, $cov, corpus $(ls "$corpus" | wc -l) inputs"
done
