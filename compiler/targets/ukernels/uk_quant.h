/*===- uk_quant.h - reading packed quantized weights --------------*- C -*-===*
 *
 * Private to compiler/targets/ukernels. A quantized [rows, k] weight matrix
 * as slm.dequantize describes it (#slm.weight_format, WeightFormat.h): codes
 * of `bits` bits packed least significant bit first, each row starting on a
 * byte boundary and padded to whole groups with zero codes; an f16 scale per
 * group, and an f16 minimum per group for asymmetric formats (w = q * scale +
 * minimum, q unsigned) where symmetric formats have none (w = q * scale, q
 * signed); codebook formats' codes are unsigned indices into a table of
 * 2^bits floats (w = table[q] * scale, no minimum). Decoding here is the reference's (compiler/quant dequantizeRows)
 * float for float.
 *
 *===----------------------------------------------------------------------===*/
#ifndef SLM_UK_QUANT_H
#define SLM_UK_QUANT_H

#include "compiler/targets/ukernels/uk_internal.h"

typedef struct {
  const uint8_t *codes;     /* rows x row_bytes */
  const uint16_t *scales;   /* rows x groups, f16 bits */
  const uint16_t *minimums; /* rows x groups, f16 bits; NULL for symmetric formats */
  const float *codebook;    /* 2^bits values codes index (codebook formats), or NULL */
  int64_t k;                /* columns */
  int64_t group;            /* columns per group: the format's group, or k per channel */
  int64_t groups;           /* groups per row */
  int64_t row_bytes;
  int32_t bits;
} uk_qmatrix;

/* `group` as the ABI passes it: 0 means one group per row. */
static inline uk_qmatrix uk_qmatrix_of(const uint8_t *codes, const uint16_t *scales,
                                       const uint16_t *minimums, int64_t k, int32_t bits,
                                       int64_t group) {
  uk_qmatrix w;
  w.codes = codes;
  w.scales = scales;
  w.minimums = minimums;
  w.codebook = NULL;
  w.k = k;
  w.group = group > 0 ? group : k;
  w.groups = group > 0 ? (k + group - 1) / group : 1;
  w.row_bytes = (w.groups * w.group * bits + 7) / 8;
  w.bits = bits;
  return w;
}

/* IEEE half to float, exactly. Every target has F16C, where this is one
 * vcvtph2ps (vectorized over many scales); a native build for a CPU without
 * it calls the compiler runtime's __extendhfsf2. */
static inline float uk_half_to_float(uint16_t h) {
  _Float16 half;
  memcpy(&half, &h, sizeof half);
  return (float)half;
}

/* Code c of a packed row: sign-extended when symmetric. bits <= 8, so a code
 * spans at most two bytes. */
static inline int32_t uk_code_at(const uint8_t *row, int64_t c, int32_t bits, int symmetric) {
  int64_t bit = c * bits;
  uint32_t window = row[bit >> 3];
  if ((bit & 7) + bits > 8)
    window |= (uint32_t)row[(bit >> 3) + 1] << 8;
  uint32_t code = (window >> (bit & 7)) & ((1u << bits) - 1);
  if (symmetric && (code >> (bits - 1)))
    return (int32_t)code - (1 << bits);
  return (int32_t)code;
}

typedef uint8_t uk_u8x16 __attribute__((vector_size(16), aligned(1)));
typedef int8_t uk_i8x16 __attribute__((vector_size(16), aligned(1)));
typedef int32_t uk_i32x16 __attribute__((vector_size(64), aligned(4)));

/* The 32 weights of 16 bytes of 4-bit codes, in order: code 2t is the low
 * nibble of byte t, code 2t + 1 the high one. */
static inline void uk_dequantize_q4_block(const uint8_t *p, float scale, float minimum,
                                          int symmetric, float *out) {
  uk_u8x16 bytes;
  memcpy(&bytes, p, sizeof bytes);
  uk_i32x16 v = __builtin_convertvector(bytes, uk_i32x16);
  uk_i32x16 lo = v & 15, hi = v >> 4;
  if (symmetric) { /* sign-extend */
    lo = (lo ^ 8) - 8;
    hi = (hi ^ 8) - 8;
  }
  uk_f32x16 even = __builtin_convertvector(lo, uk_f32x16) * scale;
  uk_f32x16 odd = __builtin_convertvector(hi, uk_f32x16) * scale;
  if (!symmetric) {
    even += minimum;
    odd += minimum;
  }
  uk_f32x16 first = __builtin_shufflevector(even, odd, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21,
                                            6, 22, 7, 23);
  uk_f32x16 second = __builtin_shufflevector(even, odd, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13,
                                             29, 14, 30, 15, 31);
  memcpy(out, &first, sizeof first);
  memcpy(out + 16, &second, sizeof second);
}

/* Code t of 16 codes of BITS bits that start on a byte boundary: it begins
 * in byte UK_CODE_BYTE and bit UK_CODE_SHIFT, and may reach into the next
 * byte (index 16 of a shuffle is the zero vector's first byte). */
#define UK_CODE_BYTE(BITS, t) ((t) * (BITS) / 8)
#define UK_CODE_NEXT(BITS, t) (UK_CODE_BYTE(BITS, t) + 1 < 2 * (BITS) ? UK_CODE_BYTE(BITS, t) + 1 : 16)
#define UK_CODE_SHIFT(BITS, t) ((t) * (BITS) % 8)
#define UK_EACH_CODE(F, BITS)                                                                      \
  F(BITS, 0), F(BITS, 1), F(BITS, 2), F(BITS, 3), F(BITS, 4), F(BITS, 5), F(BITS, 6), F(BITS, 7),  \
      F(BITS, 8), F(BITS, 9), F(BITS, 10), F(BITS, 11), F(BITS, 12), F(BITS, 13), F(BITS, 14),     \
      F(BITS, 15)

/* The 16 unsigned codes in the 2 * BITS bytes at p, as vectors: the two
 * bytes of each code gathered by shuffles, then shifted into place. */
#define UK_DEFINE_UNPACK16(BITS)                                                                   \
  static inline void uk_unpack16_##BITS(const uint8_t *p, uk_i32x16 *codes) {                     \
    uk_u8x16 bytes = {0}, zero = {0};                                                              \
    memcpy(&bytes, p, 2 * (BITS));                                                                 \
    uk_u8x16 first = __builtin_shufflevector(bytes, zero, UK_EACH_CODE(UK_CODE_BYTE, BITS));      \
    uk_u8x16 next = __builtin_shufflevector(bytes, zero, UK_EACH_CODE(UK_CODE_NEXT, BITS));       \
    uk_i32x16 window = __builtin_convertvector(first, uk_i32x16) |                                 \
                       __builtin_convertvector(next, uk_i32x16) << 8;                              \
    uk_i32x16 shift = {UK_EACH_CODE(UK_CODE_SHIFT, BITS)};                                         \
    *codes = (window >> shift) & ((1 << (BITS)) - 1);                                              \
  }
UK_DEFINE_UNPACK16(2)
UK_DEFINE_UNPACK16(3)
UK_DEFINE_UNPACK16(4)
UK_DEFINE_UNPACK16(5)
UK_DEFINE_UNPACK16(6)
UK_DEFINE_UNPACK16(7)
UK_DEFINE_UNPACK16(8)
#undef UK_DEFINE_UNPACK16

/* The 16 unsigned codes (bits 2..8) in the 2 * bits bytes at p. */
static inline void uk_unpack16(const uint8_t *p, int32_t bits, uk_i32x16 *q) {
  switch (bits) {
  case 2: uk_unpack16_2(p, q); break;
  case 3: uk_unpack16_3(p, q); break;
  case 4: uk_unpack16_4(p, q); break;
  case 5: uk_unpack16_5(p, q); break;
  case 6: uk_unpack16_6(p, q); break;
  case 7: uk_unpack16_7(p, q); break;
  default: uk_unpack16_8(p, q); break;
  }
}

/* The 16 weights whose codebook indices (bits 2..4, a constant where it is
 * called) are the 2 * bits bytes at p, given the group's decoded table
 * (table[q] = codebook[q] * scale): a tree of selects on the index bits,
 * lowest first, over the table's entries as vectors. Reading table[q[l]]
 * lane by lane became scalar extracts and loads (3.0 tokens/s for a 0.5B
 * model in 3-bit codebooks on AVX2; 5.3 this way). The same values either
 * way. */
static inline void uk_decode16_table(const uint8_t *p, int32_t bits, const float *table,
                                     uk_f32x16 *w) {
  uk_i32x16 q;
  uk_unpack16(p, bits, &q);
  uk_i32x16 v[16];
  for (int e = 0; e < (1 << bits); ++e) {
    int32_t entry;
    memcpy(&entry, &table[e], sizeof entry);
    v[e] = (uk_i32x16){0} + entry;
  }
  for (int b = 0; b < bits; ++b) {
    uk_i32x16 set = -((q >> b) & 1); /* all ones where bit b of the index is set */
    for (int e = 0; e < (1 << (bits - b - 1)); ++e)
      v[e] = (v[2 * e + 1] & set) | (v[2 * e] & ~set);
  }
  memcpy(w, &v[0], sizeof *w);
}

/* The group's table of a codebook format: codebook[q] * scale, each rounded
 * once as the reference rounds it. */
static inline void uk_scaled_codebook(const float *codebook, int32_t bits, float scale,
                                      float *table) {
  for (int q = 0; q < (1 << bits); ++q)
    table[q] = codebook[q] * scale;
}

/* The 16 weights whose codes (bits 2..8) are the 2 * bits bytes at p,
 * decoded as the reference does. */
static inline void uk_decode16(const uint8_t *p, int32_t bits, float scale, float minimum,
                               int symmetric, uk_f32x16 *w) {
  uk_i32x16 q;
  uk_unpack16(p, bits, &q);
  if (symmetric) { /* sign-extend */
    int32_t half = 1 << (bits - 1);
    q = (q ^ half) - half;
  }
  *w = __builtin_convertvector(q, uk_f32x16) * scale;
  if (!symmetric)
    *w += minimum;
}

/* out[c - c0] = w[r, c] for c in [c0, c0 + count), count <= k - c0, computed
 * as the reference does: q * scale, plus minimum when asymmetric. 8-bit rows,
 * blocks of 32 4-bit codes and blocks of 16 codes of other widths decode as
 * vectors; the rest code by code. */
static inline void uk_dequantize_segment(const uk_qmatrix *w, int64_t r, int64_t c0,
                                         int64_t count, float *restrict out) {
  const uint8_t *row = w->codes + r * w->row_bytes;
  const uint16_t *scales = w->scales + r * w->groups;
  const uint16_t *minimums = w->minimums ? w->minimums + r * w->groups : NULL;
  int symmetric = minimums == NULL;
  int64_t c = c0, end = c0 + count;
  while (c < end) {
    int64_t g = c / w->group, stop = uk_min(end, (g + 1) * w->group);
    float scale = uk_half_to_float(scales[g]);
    if (w->codebook) { /* codebook[q] * scale, q unsigned */
      float table[16];
      uk_scaled_codebook(w->codebook, w->bits, scale, table);
      float *restrict o = out + (c - c0);
      int64_t i = 0, n = stop - c;
      if (c % 8 == 0)
        for (; i + 16 <= n; i += 16) {
          uk_f32x16 v;
          const uint8_t *p = row + (c + i) / 8 * w->bits;
          switch (w->bits) { /* a constant width unrolls the select tree */
          case 2: uk_decode16_table(p, 2, table, &v); break;
          case 3: uk_decode16_table(p, 3, table, &v); break;
          default: uk_decode16_table(p, 4, table, &v); break;
          }
          memcpy(o + i, &v, sizeof v);
        }
      for (; i < n; ++i)
        o[i] = table[uk_code_at(row, c + i, w->bits, 0)];
      c = stop;
      continue;
    }
    float minimum = symmetric ? 0.0f : uk_half_to_float(minimums[g]);
    float *restrict o = out + (c - c0);
    int64_t n = stop - c;
    if (w->bits == 8) {
      const uint8_t *p = row + c;
      if (symmetric)
        for (int64_t i = 0; i < n; ++i)
          o[i] = (float)(int8_t)p[i] * scale;
      else
        for (int64_t i = 0; i < n; ++i)
          o[i] = (float)p[i] * scale + minimum;
    } else {
      int64_t i = 0;
      if (w->bits == 4 && c % 2 == 0)
        for (; i + 32 <= n; i += 32)
          uk_dequantize_q4_block(row + (c + i) / 2, scale, minimum, symmetric, o + i);
      if ((c + i) % 8 == 0)
        for (; i + 16 <= n; i += 16) {
          uk_f32x16 v;
          uk_decode16(row + (c + i) / 8 * w->bits, w->bits, scale, minimum, symmetric, &v);
          memcpy(o + i, &v, sizeof v);
        }
      for (; i < n; ++i) {
        float value = (float)uk_code_at(row, c + i, w->bits, symmetric) * scale;
        o[i] = symmetric ? value : value + minimum;
      }
    }
    c = stop;
  }
}

#endif /* SLM_UK_QUANT_H */
