//===- SigningKey.h - Ed25519 keys that sign artifacts ----------*- C++ -*-===//
//
// `slmc keygen` makes a key pair, `slmc compile --sign KEY` signs with its
// secret half, and a device given the public half (slm_artifact_open_trusted)
// runs only what that key signed (docs/ARTIFACT.md, "Signatures"). Ed25519
// through libsodium, the runtime's verifier.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "runtime/include/slm_runtime.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <array>
#include <cstdint>

namespace slmc {

struct SigningKey {
  std::array<uint8_t, 64> secret; // libsodium's form: the 32-byte seed, then the public key
  slm_public_key publicKey;
};

/// A secret key file as `slmc keygen` writes it: the line
/// "slmc-ed25519-secret-key " and the 32-byte seed as 64 hex digits.
llvm::Expected<SigningKey> readSigningKey(llvm::StringRef path);

/// The key pair of a 32-byte seed (what the secret key file holds).
SigningKey signingKeyFromSeed(const std::array<uint8_t, 32> &seed);

/// A fresh key pair from the system's random source: the secret key to
/// `secretPath` (created, never overwritten; readable by its owner only) and
/// the public key to `secretPath`.pub. Returns the public key.
llvm::Expected<slm_public_key> generateKeyPair(llvm::StringRef secretPath);

/// The public key file's text (the format slm_public_key_read reads).
std::string publicKeyText(const slm_public_key &key);

/// Ed25519's detached signature of `message`.
std::array<uint8_t, 64> sign(const SigningKey &key, llvm::ArrayRef<uint8_t> message);

} // namespace slmc
