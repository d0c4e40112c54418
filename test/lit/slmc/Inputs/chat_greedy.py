"""Checks `slmc run --chat --tokens` on the tiny-hf chat fixture against an independent
reimplementation: the template of test/data/tiny-hf/chat/tokenizer_config.json written out in
Python, tokenizer64's character vocabulary, and greedy decoding with the plain-PyTorch reference
(scripts/fixtures/llama_reference.py) until a stop token (config.json's and
generation_config.json's eos ids) or the reply limit.

  chat_greedy.py MODEL_DIR SLMC_OUTPUT MAX_REPLY SYSTEM TURN...
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "scripts", "fixtures"))
import llama_reference as ref  # noqa: E402

model_dir, output, max_reply, system, turns = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:]
vocab = json.load(open(os.path.join(model_dir, "tokenizer.json")))["model"]["vocab"]
text_of = {i: t for t, i in vocab.items()}
stops = {json.load(open(os.path.join(model_dir, "config.json")))["eos_token_id"]}
generation = json.load(open(os.path.join(model_dir, "generation_config.json")))["eos_token_id"]
stops |= set(generation if isinstance(generation, list) else [generation])
model = ref.load_hf_model(model_dir)

lines = open(output).read().splitlines()
prompts = [list(map(int, l.split(":")[1].split())) for l in lines if l.startswith("prompt tokens:")]
replies = [list(map(int, l.split(":")[1].split())) for l in lines if l.startswith("reply tokens:")]
assert len(prompts) == len(replies) == len(turns), (len(prompts), len(replies), turns)

messages = [("system", system)] if system else []
for turn, (got_prompt, got_reply) in enumerate(zip(prompts, replies)):
    messages.append(("user", turn_text := turns[turn]))
    # {{ bos_token }}{% for m in messages %}{{ m.role[:1] | upper }}{{ m.content | trim }}{{ eos_token }}
    # {% endfor %}{% if add_generation_prompt %}A{% endif %}
    ids = [vocab["<s>"]]
    for role, content in messages:
        ids += [vocab[c] for c in role[0].upper() + content.strip()] + [vocab["</s>"]]
    ids.append(vocab["A"])
    assert got_prompt == ids, f"turn {turn}: prompt {got_prompt} != {ids}"
    reply = []
    while len(reply) < max_reply:
        next_id = int(ref.logits_for(model, ids + reply)[-1].argmax())
        if next_id in stops:
            break
        reply.append(next_id)
    assert got_reply == reply, f"turn {turn}: reply {got_reply} != PyTorch's greedy {reply}"
    messages.append(("assistant", "".join(text_of[i] for i in reply)))
    print(f"turn {turn}: {len(ids)} prompt tokens, reply {reply} {'(stopped)' if len(reply) < max_reply else '(limit)'}")
print("chat matches PyTorch")
