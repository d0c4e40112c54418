// Compares slmc's logits (slmc-logits JSON) for a token sequence with ONNX
// Runtime's for the same ONNX file, as an independent oracle.
//
//   node compare_logits.js MODEL.onnx SLMC.json [--tolerance 1e-4]
//
// The model takes input_ids [1, tokens] (int64) and returns logits [1, tokens,
// vocab] first; other inputs an exporter adds are fed as a generating runtime
// would: an attention mask of ones, positions 0.. tokens-1, empty past keys
// and values. Prints the largest difference and exits 1 if it exceeds the
// tolerance.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

function fail(message) {
  console.error(`compare_logits: ${message}`);
  process.exit(2);
}

async function main() {
  const args = process.argv.slice(2);
  let tolerance = 1e-4;
  const toleranceAt = args.indexOf('--tolerance');
  if (toleranceAt >= 0) {
    tolerance = Number(args[toleranceAt + 1]);
    args.splice(toleranceAt, 2);
  }
  if (args.length !== 2) fail('usage: compare_logits.js MODEL.onnx SLMC.json [--tolerance X]');
  const [modelPath, slmcPath] = args;
  const slmc = JSON.parse(fs.readFileSync(slmcPath, 'utf8'));
  const tokens = slmc.tokens;
  const session = await ort.InferenceSession.create(modelPath, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
  });
  const feeds = {};
  for (const name of session.inputNames) {
    const n = tokens.length;
    if (name.includes('mask')) {
      feeds[name] = new ort.Tensor('int64', BigInt64Array.from(tokens, () => 1n), [1, n]);
    } else if (name.includes('position')) {
      feeds[name] = new ort.Tensor('int64', BigInt64Array.from(tokens, (_, i) => BigInt(i)), [1, n]);
    } else if (name.startsWith('past')) {
      const meta = session.inputMetadata ? session.inputMetadata.find((m) => m.name === name) : null;
      if (!meta || !meta.shape) fail(`cannot shape the empty past input ${name}`);
      const shape = meta.shape.map((d, i) => (i === 0 ? 1 : i === 2 ? 0 : d));
      feeds[name] = new ort.Tensor('float32', new Float32Array(0), shape);
    } else {
      feeds[name] = new ort.Tensor('int64', BigInt64Array.from(tokens, (t) => BigInt(t)), [1, n]);
    }
  }
  const results = await session.run(feeds);
  const logits = results[session.outputNames[0]];
  const vocab = logits.dims[logits.dims.length - 1];
  if (vocab !== slmc.vocab) fail(`onnxruntime's vocabulary is ${vocab}, slmc's ${slmc.vocab}`);
  if (logits.data.length !== slmc.logits.length)
    fail(`onnxruntime gives ${logits.data.length} logits, slmc ${slmc.logits.length}`);
  let worst = 0, at = 0;
  for (let i = 0; i < logits.data.length; ++i) {
    const d = Math.abs(logits.data[i] - slmc.logits[i]);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  const position = Math.floor(at / vocab);
  console.log(`${modelPath}: ${tokens.length} tokens, ${slmc.backend}: ` +
              `max |slmc - onnxruntime| = ${worst.toExponential(3)} ` +
              `(token ${position}, logit ${at % vocab}) over ${logits.data.length} logits`);
  if (!(worst <= tolerance)) {
    console.log(`FAIL: exceeds the tolerance ${tolerance}`);
    process.exit(1);
  }
  console.log('PASS');
}

main().catch((e) => fail(e.stack || String(e)));
