//===- SigningKey.cpp - Ed25519 keys that sign artifacts ------------------===//

#include "compiler/artifact/SigningKey.h"

#include "compiler/support/AtomicFile.h"
#include "compiler/support/Error.h"
#include "runtime/src/slm_signature.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <sodium.h>

namespace slmc {
namespace {

// The key files' formats are the runtime's (slm_public_key_read reads them).
constexpr llvm::StringLiteral kSecretKeyLabel = SLM_SECRET_KEY_LABEL;
constexpr llvm::StringLiteral kPublicKeyLabel = SLM_PUBLIC_KEY_LABEL;

llvm::Error initSodium() {
  if (sodium_init() < 0)
    return makeError("libsodium failed to initialize");
  return llvm::Error::success();
}

SigningKey fromSeed(const uint8_t seed[crypto_sign_SEEDBYTES]) {
  SigningKey key;
  crypto_sign_seed_keypair(key.publicKey.bytes, key.secret.data(), seed);
  return key;
}

} // namespace

SigningKey signingKeyFromSeed(const std::array<uint8_t, 32> &seed) {
  static_assert(crypto_sign_SEEDBYTES == 32);
  (void)sodium_init();
  return fromSeed(seed.data());
}

llvm::Expected<SigningKey> readSigningKey(llvm::StringRef path) {
  if (llvm::Error error = initSodium())
    return std::move(error);
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError("{0}: cannot read the signing key: {1}", path, buffer.getError().message());
  llvm::StringRef text = (*buffer)->getBuffer().rtrim("\r\n ");
  if (!text.consume_front(kSecretKeyLabel))
    return makeError("{0}: not an slmc secret key (the file must start with \"{1}\"; make one "
                     "with slmc keygen)",
                     path, kSecretKeyLabel);
  std::string seed;
  if (text.size() != 2 * crypto_sign_SEEDBYTES || !llvm::tryGetFromHex(text, seed))
    return makeError("{0}: the secret key must be {1} hex digits", path,
                     2 * crypto_sign_SEEDBYTES);
  SigningKey key = fromSeed(reinterpret_cast<const uint8_t *>(seed.data()));
  sodium_memzero(seed.data(), seed.size());
  return key;
}

std::string publicKeyText(const slm_public_key &key) {
  return (kPublicKeyLabel + llvm::toHex(llvm::ArrayRef(key.bytes), /*LowerCase=*/true) + "\n")
      .str();
}

llvm::Expected<slm_public_key> generateKeyPair(llvm::StringRef secretPath) {
  if (llvm::Error error = initSodium())
    return std::move(error);
  uint8_t seed[crypto_sign_SEEDBYTES];
  randombytes_buf(seed, sizeof seed);
  SigningKey key = fromSeed(seed);
  std::string secretText =
      (kSecretKeyLabel + llvm::toHex(llvm::ArrayRef(seed), /*LowerCase=*/true) + "\n").str();
  sodium_memzero(seed, sizeof seed);
  std::string publicPath = (secretPath + ".pub").str();
  if (llvm::sys::fs::exists(secretPath))
    return makeError("{0}: already exists; slmc keygen does not overwrite a key", secretPath);
  // The public key first, so that a failure leaves no secret key without it.
  std::string publicText = publicKeyText(key.publicKey);
  if (llvm::Error error = writeFileAtomically(publicPath, {llvm::ArrayRef(publicText.data(),
                                                                          publicText.size())}))
    return std::move(error);
  int fd;
  if (std::error_code error = llvm::sys::fs::openFileForWrite(
          secretPath, fd, llvm::sys::fs::CD_CreateNew, llvm::sys::fs::OF_None, 0600))
    return makeError("{0}: cannot create: {1}", secretPath, error.message());
  {
    llvm::raw_fd_ostream out(fd, /*shouldClose=*/true);
    out << secretText;
    out.close();
    if (out.has_error()) {
      std::string message = out.error().message();
      out.clear_error();
      llvm::sys::fs::remove(secretPath);
      return makeError("{0}: cannot write: {1}", secretPath, message);
    }
  }
  sodium_memzero(secretText.data(), secretText.size());
  return key.publicKey;
}

std::array<uint8_t, 64> sign(const SigningKey &key, llvm::ArrayRef<uint8_t> message) {
  std::array<uint8_t, 64> signature;
  crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(),
                       key.secret.data());
  return signature;
}

} // namespace slmc
