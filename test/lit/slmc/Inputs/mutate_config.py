"""mutate_config.py SOURCE_DIR OUT_DIR KEY=JSON...

Copies SOURCE_DIR/config.json to OUT_DIR/config.json with each KEY set to the
JSON value given (KEY=- deletes it), and links the model's safetensors and
tokenizer beside it: a model folder with one config.json field changed.
"""
import json
import os
import sys

source, out, changes = sys.argv[1], sys.argv[2], sys.argv[3:]
os.makedirs(out, exist_ok=True)
config = json.load(open(os.path.join(source, "config.json")))
for change in changes:
    key, value = change.split("=", 1)
    if value == "-":
        del config[key]
    else:
        config[key] = json.loads(value)
json.dump(config, open(os.path.join(out, "config.json"), "w"))
for name in ("model.safetensors", "tokenizer.json"):
    target = os.path.join(out, name)
    if os.path.exists(os.path.join(source, name)) and not os.path.exists(target):
        os.symlink(os.path.abspath(os.path.join(source, name)), target)
