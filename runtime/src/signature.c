/*===- signature.c - checking a .slmpack's Ed25519 signature --------------===*
 *
 * libsodium (Debian's libsodium-dev, linked statically) provides SHA-512 and
 * Ed25519: a widely reviewed implementation with constant-time code and
 * checks against small-order keys and non-canonical signatures, which a
 * hand-written verifier would have to get right on its own. Built only with
 * SLMRT_SIGNATURES; without it (a libc-only runtime) slm_verify_signature
 * refuses to check instead of pretending to.
 *
 *===----------------------------------------------------------------------===*/

#include "signature.h"

#include "error.h"
#include "slm_checksum.h"

#include <stdio.h>
#include <string.h>

#ifdef SLM_WITH_SIGNATURES

#include "slm_signature.h"

#include <sodium.h>

/* The first bytes of a key as hex, to name it in messages. */
static void key_prefix(const uint8_t *key, char text[17]) {
  for (int i = 0; i < 8; ++i)
    snprintf(text + 2 * i, 3, "%02x", key[i]);
}

_Static_assert(sizeof(crypto_hash_sha512_state) <= sizeof(((slm_signed_message_state *)0)->sha512),
               "slm_signed_message_state is too small for libsodium's SHA-512 state");

static crypto_hash_sha512_state *sha512_of(slm_signed_message_state *state) {
  return (crypto_hash_sha512_state *)(void *)state->sha512;
}

void slm_signed_message_begin(slm_signed_message_state *state) {
  crypto_hash_sha512_init(sha512_of(state));
  state->position = 0;
}

void slm_signed_message_update(slm_signed_message_state *state, const void *data, size_t size) {
  static const uint8_t kZeros[8];
  const uint8_t *bytes = data;
  while (size > 0) {
    /* Up to the checksum's first byte, through its last, or to the end. */
    uint64_t position = state->position;
    uint64_t take = size;
    const uint8_t *source = bytes;
    if (position < SLM_CHECKSUM_OFFSET) {
      if (take > SLM_CHECKSUM_OFFSET - position)
        take = SLM_CHECKSUM_OFFSET - position;
    } else if (position < SLM_CHECKSUM_OFFSET + 8) {
      if (take > SLM_CHECKSUM_OFFSET + 8 - position)
        take = SLM_CHECKSUM_OFFSET + 8 - position;
      source = kZeros;
    }
    crypto_hash_sha512_update(sha512_of(state), source, take);
    state->position += take;
    bytes += take;
    size -= take;
  }
}

void slm_signed_message_end(slm_signed_message_state *state,
                            uint8_t message[SLM_SIGNED_MESSAGE_SIZE]) {
  memcpy(message, SLM_SIGNED_MESSAGE_PREFIX, SLM_SIGNED_MESSAGE_PREFIX_SIZE);
  crypto_hash_sha512_final(sha512_of(state), message + SLM_SIGNED_MESSAGE_PREFIX_SIZE);
}

slm_status slm_verify_signature(const char *path, const uint8_t *file,
                                const slm_artifact_layout *layout, const slm_public_key *keys,
                                size_t key_count) {
  if (key_count == 0)
    return SLM_OK;
  if (layout->signature_size == 0)
    return slm_fail(SLM_ERROR_SIGNATURE,
                    "%s: not signed, and only artifacts signed by a trusted key may be opened",
                    path);
  const uint8_t *block = file + layout->signature_offset;
  const uint8_t *signer = block + SLM_SIGNATURE_KEY_OFFSET;
  char signer_text[17];
  key_prefix(signer, signer_text);
  size_t trusted = 0;
  while (trusted < key_count && memcmp(keys[trusted].bytes, signer, SLM_PUBLIC_KEY_SIZE) != 0)
    ++trusted;
  if (trusted == key_count)
    return slm_fail(SLM_ERROR_SIGNATURE,
                    "%s: signed by key %s..., which is not one of the %zu trusted key%s", path,
                    signer_text, key_count, key_count == 1 ? "" : "s");
  slm_signed_message_state state;
  slm_signed_message_begin(&state);
  slm_signed_message_update(&state, file, layout->signature_offset);
  uint8_t message[SLM_SIGNED_MESSAGE_SIZE];
  slm_signed_message_end(&state, message);
  if (crypto_sign_ed25519_verify_detached(block + SLM_SIGNATURE_BYTES_OFFSET, message,
                                          sizeof message, signer) != 0)
    return slm_fail(SLM_ERROR_SIGNATURE,
                    "%s: the signature by key %s... does not match the file's contents (changed "
                    "after signing?)",
                    path, signer_text);
  return SLM_OK;
}

#else

slm_status slm_verify_signature(const char *path, const uint8_t *file,
                                const slm_artifact_layout *layout, const slm_public_key *keys,
                                size_t key_count) {
  (void)file;
  (void)layout;
  (void)keys;
  if (key_count == 0)
    return SLM_OK;
  return slm_fail(SLM_ERROR_UNSUPPORTED,
                  "%s: this runtime was built without signature checks (SLMRT_SIGNATURES=OFF), "
                  "so it cannot open artifacts only if a trusted key signed them",
                  path);
}

#endif
