// ONNX Runtime on the ONNX node tests with inputs of slmc's choosing: for every
// case slmc-conformance --oracle_dir wrote (the test's float inputs moved by a
// random amount, and slmc's outputs for them on the reference executor and,
// if asked for, compiled), runs the model on the same inputs and compares as
// the ONNX backend tests do (rtol 1e-3, atol 1e-7; NaN matches NaN).
//
//   node compare_conformance.js DIR
//
// Prints one line per mismatch and a summary; exits 1 on any mismatch.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

const RTOL = 1e-3, ATOL = 1e-7;

const ARRAYS = {
  float32: Float32Array, int64: BigInt64Array, int32: Int32Array, bool: Uint8Array,
  int8: Int8Array,
};

function readTensor(dir, entry) {
  const bytes = fs.readFileSync(path.join(dir, entry.file));
  const Array = ARRAYS[entry.dtype];
  const copy = new Uint8Array(bytes).buffer; // aligned
  return new ort.Tensor(entry.dtype, new Array(copy, 0, copy.byteLength / Array.BYTES_PER_ELEMENT),
                        entry.shape);
}

function same(a, e) {
  if (typeof e === 'bigint' || typeof a === 'bigint') return BigInt(a) === BigInt(e);
  if (typeof e === 'boolean' || typeof a === 'boolean') return Boolean(a) === Boolean(e);
  if (Number.isNaN(e)) return Number.isNaN(a);
  if (!Number.isFinite(e)) return a === e;
  return Math.abs(a - e) <= ATOL + RTOL * Math.abs(e);
}

/// The first element where slmc's tensor differs from ONNX Runtime's, or "".
function compare(slmc, ort) {
  if (JSON.stringify(Array.from(slmc.dims)) !== JSON.stringify(Array.from(ort.dims)))
    return `shape [${slmc.dims}] vs onnxruntime's [${ort.dims}]`;
  for (let i = 0; i < ort.data.length; ++i)
    if (!same(slmc.data[i], ort.data[i]))
      return `element ${i}: ${slmc.data[i]} vs onnxruntime's ${ort.data[i]}`;
  return '';
}

async function main() {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: compare_conformance.js DIR');
    process.exit(2);
  }
  const counts = {};
  let cases = 0, ortFailed = 0, mismatches = 0;
  for (const name of fs.readdirSync(dir).sort()) {
    const caseDir = path.join(dir, name);
    const spec = JSON.parse(fs.readFileSync(path.join(caseDir, 'case.json'), 'utf8'));
    let results;
    try {
      const session = await ort.InferenceSession.create(spec.model, { intraOpNumThreads: 1 });
      const feeds = {};
      for (const input of spec.inputs) feeds[input.name] = readTensor(caseDir, input);
      results = await session.run(feeds);
      results = session.outputNames.map((n) => results[n]);
    } catch (e) {
      ++ortFailed;
      console.log(`ONNXRUNTIME FAILED ${name}: ${String(e.message || e).split('\n')[0]}`);
      continue;
    }
    ++cases;
    for (const [backend, outputs] of Object.entries(spec.outputs)) {
      counts[backend] = (counts[backend] || 0) + 1;
      outputs.forEach((entry, i) => {
        const difference = compare(readTensor(caseDir, entry), results[i]);
        if (difference) {
          ++mismatches;
          console.log(`MISMATCH ${name} ${backend} output ${i}: ${difference}`);
        }
      });
    }
  }
  const backends = Object.entries(counts).map(([b, n]) => `${n} ${b}`).join(', ');
  console.log(`${cases} cases compared with onnxruntime (${backends}), ${mismatches} mismatches, ` +
              `${ortFailed} that onnxruntime did not run`);
  process.exit(mismatches ? 1 : 0);
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(2);
});
