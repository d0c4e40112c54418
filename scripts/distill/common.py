#!/usr/bin/env python3
"""Shared pieces of the distillation scripts: paths, the train / held-out split of the TinyStories
text, tokenization (through the independent Hugging Face BPE in scripts/reference/hf_bpe_reference.py)
and llama.cpp-style perplexity scoring with teacher-student agreement figures.

Nothing here trains; distill_student.py and evaluate_student.py import it.
"""

import json
import math
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "scripts", "fixtures"))
sys.path.insert(0, os.path.join(REPO, "scripts", "reference"))
import hf_bpe_reference as hf_bpe  # noqa: E402
import llama_reference as ref  # noqa: E402

TEACHER_DIR = os.path.join(REPO, "test", "data", "tinystories-656k")
STUDENT_DIR = os.path.join(REPO, "test", "data", "tinystories-student")
TEXT_PATH = os.path.join(REPO, "test", "data", "text", "tinystories_train_head.txt")

BOS, EOS = 1, 2
TRAIN_FRACTION = 0.8
STORY_OPENING = "Once upon a time"


def read_text(path=TEXT_PATH):
    with open(path, encoding="utf-8") as f:
        return f.read()


def split_text(text, fraction=TRAIN_FRACTION):
    """Cuts the text at a story boundary at or before `fraction` of its characters.

    The file has no explicit story separator: paragraphs and stories are both separated by one
    blank line. A blank line followed by "Once upon a time" is taken as a story boundary (every one
    of the 148 occurrences of that phrase in the file starts a paragraph after a blank line); the
    cut is the last such blank line at or before the mark, or the last blank line if there is none.

    Returns (train, heldout, cut): train = text[:cut + 1] (ends with the newline of its last
    paragraph), heldout = text[cut + 2:] (starts with the first character of the next story), so
    the blank line itself belongs to neither part. For tinystories_train_head.txt: cut = 156,092 of
    196,268 characters (79.5%)."""
    mark = int(fraction * len(text))
    cut = text.rfind("\n\n" + STORY_OPENING, 0, mark + 1)
    if cut < 0:
        cut = text.rfind("\n\n", 0, mark + 1)
    if cut < 0:
        raise ValueError("no blank line before the split mark")
    return text[:cut + 1], text[cut + 2:], cut


_TOKENIZER = {}


def load_tokenizer(path=os.path.join(TEACHER_DIR, "tokenizer.json")):
    if path not in _TOKENIZER:
        with open(path, encoding="utf-8") as f:
            _TOKENIZER[path] = json.load(f)
    return _TOKENIZER[path]


def encode(text):
    """Token ids with BOS in front, exactly as the Hugging Face tokenizer (and slmc) encodes."""
    return hf_bpe.encode(load_tokenizer(), text)


def decode(ids):
    """Readable text for token ids (for printing samples only)."""
    tok = load_tokenizer()
    inv = {v: k for k, v in tok["model"]["vocab"].items()}
    for t in tok["added_tokens"]:
        inv[t["id"]] = t["content"]
    return "".join(inv.get(i, "?") for i in ids).replace("\u2581", " ")


def llama_cpp_windows(ids, ctx):
    """Consecutive non-overlapping windows of ctx tokens (a partial last one dropped), first token
    of each replaced by BOS, as llama.cpp's llama-perplexity builds them. int64 [n, ctx]."""
    n = len(ids) // ctx
    w = torch.tensor(ids[:n * ctx], dtype=torch.int64).view(n, ctx).clone()
    w[:, 0] = BOS
    return w


@torch.no_grad()
def score(teacher, student, ids, ctx=128, batch=32):
    """llama.cpp scoring on the windows of `ids`: the tokens at window positions ctx/2+1 .. ctx-1,
    each predicted from the logits at the position before it. Returns a dict with both models'
    perplexities and, over the same logit positions, the mean KL(teacher || student) of the
    softmax distributions (natural log) and the share of positions where both argmaxes agree.
    Log-softmax is taken in float64 from the float32 logits."""
    windows = llama_cpp_windows(ids, ctx)
    first = ctx // 2
    nll_t = nll_s = kl = 0.0
    agree = count = 0
    for b in range(0, windows.shape[0], batch):
        w = windows[b:b + batch]
        targets = w[:, first + 1:]
        lt = torch.log_softmax(teacher(w)[:, first:ctx - 1].double(), dim=-1)
        ls = torch.log_softmax(student(w)[:, first:ctx - 1].double(), dim=-1)
        nll_t -= lt.gather(-1, targets[..., None]).sum().item()
        nll_s -= ls.gather(-1, targets[..., None]).sum().item()
        kl += (lt.exp() * (lt - ls)).sum().item()
        agree += (lt.argmax(-1) == ls.argmax(-1)).sum().item()
        count += targets.numel()
    return {
        "tokens": len(ids),
        "windows": int(windows.shape[0]),
        "scored": count,
        "teacher_ppl": math.exp(nll_t / count),
        "student_ppl": math.exp(nll_s / count),
        "teacher_nll": nll_t / count,
        "student_nll": nll_s / count,
        "kl": kl / count,
        "top1_agree": agree / count,
    }


def load_model(model_dir):
    return ref.load_hf_model(model_dir)


# --------------------------------------------------------------------------------------------
# A faster forward pass over a llama_reference.CausalLM's own parameters
# --------------------------------------------------------------------------------------------
# Debian's python3-torch links the reference (netlib) BLAS, so nn.Linear runs at a few GFLOP/s on
# this machine, while a 1x1 conv1d goes through oneDNN at ten to twenty times that. fast_forward
# computes exactly the llama_reference.CausalLM forward pass (same parameters, autograd flows back
# into them) with every projection written as a kernel-size-1 conv1d and activations kept in the
# channels-first layout [batch, channels, sequence]. Only training and scoring use it; the saved
# model, the ONNX export and the checks go through llama_reference.CausalLM itself.


def _proj(x, linear):
    return F.conv1d(x, linear.weight[:, :, None], linear.bias)


def _rms(x, norm):
    return norm.weight[:, None] * (x * torch.rsqrt(x.pow(2).mean(1, keepdim=True) + norm.eps))


def fast_forward(model, input_ids):
    """input_ids int64 [b, s] -> logits float32 [b, vocab, s] (vocab second, channels-first)."""
    c = model.c
    if c.qkv_bias or c.o_bias or c.qk_norm or c.mlp_bias or not model.tied:
        raise NotImplementedError("fast_forward covers tied, bias-free Llama models only")
    b, s = input_ids.shape
    d = c.head_dim
    emb = model.model.embed_tokens.weight
    x = emb[input_ids].transpose(1, 2)  # [b, hidden, s]
    cos = model.rope_cos[:s].t()  # [d, s]
    sin = model.rope_sin[:s].t()
    pos = torch.arange(s)
    mask = pos[None, :] > pos[:, None]
    n_rep = c.num_heads // c.num_kv_heads

    def rope(t):  # t [b, heads, d, s]; rotate-half over d
        half = d // 2
        rot = torch.cat((-t[:, :, half:], t[:, :, :half]), dim=2)
        return t * cos + rot * sin

    for layer in model.model.layers:
        att = layer.self_attn
        h = _rms(x, layer.input_layernorm)
        q = rope(_proj(h, att.q_proj).view(b, c.num_heads, d, s))
        k = rope(_proj(h, att.k_proj).view(b, c.num_kv_heads, d, s))
        v = _proj(h, att.v_proj).view(b, c.num_kv_heads, d, s)
        if n_rep > 1:
            k = k[:, :, None].expand(b, c.num_kv_heads, n_rep, d, s).reshape(b, c.num_heads, d, s)
            v = v[:, :, None].expand(b, c.num_kv_heads, n_rep, d, s).reshape(b, c.num_heads, d, s)
        scores = torch.matmul(q.transpose(2, 3), k) / math.sqrt(d)  # [b, heads, s(query), s(key)]
        probs = torch.softmax(scores.masked_fill(mask, torch.finfo(torch.float32).min), dim=-1)
        out = torch.matmul(v, probs.transpose(2, 3)).reshape(b, c.num_heads * d, s)
        x = x + _proj(out, att.o_proj)
        h = _rms(x, layer.post_attention_layernorm)
        mlp = layer.mlp
        x = x + _proj(F.silu(_proj(h, mlp.gate_proj)) * _proj(h, mlp.up_proj), mlp.down_proj)
    x = _rms(x, model.model.norm)
    return F.conv1d(x, emb[:, :, None])  # [b, vocab, s]
