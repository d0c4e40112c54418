#!/usr/bin/env python3
"""PyTorch as the oracle of `slmc compile --weights bf16|f16` (run with a python that has torch).

  half_weights.py round MODEL_DIR STORAGE OUT_DIR
      OUT_DIR: MODEL_DIR with every 2-D weight rounded by torch to STORAGE (bf16 or f16) and
      widened back to f32, so that the reference executor runs exactly the stored model.
  half_weights.py check-bytes MODEL_DIR ARTIFACT STORAGE
      every bf16/f16 tensor in the artifact's weights section holds torch's rounding of the
      model's f32 weight bytes (stacked tensors, "a.{q,k,v}_proj.weight.bf16", row after row).
  half_weights.py compare A.json B.json TOL
      slmc-logits outputs A and B agree within TOL (max abs difference), on the same tokens.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys

import numpy as np
import torch

DTYPES = {"bf16": torch.bfloat16, "f16": torch.float16}


def read_safetensors(path):
    data = open(path, "rb").read()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", (name, info["dtype"])
        begin, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[8 + size + begin:8 + size + end],
                                      dtype="<f4").reshape(info["shape"])
    return tensors


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, array in tensors.items():
        raw = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def rounded(array, storage):
    return torch.from_numpy(np.array(array)).to(DTYPES[storage])


def round_model(model_dir, storage, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    tensors = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    out = {name: (rounded(a, storage).float().numpy() if a.ndim == 2 else a)
           for name, a in tensors.items()}
    write_safetensors(os.path.join(out_dir, "model.safetensors"), out)
    for name in os.listdir(model_dir):
        if name.endswith(".json"):
            shutil.copy(os.path.join(model_dir, name), out_dir)


def expand(name):
    """"a.{q,k,v}_proj.weight" -> ["a.q_proj.weight", "a.k_proj.weight", "a.v_proj.weight"]."""
    m = re.fullmatch(r"(.*)\{([^}]*)\}(.*)", name)
    return [m.group(1) + part + m.group(3) for part in m.group(2).split(",")] if m else [name]


def check_bytes(model_dir, artifact, storage):
    tensors = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    data = open(artifact, "rb").read()
    weights_offset = struct.unpack("<QQQQQQ", data[24:72])[4]
    manifest = json.loads(subprocess.check_output(["slmc", "inspect", artifact, "--json"]))
    checked = 0
    for t in manifest["tensors"]:
        if t["dtype"] != storage:
            continue
        name = t["name"][:-len("." + storage)]
        # A tied embedding may be stored only as lm_head.weight (TinyStories-656K is).
        parts = [n if n in tensors or n != "model.embed_tokens.weight" else "lm_head.weight"
                 for n in expand(name)]
        want = torch.cat([rounded(tensors[n], storage) for n in parts])
        got = data[weights_offset + t["offset"]:weights_offset + t["offset"] + t["size"]]
        if want.view(torch.int16).numpy().tobytes() != got:
            sys.exit("%s: the stored %s bytes are not torch's rounding" % (t["name"], storage))
        checked += 1
    if not checked:
        sys.exit("no %s tensors in %s" % (storage, artifact))
    print("%d %s tensors: torch's rounding, byte for byte" % (checked, storage))


def compare(a_path, b_path, tol):
    a, b = json.load(open(a_path)), json.load(open(b_path))
    assert a["tokens"] == b["tokens"] and len(a["logits"]) == len(b["logits"]) > 0
    worst = float(np.max(np.abs(np.array(a["logits"]) - np.array(b["logits"]))))
    print("%d tokens, %s vs %s: max |difference| = %.3g" % (
        len(a["tokens"]), a["backend"], b["backend"], worst))
    if not worst <= tol:
        sys.exit("FAIL: above %g" % tol)
    print("PASS")


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "round":
        round_model(*args)
    elif command == "check-bytes":
        check_bytes(*args)
    elif command == "compare":
        compare(args[0], args[1], float(args[2]))
    else:
        sys.exit(__doc__)
