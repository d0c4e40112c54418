#!/usr/bin/env python3
"""Distils a ~230K-parameter student from the TinyStories-656K teacher (same tokenizer) and writes
it as a Hugging Face folder plus an ONNX export.

Student: LlamaForCausalLM, hidden 64, 2 layers, 4 attention heads / 2 key-value heads (head_dim 16),
FFN 192, vocab 2048, 512 positions, rope theta 10000, rms eps 1e-6, tied input/output embeddings
(the 2048x64 embedding is 57% of the 229,696 parameters; an untied head would add another 131,072).

Loss, averaged over positions:
    ALPHA * T^2 * KL(softmax(teacher / T) || softmax(student / T))
  + (1 - ALPHA) * cross-entropy(student, next token of the window)
with ALPHA = 0.9 and T = 1 (HYPER below; --temperature / --alpha change them). T = 2 was tried and
was worse in short runs at this size (see README.md). The KL term is taken at all 128 positions of
a window, the cross-entropy at the 127 positions whose next token is inside the window.

Data (never any of the held-out last 20% of the text; see common.split_text):
  * the first 80% of test/data/text/tinystories_train_head.txt, cut at a story boundary, tokenized
    with the teacher's tokenizer.json (scripts/reference/hf_bpe_reference.py): 39,348 tokens;
  * text sampled from the teacher: sample_rows stories, each from BOS, at most sample_max_new tokens
    at temperature sample_temperature (a story ends early at EOS), one seeded torch.Generator,
    KV-cached decoding over llama_reference's modules (checked against its full forward pass).
    The token ids are used directly (no decode / re-encode round trip).
Each source is one long token stream; a training window is 128 consecutive tokens at an offset
drawn from a seeded torch.Generator, its first token replaced by BOS (the layout of llama.cpp's
perplexity windows, which evaluate_student.py measures). Every batch holds batch_data windows of
the text and batch_sampled windows of teacher samples; the teacher's logits are computed on the same
windows on the fly. AdamW, linear warm-up then cosine decay to lr / 10, gradient clipping at 1.

Initialisation (--init project, the default): V = the top-64 right singular vectors of the
teacher's 2048x128 tied embedding E_t. The student's embedding is E_t V (= U_64 S_64, the best
rank-64 approximation of the teacher's embedding / logit map in 64 coordinates), and its layers are
the teacher's projected into that subspace: 2 of the 4 GQA groups (4 of 8 query heads) and 192 of
384 FFN units, the ones with the largest output-projection norms, input sides multiplied by V,
output sides by V^T, the teacher's RMSNorm weights folded into the projections that follow them.
--init svd: the same embedding but the layers drawn from normal(0, 0.02) (o_proj, down_proj:
0.02 / sqrt(2 * layers)) and the final RMSNorm weight 0.1; --init normal: everything
normal(0, 0.02). README.md compares the three.

Determinism: python random, numpy and torch are seeded; sampling and batch order use their own
seeded torch.Generator objects; torch runs on one thread. The same torch build gives the same files.

Run from the repository root (about 20 minutes on a 2-core machine):
  /usr/bin/python3 scripts/distill/distill_student.py
Options: --steps N, --out DIR, --init {project,svd,normal}, --lr, --alpha, --temperature,
--no-save (train and report only, for experiments).
"""

import argparse
import json
import math
import os
import random
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import common as C  # noqa: E402
from common import ref  # noqa: E402  (scripts/fixtures/llama_reference.py)

sys.path.insert(0, os.path.join(C.REPO, "scripts", "fixtures"))
import export_onnx  # noqa: E402

HYPER = {
    "seed": 1234,
    "threads": 1,               # one thread: faster than two on the shared 2-core machine, and deterministic
    "ctx": 128,                 # training window (tokens)
    "steps": 1100,
    "batch_data": 12,           # windows of the 80% text per step
    "batch_sampled": 20,        # windows of teacher samples per step
    "lr": 6e-3,                 # AdamW peak learning rate
    "lr_final": 6e-4,           # cosine decay ends here (lr / 10)
    "warmup": 50,               # linear warm-up steps
    "betas": (0.9, 0.95),
    "weight_decay": 0.01,       # on matrices only (not on RMSNorm weights)
    "grad_clip": 1.0,
    "temperature": 1.0,         # distillation temperature T (KL scaled by T^2)
    "alpha": 0.9,               # weight of the KL term; 1 - alpha on the data cross-entropy
    "sample_rows": 1536,        # teacher samples
    "sample_max_new": 256,      # tokens per sample after BOS (fewer when EOS comes first)
    "sample_temperature": 0.9,
    "sample_seed": 20240601,
    "valid_rows": 24,           # a separate set of teacher samples, only to print progress
    "valid_seed": 777,
    "init": "project",
}

FINAL_NORM_INIT = 0.1  # --init svd only

STUDENT_SHAPE = {
    "hidden_size": 64,
    "intermediate_size": 192,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "num_hidden_layers": 2,
    "vocab_size": 2048,
    "max_position_embeddings": 512,
    "rope_theta": 10000.0,
    "rms_norm_eps": 1e-06,
    "tie_word_embeddings": True,
}


def student_config(teacher_cfg):
    """The teacher's config.json with the student's shape: same keys, same order."""
    cfg = dict(teacher_cfg)
    for k, v in STUDENT_SHAPE.items():
        if k not in cfg:
            raise KeyError(f"teacher config has no {k}")
        cfg[k] = v
    return cfg


# --------------------------------------------------------------------------------------------
# Teacher sampling (KV cache over llama_reference's modules)
# --------------------------------------------------------------------------------------------

def _lin(x, linear):
    """x [b, in] -> [b, out] as a 1x1 conv1d over a batch of length-1 sequences: torch sends it to
    oneDNN (for b >= 16) instead of the reference BLAS that Debian's torch links."""
    return F.conv1d(x[:, :, None], linear.weight[:, :, None])[:, :, 0]


@torch.no_grad()
def _decode_step(model, tok, pos, cache):
    """One token per row through the reference model's layers with a KV cache. tok [b] -> logits
    [b, vocab]. cache: list per layer of (k, v) tensors [b, kv_heads, t, d] (or None)."""
    c = model.c
    b = tok.shape[0]
    x = model.model.embed_tokens(tok)  # [b, h]
    cos, sin = model.rope_cos[pos:pos + 1], model.rope_sin[pos:pos + 1]
    n_rep = c.num_heads // c.num_kv_heads
    for li, layer in enumerate(model.model.layers):
        att, mlp = layer.self_attn, layer.mlp
        h = layer.input_layernorm(x)
        q = _lin(h, att.q_proj).view(b, c.num_heads, 1, c.head_dim)
        k = _lin(h, att.k_proj).view(b, c.num_kv_heads, 1, c.head_dim)
        v = _lin(h, att.v_proj).view(b, c.num_kv_heads, 1, c.head_dim)
        q = q * cos + ref.rotate_half(q) * sin
        k = k * cos + ref.rotate_half(k) * sin
        if cache[li] is not None:
            k = torch.cat((cache[li][0], k), dim=2)
            v = torch.cat((cache[li][1], v), dim=2)
        cache[li] = (k, v)
        t = k.shape[2]
        kk = k[:, :, None].expand(b, c.num_kv_heads, n_rep, t, c.head_dim).reshape(b, c.num_heads, t, c.head_dim)
        vv = v[:, :, None].expand(b, c.num_kv_heads, n_rep, t, c.head_dim).reshape(b, c.num_heads, t, c.head_dim)
        probs = torch.softmax(torch.matmul(q, kk.transpose(2, 3)) / math.sqrt(c.head_dim), dim=-1)
        out = torch.matmul(probs, vv).reshape(b, c.num_heads * c.head_dim)
        x = x + _lin(out, att.o_proj)
        h = layer.post_attention_layernorm(x)
        x = x + _lin(F.silu(_lin(h, mlp.gate_proj)) * _lin(h, mlp.up_proj), mlp.down_proj)
    return F.conv1d(model.model.norm(x)[:, :, None], model.model.embed_tokens.weight[:, :, None])[:, :, 0]


@torch.no_grad()
def sample_teacher(teacher, rows, max_new, temperature, seed, batch=64, check=True):
    """rows stories from BOS; each a list [BOS, ..., EOS?]. Deterministic for a seed."""
    gen = torch.Generator().manual_seed(seed)
    stories = []
    for start in range(0, rows, batch):
        b = min(batch, rows - start)
        seqs = torch.full((b, max_new + 1), -1, dtype=torch.int64)
        seqs[:, 0] = C.BOS
        done = torch.zeros(b, dtype=torch.bool)
        cache = [None] * len(teacher.model.layers)
        first_logits = []
        tok = seqs[:, 0]
        for pos in range(max_new):
            logits = _decode_step(teacher, tok, pos, cache)
            if check and start == 0 and pos < 24:
                first_logits.append(logits[0].clone())
            probs = torch.softmax(logits / temperature, dim=-1)
            tok = torch.multinomial(probs, 1, generator=gen)[:, 0]
            tok = torch.where(done, torch.full_like(tok, -1), tok)
            seqs[:, pos + 1] = tok
            done |= tok == C.EOS
            tok = tok.clamp(min=0)
            if bool(done.all()):
                break
        if check and start == 0:  # the cached decode must agree with the reference forward pass
            n = len(first_logits)
            full = teacher(seqs[:1, :n].clamp(min=0))[0]
            err = float((full - torch.stack(first_logits)).abs().max())
            if err > 1e-4:
                raise SystemExit(f"KV-cache sampling disagrees with the reference forward ({err})")
        for row in seqs.tolist():
            stories.append([t for t in row if t >= 0])
    return stories


# --------------------------------------------------------------------------------------------
# Initialisation
# --------------------------------------------------------------------------------------------

def _normal_(t, std, gen):
    with torch.no_grad():
        t.copy_(torch.randn(t.shape, generator=gen) * std)


def init_student(student, teacher, mode, gen):
    sc, tc = student.c, teacher.c
    std, out_std = 0.02, 0.02 / math.sqrt(2 * sc.num_layers)
    for layer in student.model.layers:
        a, m = layer.self_attn, layer.mlp
        for lin in (a.q_proj, a.k_proj, a.v_proj, m.gate_proj, m.up_proj):
            _normal_(lin.weight, std, gen)
        for lin in (a.o_proj, m.down_proj):
            _normal_(lin.weight, out_std, gen)
    et = teacher.model.embed_tokens.weight.detach().double()
    _, _, vh = torch.linalg.svd(et, full_matrices=False)
    v = vh[:sc.hidden_size].t()  # [teacher hidden, student hidden], orthonormal columns
    with torch.no_grad():
        if mode == "normal":
            _normal_(student.model.embed_tokens.weight, std, gen)
        else:
            student.model.embed_tokens.weight.copy_((et @ v).float())
            # The projected rows are large (norm ~4.8 against ~0.16 for normal(0.02)) and the
            # untrained residual stream is mostly the current token's own embedding: a small final
            # RMSNorm weight keeps the first logits within a few nats instead of ~40.
            student.model.norm.weight.fill_(FINAL_NORM_INIT)
    if mode != "project":
        return
    # Project the teacher's layers on the same subspace: residual x_t ~ V z_s. RMSNorm weights are
    # folded into the following projections (student norms stay 1), with sqrt(ht/hs) for the
    # changed mean in rms; half the heads (whole GQA groups) and half the FFN units are kept,
    # chosen by the norm of their output projection.
    scale = math.sqrt(tc.hidden_size / sc.hidden_size)
    d = tc.head_dim
    rep_t = tc.num_heads // tc.num_kv_heads
    rep_s = sc.num_heads // sc.num_kv_heads
    if d != sc.head_dim or rep_t != rep_s:
        raise SystemExit("--init project needs the same head_dim and GQA ratio")
    with torch.no_grad():
        for ls, lt in zip(student.model.layers, teacher.model.layers):
            at, as_ = lt.self_attn, ls.self_attn
            wo = at.o_proj.weight.double()
            group_norm = [float(wo[:, g * rep_t * d:(g + 1) * rep_t * d].norm()) for g in range(tc.num_kv_heads)]
            groups = sorted(sorted(range(tc.num_kv_heads), key=lambda g: -group_norm[g])[:sc.num_kv_heads])
            kv_rows = torch.cat([torch.arange(g * d, (g + 1) * d) for g in groups])
            q_rows = torch.cat([torch.arange(g * rep_t * d, (g + 1) * rep_t * d) for g in groups])
            w_in = lt.input_layernorm.weight.double()
            for lin_s, lin_t, rows in ((as_.q_proj, at.q_proj, q_rows), (as_.k_proj, at.k_proj, kv_rows),
                                       (as_.v_proj, at.v_proj, kv_rows)):
                lin_s.weight.copy_((scale * lin_t.weight.double()[rows] * w_in) @ v)
            as_.o_proj.weight.copy_(v.t() @ wo[:, q_rows])
            mt, ms = lt.mlp, ls.mlp
            wd = mt.down_proj.weight.double()
            units = torch.sort(torch.argsort(-wd.norm(dim=0))[:sc.intermediate_size]).values
            w_post = lt.post_attention_layernorm.weight.double()
            ms.gate_proj.weight.copy_((scale * mt.gate_proj.weight.double()[units] * w_post) @ v)
            ms.up_proj.weight.copy_((scale * mt.up_proj.weight.double()[units] * w_post) @ v)
            ms.down_proj.weight.copy_(v.t() @ wd[:, units])
        wf = teacher.model.norm.weight.double()
        student.model.norm.weight.copy_(scale * ((v * v) * wf[:, None]).sum(0))


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------

def windows_at(stream, offsets, ctx):
    w = torch.stack([stream[o:o + ctx] for o in offsets.tolist()])
    w[:, 0] = C.BOS
    return w


def lr_at(step, hp):
    if step < hp["warmup"]:
        return hp["lr"] * (step + 1) / hp["warmup"]
    p = (step - hp["warmup"]) / max(1, hp["steps"] - hp["warmup"])
    return hp["lr_final"] + 0.5 * (hp["lr"] - hp["lr_final"]) * (1 + math.cos(math.pi * p))


def distill_loss(s_logits, t_logits, windows, hp):
    """s_logits, t_logits [b, vocab, s] (channels-first, from common.fast_forward)."""
    temp = hp["temperature"]
    lt = torch.log_softmax(t_logits / temp, dim=1)
    ls = torch.log_softmax(s_logits / temp, dim=1)
    kl = (lt.exp() * (lt - ls)).sum(1).mean() * temp * temp
    ce = F.cross_entropy(s_logits[:, :, :-1], windows[:, 1:])
    return hp["alpha"] * kl + (1 - hp["alpha"]) * ce, kl, ce


@torch.no_grad()
def quick_metrics(teacher, student, windows):
    """KL(teacher || student) at T=1 and top-1 agreement over positions ctx/2 .. ctx-2 (the logit
    positions llama.cpp scores), student cross-entropy on the next tokens there."""
    ctx = windows.shape[1]
    first = ctx // 2
    lt = torch.log_softmax(C.fast_forward(teacher, windows)[:, :, first:ctx - 1].double(), dim=1)
    ls = torch.log_softmax(C.fast_forward(student, windows)[:, :, first:ctx - 1].double(), dim=1)
    kl = float((lt.exp() * (lt - ls)).sum(1).mean())
    top = float((lt.argmax(1) == ls.argmax(1)).double().mean())
    ce = float(-ls.gather(1, windows[:, None, first + 1:]).mean())
    return kl, top, ce


def train(teacher, student, data_stream, sampled_stream, valid, hp, log=print):
    gen = torch.Generator().manual_seed(hp["seed"] + 1)
    decay = [p for n, p in student.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in student.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": hp["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=hp["lr"], betas=hp["betas"], eps=1e-8)
    ctx = hp["ctx"]
    t0 = time.time()
    run_kl = run_ce = None
    for step in range(hp["steps"]):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, hp)
        od = torch.randint(0, len(data_stream) - ctx + 1, (hp["batch_data"],), generator=gen)
        os_ = torch.randint(0, len(sampled_stream) - ctx + 1, (hp["batch_sampled"],), generator=gen)
        w = torch.cat((windows_at(data_stream, od, ctx), windows_at(sampled_stream, os_, ctx)))
        with torch.no_grad():
            t_logits = C.fast_forward(teacher, w)
        student.train()
        loss, kl, ce = distill_loss(C.fast_forward(student, w), t_logits, w, hp)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(student.parameters(), hp["grad_clip"])
        opt.step()
        run_kl = float(kl) if run_kl is None else 0.95 * run_kl + 0.05 * float(kl)
        run_ce = float(ce) if run_ce is None else 0.95 * run_ce + 0.05 * float(ce)
        if step % 100 == 0 or step == hp["steps"] - 1:
            vkl, vtop, vce = quick_metrics(teacher, student, valid)
            log(f"step {step:5d}/{hp['steps']}  lr {lr_at(step, hp):.2e}  train T^2*KL_T {run_kl:.4f}  "
                f"train CE {run_ce:.4f}  | teacher-sample check: KL {vkl:.4f}  top-1 {vtop:.3f}  "
                f"CE {vce:.3f}  ({time.time() - t0:.0f} s)")
    return time.time() - t0


# --------------------------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------------------------

def save_student(student, cfg, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    tensors = {k: ("F32", v.detach().float().numpy()) for k, v in student.state_dict().items()}
    if set(tensors) & {"lm_head.weight", "rope_cos", "rope_sin"}:
        raise SystemExit("unexpected tensors in the student's state dict")
    ref.write_safetensors(os.path.join(out_dir, "model.safetensors"), tensors, {"format": "pt"})
    for fn in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(os.path.join(C.TEACHER_DIR, fn), os.path.join(out_dir, fn))


def export_onnx_for(model_dir):
    """Exports model_dir/model.onnx through scripts/fixtures/export_onnx.py's own export() and
    check_graph() (same tracing inputs, opset, dynamic axes and numpy-evaluation check)."""
    import onnx
    model = ref.load_hf_model(model_dir)
    path = os.path.join(model_dir, "model.onnx")
    export_onnx.export(model, path, export_onnx.pick_opset())
    proto = onnx.load(path)
    onnx.checker.check_model(proto)
    print(f"wrote {path} ({os.path.getsize(path)} bytes), {len(proto.graph.node)} nodes, "
          f"{len(proto.graph.initializer)} initializers")
    export_onnx.check_graph(proto, model, "model.onnx")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=HYPER["steps"])
    ap.add_argument("--init", choices=("svd", "project", "normal"), default=HYPER["init"])
    ap.add_argument("--alpha", type=float, default=HYPER["alpha"])
    ap.add_argument("--temperature", type=float, default=HYPER["temperature"])
    ap.add_argument("--lr", type=float, default=HYPER["lr"])
    ap.add_argument("--out", default=C.STUDENT_DIR)
    ap.add_argument("--no-save", action="store_true", help="train and report only (experiments)")
    args = ap.parse_args()
    hp = dict(HYPER, steps=args.steps, init=args.init, alpha=args.alpha, temperature=args.temperature,
              lr=args.lr, lr_final=args.lr / 10)

    t_start = time.time()
    torch.set_num_threads(hp["threads"])
    random.seed(hp["seed"])
    np.random.seed(hp["seed"])
    torch.manual_seed(hp["seed"])
    print("hyper-parameters:", json.dumps(hp))

    teacher = ref.load_hf_model(C.TEACHER_DIR)
    with open(os.path.join(C.TEACHER_DIR, "config.json")) as f:
        cfg = student_config(json.load(f))
    student = ref.CausalLM(ref.ModelConfig(cfg))
    init_student(student, teacher, hp["init"], torch.Generator().manual_seed(hp["seed"]))
    n_params = sum(p.numel() for p in student.parameters())
    print(f"student: {n_params} parameters (teacher {sum(p.numel() for p in teacher.parameters())}), "
          f"init {hp['init']}")

    # Data: the training part of the text only.
    text = C.read_text()
    train_text, heldout_text, cut = C.split_text(text)
    data_ids = C.encode(train_text)
    print(f"text: {len(text)} chars; training part {len(train_text)} chars (cut at {cut}), "
          f"{len(data_ids)} tokens; held-out part ({len(heldout_text)} chars) not used")
    t = time.time()
    stories = sample_teacher(teacher, hp["sample_rows"], hp["sample_max_new"], hp["sample_temperature"],
                             hp["sample_seed"])
    sampled = [tok for s in stories for tok in s]
    n_eos = sum(1 for s in stories if s[-1] == C.EOS)
    print(f"teacher samples: {len(stories)} stories, {len(sampled)} tokens, {n_eos} ended with EOS "
          f"({time.time() - t:.1f} s); first: {C.decode(stories[0][1:60])!r}")
    valid_stories = sample_teacher(teacher, hp["valid_rows"], hp["ctx"] - 1, hp["sample_temperature"],
                                   hp["valid_seed"], check=False)
    valid_stream = torch.tensor([tok for s in valid_stories for tok in s], dtype=torch.int64)
    nv = len(valid_stream) // hp["ctx"]
    valid = valid_stream[:nv * hp["ctx"]].view(nv, hp["ctx"]).clone()
    valid[:, 0] = C.BOS

    seconds = train(teacher, student, torch.tensor(data_ids, dtype=torch.int64),
                    torch.tensor(sampled, dtype=torch.int64), valid, hp)
    print(f"training: {hp['steps']} steps in {seconds:.0f} s")
    student.eval()

    if not args.no_save:
        save_student(student, cfg, args.out)
        reloaded = ref.load_hf_model(args.out)
        probe = torch.tensor([export_onnx.TOKENS], dtype=torch.int64)
        with torch.no_grad():
            err = float((reloaded(probe) - student(probe)).abs().max())
            err_fast = float((C.fast_forward(student, probe).transpose(1, 2) - student(probe)).abs().max())
        print(f"saved {args.out}: reload max |diff| {err:.3g}; fast_forward vs reference {err_fast:.3g}")
        if err != 0.0 or err_fast > 1e-4:
            raise SystemExit("saved student does not reproduce the trained one")
        export_onnx_for(args.out)
        for fn in sorted(os.listdir(args.out)):
            print(f"  {fn}: {os.path.getsize(os.path.join(args.out, fn))} bytes")
        evaluated = args.out
    else:
        evaluated = None

    import evaluate_student
    results = evaluate_student.evaluate(teacher, student if evaluated is None else ref.load_hf_model(evaluated))
    evaluate_student.print_table(results)
    print(f"total wall time {time.time() - t_start:.0f} s")


if __name__ == "__main__":
    main()
