/*===- slm_checksum.h - slmhash64, the .slmpack checksum ----------*- C -*-===*
 *
 * The one implementation of docs/ARTIFACT.md's checksum: the runtime checks
 * files with it and the compiler's writer (compiler/artifact) computes it with
 * it, so the two cannot drift apart.
 *
 *===----------------------------------------------------------------------===*/
#ifndef SLM_CHECKSUM_H
#define SLM_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The header offset of the checksum, which is hashed as zero bytes. */
#define SLM_CHECKSUM_OFFSET 72

/* Hashes a byte stream fed in pieces of any size. */
typedef struct slm_hash64_state {
  uint64_t hash;
  uint64_t partial_word;  /* bytes of an unfinished word, little-endian */
  unsigned partial_bytes;
} slm_hash64_state;

void slm_hash64_begin(slm_hash64_state *state, uint64_t total_size);
void slm_hash64_update(slm_hash64_state *state, const void *data, size_t size);
uint64_t slm_hash64_end(slm_hash64_state *state);

/* The checksum of a whole .slmpack file of `size` bytes (at least the header). */
uint64_t slm_slmpack_checksum(const void *file, uint64_t size);

#ifdef __cplusplus
}
#endif

#endif
