#!/usr/bin/env python3
"""Renders chat templates with Python's jinja2 configured as transformers configures it
(transformers/utils/chat_template_utils.py, _compile_jinja_template): an
ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks and loop controls, tojson as
json.dumps(ensure_ascii=False), and the globals raise_exception and strftime_now.

  /usr/bin/python3 render_jinja2.py TEMPLATE_DIR CASES.json [TEMPLATE...] > golden.jsonl

Same format as render.mjs: one line per template and case, {template, case, context, text} or
{..., error}; the templates are CASES.json's list unless named on the command line.
"""
import json
import os
import sys
from datetime import datetime

from jinja2.exceptions import TemplateError
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                      sort_keys=sort_keys)


def strftime_now(format):
    return datetime.now().strftime(format)


def main(argv):
    directory, cases_path = argv[1], argv[2]
    with open(cases_path, encoding="utf-8") as f:
        spec = json.load(f)
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    for name in argv[3:] or spec["templates"]:
        with open(os.path.join(directory, name + ".jinja"), encoding="utf-8") as f:
            template = env.from_string(f.read())
        for case in spec["cases"]:
            line = {"template": name, "case": case["name"],
                    "context": json.dumps(case["context"], ensure_ascii=False, separators=(",", ":"))}
            try:
                line["text"] = template.render(**case["context"])
            except Exception as e:  # the template's own raise_exception, or a failed operation
                line["error"] = str(e)
            sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv)
