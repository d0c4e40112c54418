// Goldens from Hugging Face's JavaScript tokenizers (@huggingface/tokenizers,
// the engine inside @huggingface/transformers), in the format of
// test/data/tokenizers/*/golden.jsonl: for each string of a JSON array, with
// add_special_tokens true and false, {text, add_special_tokens, ids, decoded}
// (decoded without skipping special tokens, no clean-up of spaces).
//
//   NODE_PATH=build/oracles/node_modules node encode.mjs TOKENIZER_DIR STRINGS.json
import { createRequire } from 'node:module';
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const require = createRequire(join(resolve(process.env.NODE_PATH ?? '.'), 'x.js'));
const { Tokenizer } = require('@huggingface/tokenizers');

const [dir, stringsFile] = process.argv.slice(2);
const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
const configPath = join(dir, 'tokenizer_config.json');
const config = existsSync(configPath) ? JSON.parse(readFileSync(configPath, 'utf8')) : {};
const tokenizer = new Tokenizer(json, config);
for (const text of JSON.parse(readFileSync(stringsFile, 'utf8'))) {
  for (const add of [true, false]) {
    const ids = tokenizer.encode(text, { add_special_tokens: add }).ids;
    const decoded = ids.length === 0 ? "" // (the library refuses to decode nothing)
      : tokenizer.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
    process.stdout.write(JSON.stringify({ text, add_special_tokens: add, ids, decoded }) + '\n');
  }
}
