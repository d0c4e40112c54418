#!/usr/bin/env python3
"""Evaluates the distilled student against its teacher, llama.cpp-style, on both parts of
test/data/text/tinystories_train_head.txt: the held-out last 20% (never trained on) and the first
80% (the training part), cut at the story boundary that common.split_text defines.

Each part is treated as a text file of its own: tokenized once with BOS in front (the teacher's
tokenizer.json, through scripts/reference/hf_bpe_reference.py), cut into consecutive windows of
--ctx tokens (a partial last window dropped), the first token of each window replaced by BOS; the
tokens at window positions ctx/2+1 .. ctx-1 are scored, each from the logits at the position before
it (exactly what `slmc eval --ctx N` and llama.cpp's llama-perplexity do). Over those same logit
positions it also reports the mean KL(teacher || student) of the softmax distributions (natural
log) and the share of positions where teacher and student pick the same top token.

Both models run through the plain-PyTorch reference (scripts/fixtures/llama_reference.py), fp32
weights, float64 log-softmax.

  /usr/bin/python3 scripts/distill/evaluate_student.py [--student DIR] [--teacher DIR] [--ctx 128]
        [--json] [--slmc build/tools/slmc/slmc] [--write-splits DIR]

--slmc cross-checks both models' perplexities on both parts with `slmc eval` (it writes the two
parts to a temporary folder). --write-splits writes the parts as train.txt and heldout.txt.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import common as C  # noqa: E402


def split_parts():
    text = C.read_text()
    train, heldout, cut = C.split_text(text)
    return [("heldout", "held-out last 20%", heldout), ("train", "training first 80%", train)], cut


def evaluate(teacher, student, ctx=128):
    parts, _ = split_parts()
    results = []
    for key, label, text in parts:
        r = C.score(teacher, student, C.encode(text), ctx=ctx)
        r.update(part=key, label=label, chars=len(text), ctx=ctx)
        results.append(r)
    return results


def print_table(results):
    print(f"{'part':<20} {'tokens':>7} {'scored':>7} {'teacher ppl':>12} {'student ppl':>12} "
          f"{'KL(t||s)':>9} {'same top-1':>10}")
    for r in results:
        print(f"{r['label']:<20} {r['tokens']:>7} {r['scored']:>7} {r['teacher_ppl']:>12.4f} "
              f"{r['student_ppl']:>12.4f} {r['kl']:>9.4f} {100 * r['top1_agree']:>9.2f}%")


def slmc_ppl(slmc, model_dir, text_path, ctx):
    out = subprocess.run([slmc, "eval", model_dir, "--text", text_path, "--ctx", str(ctx), "--json"],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out[out.index("{"):out.rindex("}") + 1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--student", default=C.STUDENT_DIR)
    ap.add_argument("--teacher", default=C.TEACHER_DIR)
    ap.add_argument("--ctx", type=int, default=128)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--slmc", help="path of the slmc binary: cross-check perplexities with slmc eval")
    ap.add_argument("--write-splits", metavar="DIR", help="write train.txt and heldout.txt there")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    t0 = time.time()
    parts, cut = split_parts()
    if args.write_splits:
        os.makedirs(args.write_splits, exist_ok=True)
        for key, _, text in parts:
            with open(os.path.join(args.write_splits, key + ".txt"), "w", encoding="utf-8") as f:
                f.write(text)
    teacher = C.load_model(args.teacher)
    student = C.load_model(args.student)
    results = evaluate(teacher, student, args.ctx)
    seconds = time.time() - t0

    if args.slmc:
        with tempfile.TemporaryDirectory() as tmp:
            for (key, _, text), r in zip(parts, results):
                path = os.path.join(tmp, key + ".txt")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
                for who, model_dir in (("teacher", args.teacher), ("student", args.student)):
                    got = slmc_ppl(args.slmc, model_dir, path, args.ctx)
                    r[f"slmc_{who}_ppl"] = got["ppl"]
                    if got["tokens"] != r["scored"]:
                        raise SystemExit(f"{key}: slmc scored {got['tokens']} tokens, this script {r['scored']}")
                    rel = abs(got["ppl"] / r[f"{who}_ppl"] - 1)
                    if rel > 1e-4:
                        raise SystemExit(f"{key}: slmc {who} ppl {got['ppl']} vs {r[who + '_ppl']}")

    if args.json:
        print(json.dumps({"teacher": args.teacher, "student": args.student, "cut": cut,
                          "parts": results, "seconds": seconds}, indent=2))
        return
    print(f"teacher {args.teacher}\nstudent {args.student}\n"
          f"text {C.TEXT_PATH}: cut at character {cut}; ctx {args.ctx}")
    print_table(results)
    if args.slmc:
        for r in results:
            print(f"slmc eval agrees on {r['label']}: teacher ppl {r['slmc_teacher_ppl']:.4f}, "
                  f"student ppl {r['slmc_student_ppl']:.4f}")
    print(f"({seconds:.1f} s)")


if __name__ == "__main__":
    main()
