/*===- checksum.c - slmhash64 ---------------------------------------------===*/

#include "slm_checksum.h"

#include "little_endian.h"

static const uint64_t kGolden = 0x9E3779B97F4A7C15ull;
static const uint64_t kMix = 0xFF51AFD7ED558CCDull;

static uint64_t mix_word(uint64_t hash, uint64_t word) {
  hash ^= word * kMix;
  hash = (hash << 31) | (hash >> 33);
  return hash * kGolden;
}

void slm_hash64_begin(slm_hash64_state *state, uint64_t total_size) {
  state->hash = kGolden ^ total_size;
  state->partial_word = 0;
  state->partial_bytes = 0;
}

static void absorb_byte(slm_hash64_state *state, unsigned char byte) {
  state->partial_word |= (uint64_t)byte << (8 * state->partial_bytes);
  if (++state->partial_bytes == 8) {
    state->hash = mix_word(state->hash, state->partial_word);
    state->partial_word = 0;
    state->partial_bytes = 0;
  }
}

void slm_hash64_update(slm_hash64_state *state, const void *data, size_t size) {
  const unsigned char *bytes = data;
  for (; size > 0 && state->partial_bytes > 0; --size)
    absorb_byte(state, *bytes++);
  for (; size >= 8; bytes += 8, size -= 8)
    state->hash = mix_word(state->hash, slm_load_le(bytes, 8));
  for (; size > 0; --size)
    absorb_byte(state, *bytes++);
}

uint64_t slm_hash64_end(slm_hash64_state *state) {
  uint64_t hash = state->hash;
  if (state->partial_bytes > 0)
    hash = mix_word(hash, state->partial_word);
  return hash ^ (hash >> 33);
}

uint64_t slm_slmpack_checksum(const void *file, uint64_t size) {
  static const unsigned char zero[8];
  const unsigned char *bytes = file;
  slm_hash64_state state;
  slm_hash64_begin(&state, size);
  slm_hash64_update(&state, bytes, SLM_CHECKSUM_OFFSET);
  slm_hash64_update(&state, zero, sizeof zero);
  slm_hash64_update(&state, bytes + SLM_CHECKSUM_OFFSET + 8, size - SLM_CHECKSUM_OFFSET - 8);
  return slm_hash64_end(&state);
}
