/*===- slm_signature.h - what a .slmpack signature signs ----------*- C -*-===*
 *
 * docs/ARTIFACT.md, "Signatures": the signature block's layout and the
 * message an Ed25519 signature signs. The runtime verifies with these and the
 * compiler's writer (compiler/artifact) signs with them, so the two cannot
 * drift apart. Built only with SLMRT_SIGNATURES (libsodium's SHA-512).
 *
 *===----------------------------------------------------------------------===*/
#ifndef SLM_SIGNATURE_H
#define SLM_SIGNATURE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The first line of a key file, before the key's 64 hex digits (the public
 * key; the secret key file holds its 32-byte seed). */
#define SLM_PUBLIC_KEY_LABEL "slmc-ed25519-public-key "
#define SLM_SECRET_KEY_LABEL "slmc-ed25519-secret-key "

/* Header fields (u64) that locate the signature block; both zero when unsigned. */
#define SLM_SIGNATURE_OFFSET_FIELD 80
#define SLM_SIGNATURE_SIZE_FIELD 88
/* The block: "SLMSIG\0\0", the signer's public key (32 bytes), the signature
 * (64 bytes); it starts at the first 64-byte boundary after the weights and
 * ends the file. */
#define SLM_SIGNATURE_BLOCK_SIZE 104
#define SLM_SIGNATURE_BLOCK_ALIGNMENT 64
#define SLM_SIGNATURE_MAGIC "SLMSIG\0"
#define SLM_SIGNATURE_KEY_OFFSET 8
#define SLM_SIGNATURE_BYTES_OFFSET 40
#define SLM_SIGNATURE_BYTES 64

/* The signed message: this prefix, then the SHA-512 of the file's bytes
 * before the signature block with the 8 checksum bytes taken as zero (the
 * checksum covers the signature, so it cannot be signed). */
#define SLM_SIGNED_MESSAGE_PREFIX "slmpack signature v1\n"
#define SLM_SIGNED_MESSAGE_PREFIX_SIZE 21
#define SLM_SIGNED_MESSAGE_SIZE (SLM_SIGNED_MESSAGE_PREFIX_SIZE + 64)

/* Builds the signed message from the file's bytes fed in pieces of any size,
 * from offset 0 (the checksum bytes are zeroed as they pass). */
typedef struct slm_signed_message_state {
  uint64_t sha512[32]; /* libsodium's crypto_hash_sha512_state (208 bytes) */
  uint64_t position;
} slm_signed_message_state;

void slm_signed_message_begin(slm_signed_message_state *state);
void slm_signed_message_update(slm_signed_message_state *state, const void *data, size_t size);
void slm_signed_message_end(slm_signed_message_state *state,
                            uint8_t message[SLM_SIGNED_MESSAGE_SIZE]);

#ifdef __cplusplus
}
#endif

#endif
