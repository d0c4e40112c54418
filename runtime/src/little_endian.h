/*===- little_endian.h - reading the file's little-endian integers -*- C -*-===*/
#ifndef SLM_LITTLE_ENDIAN_H
#define SLM_LITTLE_ENDIAN_H

#include <stdint.h>

/* Byte by byte, so that it works unaligned and on any host; compilers turn
 * it into one load on little-endian machines. */
static inline uint64_t slm_load_le(const uint8_t *bytes, unsigned size) {
  uint64_t value = 0;
  for (unsigned i = size; i-- > 0;)
    value = (value << 8) | bytes[i];
  return value;
}

#endif
