// Renders chat templates with Hugging Face's JavaScript Jinja (@huggingface/jinja, the engine
// transformers.js applies chat templates with), for libslmtok's chat-template tests.
//
//   NODE_PATH=build/oracles/node_modules node render.mjs TEMPLATE_DIR CASES.json > golden.jsonl
//
// CASES.json is {templates: [name...], cases: [{name, context, skip?: [template...]}...]};
// TEMPLATE_DIR/NAME.jinja holds
// each template. One line per template and case: {template, case, context, text} or
// {template, case, context, error}, the context as JSON text (its keys in their order).
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const require = createRequire(join(resolve(process.env.NODE_PATH ?? "."), "x.js"));
const { Template } = require("@huggingface/jinja");

const [dir, casesPath] = process.argv.slice(2);
const { templates, cases } = JSON.parse(readFileSync(casesPath, "utf8"));
for (const name of templates) {
  const template = new Template(readFileSync(join(dir, `${name}.jinja`), "utf8"));
  for (const c of cases) {
    if ((c.skip ?? []).includes(name))
      continue;
    const line = { template: name, case: c.name, context: JSON.stringify(c.context) };
    try {
      line.text = template.render(c.context);
    } catch (e) {
      line.error = String(e.message ?? e);
    }
    process.stdout.write(JSON.stringify(line) + "\n");
  }
}
