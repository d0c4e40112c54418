// An independent check of a signed .slmpack (docs/ARTIFACT.md, "Signatures"):
// Node's own SHA-512 and Ed25519 (OpenSSL), not libsodium, over the bytes as
// the document describes them.
//   node verify_slmpack_signature.js ARTIFACT KEY.pub
// Prints "signature ok" and exits 0, or says why not and exits 1.
'use strict';
const crypto = require('crypto');
const fs = require('fs');

const [artifactPath, keyPath] = process.argv.slice(2);
const file = fs.readFileSync(artifactPath);
const keyLine = fs.readFileSync(keyPath, 'utf8').trim();
const label = 'slmc-ed25519-public-key ';
if (!keyLine.startsWith(label)) throw new Error(`${keyPath}: not a public key file`);
const rawKey = Buffer.from(keyLine.slice(label.length), 'hex');

const signatureOffset = Number(file.readBigUInt64LE(80));
const signatureSize = Number(file.readBigUInt64LE(88));
if (signatureSize === 0) {
  console.log('not signed');
  process.exit(1);
}
const block = file.subarray(signatureOffset, signatureOffset + signatureSize);
if (block.subarray(0, 8).toString('latin1') !== 'SLMSIG\0\0') throw new Error('bad block magic');
const signer = block.subarray(8, 40);
const signature = block.subarray(40, 104);
if (!signer.equals(rawKey)) {
  console.log('signed by another key');
  process.exit(1);
}

const signed = Buffer.from(file.subarray(0, signatureOffset));
signed.fill(0, 72, 80);  // the checksum, which covers the signature, is hashed as zeros
const digest = crypto.createHash('sha512').update(signed).digest();
const message = Buffer.concat([Buffer.from('slmpack signature v1\n', 'latin1'), digest]);
// A raw Ed25519 public key as SubjectPublicKeyInfo (RFC 8410).
const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), rawKey]);
const key = crypto.createPublicKey({key: spki, format: 'der', type: 'spki'});
if (crypto.verify(null, message, key, signature)) {
  console.log('signature ok');
} else {
  console.log('signature does not match');
  process.exit(1);
}
