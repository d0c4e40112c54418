#!/usr/bin/env python3
"""Checks a folder written by `slmc synth` without slmc: the safetensors header against the
config (every Hugging Face tensor name and shape of the architecture, contiguous offsets, the
dtype), the tokenizer's vocabulary against vocab_size, norms exactly one, and the weights'
mean and standard deviation against N(0, 0.02).
  check_synth.py DIR   prints a summary line; exits 1 on the first mismatch."""
import json
import math
import struct
import sys

d = sys.argv[1]
config = json.load(open(d + "/config.json"))
tok = json.load(open(d + "/tokenizer.json"))
raw = open(d + "/model.safetensors", "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8:8 + n])
data = raw[8 + n:]
header.pop("__metadata__", None)


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


h, f, L = config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"]
heads, kv, hd, V = (config["num_attention_heads"], config["num_key_value_heads"], config["head_dim"],
                    config["vocab_size"])
expect = {"model.embed_tokens.weight": [V, h], "model.norm.weight": [h]}
if not config["tie_word_embeddings"]:
    expect["lm_head.weight"] = [V, h]
for i in range(L):
    p = "model.layers.%d." % i
    expect.update({p + "input_layernorm.weight": [h], p + "post_attention_layernorm.weight": [h],
                   p + "self_attn.q_proj.weight": [heads * hd, h], p + "self_attn.k_proj.weight": [kv * hd, h],
                   p + "self_attn.v_proj.weight": [kv * hd, h], p + "self_attn.o_proj.weight": [h, heads * hd],
                   p + "mlp.gate_proj.weight": [f, h], p + "mlp.up_proj.weight": [f, h],
                   p + "mlp.down_proj.weight": [h, f]})
    if config.get("attention_bias"):
        expect.update({p + "self_attn.q_proj.bias": [heads * hd], p + "self_attn.k_proj.bias": [kv * hd],
                       p + "self_attn.v_proj.bias": [kv * hd]})
    if config["model_type"] == "qwen3":
        expect.update({p + "self_attn.q_norm.weight": [hd], p + "self_attn.k_norm.weight": [hd]})
if set(header) != set(expect):
    fail("tensors differ: missing %s, extra %s" % (sorted(set(expect) - set(header))[:3],
                                                    sorted(set(header) - set(expect))[:3]))
dtype = {"float32": "F32", "bfloat16": "BF16", "float16": "F16"}[config["torch_dtype"]]
width = 4 if dtype == "F32" else 2
end = 0
for name, t in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
    if t["shape"] != expect[name] or t["dtype"] != dtype:
        fail("%s: %s %s, expected %s %s" % (name, t["dtype"], t["shape"], dtype, expect[name]))
    begin, stop = t["data_offsets"]
    if begin != end or stop - begin != math.prod(t["shape"]) * width:
        fail("%s: offsets %s not contiguous" % (name, t["data_offsets"]))
    end = stop
if end != len(data):
    fail("data is %d bytes, the header covers %d" % (len(data), end))
if len(tok["model"]["vocab"]) != V or sorted(tok["model"]["vocab"].values()) != list(range(V)):
    fail("tokenizer has %d tokens (ids not 0..%d)" % (len(tok["model"]["vocab"]), V - 1))


def values(name, count):
    begin = header[name]["data_offsets"][0]
    chunk = data[begin:begin + count * width]
    if dtype == "F32":
        return struct.unpack("<%df" % count, chunk)
    if dtype == "F16":
        return struct.unpack("<%de" % count, chunk)
    return [struct.unpack("<f", b"\0\0" + chunk[2 * i:2 * i + 2])[0] for i in range(count)]


if any(v != 1.0 for v in values("model.norm.weight", h)):
    fail("model.norm.weight is not all ones")
w = values("model.layers.0.mlp.down_proj.weight", 20000)
mean = sum(w) / len(w)
std = math.sqrt(sum((x - mean) ** 2 for x in w) / len(w))
if abs(mean) > 0.001 or abs(std - 0.02) > 0.001:
    fail("weights have mean %.5f, std %.5f; expected N(0, 0.02)" % (mean, std))
print("ok: %d tensors, %s, vocab %d, std %.4f" % (len(header), dtype, V, std))
