/*===- slm_ukernels.h - micro-kernels of compiled models ----------*- C -*-===*
 *
 * The lowering (passes/ConvertSlmToLLVM) turns every slm op into a call to one
 * of these functions. They are compiled to LLVM bitcode once per target ISA at
 * build time and linked into each emitted module, where LLVM inlines and
 * specializes them. Their semantics are exactly those of the reference
 * executor's kernels (compiler/executor/kernels), which the tests compare
 * them with.
 *
 * Conventions: buffers are dense and row-major; sizes are element counts;
 * `dtype` codes are SLM_UK_* below; kernels never allocate, and may call
 * libc's memcpy/memmove/memset and libm's float functions, and pow() for SLM_UK_POW,
 * computed in double as the reference does (resolved from the process
 * that loads the code, which links libc and libm). Outputs do not overlap inputs,
 * except where a kernel says so. Kernels run inline when ctx or ctx->parallel_for is
 * NULL; either way every output element is computed by the same float operations, so
 * a threaded run equals an inline one bit for bit. Tensors of more than 16 dimensions
 * (after merging contiguous ones) work, slowly.
 *
 *===----------------------------------------------------------------------===*/
#ifndef SLM_UKERNELS_H
#define SLM_UKERNELS_H

#include "runtime/include/slm_kernel_abi.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Target constants: what the kernels need to know of the target beyond its
 * ISA. The compiler defines each in every module it emits, as a constant from
 * slmc::Target (compiler/codegen/SharedObjectEmitter.cpp), so the optimizer
 * keeps only the variant it selects; native builds define them in
 * native_target.c, as variables a test may set.
 * slm_uk_gemm_tile_columns: 32 or 16, the columns of the GEMM's register tile
 * (uk_gemm.h). Every variant gives the same floats. */
extern int32_t slm_uk_gemm_tile_columns;

/* How a kernel may run in parallel: parallel_for(pool, count, task, context). */
typedef struct slm_uk_ctx {
  slm_parallel_for_fn parallel_for;
  void *pool;
} slm_uk_ctx;

enum slm_uk_dtype { SLM_UK_F32 = 0, SLM_UK_I64 = 1, SLM_UK_I32 = 2, SLM_UK_I1 = 3 };

enum slm_uk_unary_op {
  SLM_UK_NEG, SLM_UK_ABS, SLM_UK_SIGN, SLM_UK_EXP, SLM_UK_LOG, SLM_UK_SQRT, SLM_UK_RSQRT,
  SLM_UK_RECIPROCAL, SLM_UK_TANH, SLM_UK_ERF, SLM_UK_SIGMOID, SLM_UK_SILU, SLM_UK_RELU,
  SLM_UK_SIN, SLM_UK_COS, SLM_UK_TAN, SLM_UK_ASIN, SLM_UK_ACOS, SLM_UK_ATAN, SLM_UK_SINH,
  SLM_UK_COSH, SLM_UK_ASINH, SLM_UK_ACOSH, SLM_UK_ATANH, SLM_UK_CEIL, SLM_UK_FLOOR,
  SLM_UK_ROUND, SLM_UK_SOFTPLUS, SLM_UK_SOFTSIGN, SLM_UK_HARD_SWISH, SLM_UK_GELU,
  SLM_UK_GELU_TANH, SLM_UK_LEAKY_RELU /* alpha */, SLM_UK_ELU /* alpha */,
  SLM_UK_CELU /* alpha */, SLM_UK_SELU /* alpha, beta = gamma */,
  SLM_UK_HARD_SIGMOID /* alpha, beta */, SLM_UK_THRESHOLDED_RELU /* alpha */,
  SLM_UK_NOT /* on i1 bytes */
};

/* Every (op, dtype) pair with a binary kernel slm_uk_binary_OP_DTYPE. One symbol
 * per pair, rather than one kernel switching on the op, so that a compiled model
 * links (and LLVM optimizes) only the loops it calls. Comparisons write i1. */
#define SLM_UK_FOR_EACH_BINARY(X)                                                                   \
  X(add, f32) X(sub, f32) X(mul, f32) X(div, f32) X(pow, f32) X(max, f32) X(min, f32)              \
  X(mod, f32) X(fmod, f32)                                                                         \
  X(add, i64) X(sub, i64) X(mul, i64) X(div, i64) X(pow, i64) X(max, i64) X(min, i64)              \
  X(mod, i64) X(fmod, i64)                                                                         \
  X(add, i32) X(sub, i32) X(mul, i32) X(div, i32) X(pow, i32) X(max, i32) X(min, i32)              \
  X(mod, i32) X(fmod, i32)                                                                         \
  X(equal, f32) X(less, f32) X(less_equal, f32) X(greater, f32) X(greater_equal, f32)             \
  X(equal, i64) X(less, i64) X(less_equal, i64) X(greater, i64) X(greater_equal, i64)             \
  X(equal, i32) X(less, i32) X(less_equal, i32) X(greater, i32) X(greater_equal, i32)             \
  X(equal, i1) X(less, i1) X(less_equal, i1) X(greater, i1) X(greater_equal, i1)                  \
  X(and, i1) X(or, i1) X(xor, i1)

enum slm_uk_reduce_op { SLM_UK_SUM, SLM_UK_MEAN, SLM_UK_RMAX, SLM_UK_RMIN, SLM_UK_PROD };

/* out[i, :] = table[ids[i], :] for i < n; ids are int64. A negative id (an error in the
 * reference) gives a row of zeros; ids >= vocab must be ruled out by the caller. */
void slm_uk_embedding(const slm_uk_ctx *ctx, const float *table, const int64_t *ids, float *out,
                      int64_t n, int64_t width);

/* y[m, n] = x[m, k] * w[n, k]^T (+ bias[n] when bias is not NULL). */
void slm_uk_linear(const slm_uk_ctx *ctx, const float *x, const float *w, const float *bias,
                   float *y, int64_t m, int64_t n, int64_t k);

/* Float weights stored as the GEMM reads them (#slm.weight_layout<panels16>): w[n, k] as
 * ceil(n / SLM_UK_PANEL_COLUMNS) stripes, each k rows of SLM_UK_PANEL_COLUMNS floats, element
 * (j, p) at w + (j / 16 * k + p) * 16 + j % 16, the last stripe padded with zeros. The same
 * y as slm_uk_linear within rounding; a row of y is the same floats for any m. An embedding
 * reads the rows of a table stored so (a tied output head; zeros for a negative id). */
#define SLM_UK_PANEL_COLUMNS 16
void slm_uk_linear_panels(const slm_uk_ctx *ctx, const float *x, const float *w,
                          const float *bias, float *y, int64_t m, int64_t n, int64_t k);
void slm_uk_embedding_panels(const slm_uk_ctx *ctx, const float *table, const int64_t *ids,
                             float *out, int64_t n, int64_t width);

/* Float weights stored at half width (slm.widen fused into its reader): w holds bf16 or
 * IEEE f16 bits, widened to f32 exactly as they are read; the results equal slm_uk_linear's
 * and slm_uk_embedding's on the widened weights bit for bit. */
void slm_uk_linear_bf16(const slm_uk_ctx *ctx, const float *x, const uint16_t *w,
                        const float *bias, float *y, int64_t m, int64_t n, int64_t k);
void slm_uk_linear_f16(const slm_uk_ctx *ctx, const float *x, const uint16_t *w, const float *bias,
                       float *y, int64_t m, int64_t n, int64_t k);
void slm_uk_embedding_bf16(const slm_uk_ctx *ctx, const uint16_t *table, const int64_t *ids,
                           float *out, int64_t n, int64_t width);
void slm_uk_embedding_f16(const slm_uk_ctx *ctx, const uint16_t *table, const int64_t *ids,
                          float *out, int64_t n, int64_t width);

/* Quantized weights (slm.dequantize fused into its reader): `codes` holds the rows of a
 * [rows, k] matrix as #slm.weight_format lays them out (dialects/slm/IR/WeightFormat.h):
 * `bits`-bit codes packed least significant bit first, each row starting on a byte
 * boundary and padded with zero codes to whole groups of `group` columns (0: one group per
 * row); `scales` holds the f16 scale of each group, [rows, groups]; `minimums` the f16
 * minimum of each group for asymmetric formats (w = q * scale + minimum, q unsigned), and
 * is NULL for symmetric ones (w = q * scale, q signed). `codebook`, where a kernel takes one,
 * holds the 2^bits floats of a codebook format (bits 2..4; w = codebook[q] * scale, q
 * unsigned, no minimums), and is NULL for integer formats. */

/* out[i, :] = the decoded row ids[i] for i < n, as slm_uk_embedding (width = k). */
void slm_uk_embedding_q(const slm_uk_ctx *ctx, const uint8_t *codes, const uint16_t *scales,
                        const uint16_t *minimums, const float *codebook, const int64_t *ids,
                        float *out, int64_t n, int64_t width, int32_t bits, int64_t group);

/* y[m, n] = x[m, k] * w[n, k]^T (+ bias[n]) for w quantized, in any format (bits 2..8). For
 * m >= 4 every kernel below computes slm_uk_linear's floats on the decoded w; for fewer rows
 * (decode) they decode blocks of codes in registers and sum with fused multiply-adds
 * (within rounding of it). */
void slm_uk_linear_qany(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                        const uint16_t *scales, const uint16_t *minimums, const float *codebook,
                        const float *bias, float *y, int64_t m, int64_t n, int64_t k,
                        int32_t bits, int64_t group);
/* 4-bit codes in groups of 32, 64 or 128, symmetric or asymmetric (and, for _avx512, codebook).
 * _avx512 (AVX-512 F/BW/VL targets only) decodes one row of x with a shift and a bit-select per
 * 16 codes (codebooks: one lookup), scaling each group's sums once, and two or three rows by table
 * lookups. */
void slm_uk_linear_q4(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                      const uint16_t *scales, const uint16_t *minimums, const float *bias,
                      float *y, int64_t m, int64_t n, int64_t k, int64_t group);
void slm_uk_linear_q4_avx512(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                             const uint16_t *scales, const uint16_t *minimums,
                             const float *codebook, const float *bias, float *y, int64_t m,
                             int64_t n, int64_t k, int64_t group);
/* 4-bit integer codes (no codebook) in groups of 32, 64 or 128 on x86-64 targets with AVX2, FMA
 * and F16C: a decode (one row of x) takes x as three int8 digits per value on a scale per eight
 * values (within 2^-22 of the largest), as slm_uk_linear_q4_vnni does, and sums codes times
 * digits exactly by vpmaddubsw and vpmaddwd; other calls (and an x with an infinity or a NaN)
 * are slm_uk_linear_q4's. */
void slm_uk_linear_q4_avx2(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                           const uint16_t *scales, const uint16_t *minimums, const float *bias,
                           float *y, int64_t m, int64_t n, int64_t k, int64_t group);
/* 5- to 7-bit integer codes, or asymmetric 8-bit ones, in groups of 32, 64 or 128 on x86-64
 * targets with AVX2, FMA and F16C: slm_uk_linear_wide_avx512's decode on eight lanes (a broadcast
 * load, a vpshufb, a shift, an and and an xor per eight codes for the floats 1 + u / 2^bits,
 * each group's sums scaled once); prefill (m >= 4) is slm_uk_linear_qany's. */
void slm_uk_linear_wide_avx2(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                             const uint16_t *scales, const uint16_t *minimums, const float *bias,
                             float *y, int64_t m, int64_t n, int64_t k, int32_t bits,
                             int64_t group);
/* 2-, 3- and 4-bit codebook codes in groups of 32, 64 or 128 on x86-64 targets with AVX2, FMA
 * and F16C: slm_uk_linear_qany's floats (a row of x at a time, the same products and sums), the
 * codes brought to their lanes by a broadcast load and a vpshufb and decoded by vpermps. */
void slm_uk_linear_table_avx2(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                              const uint16_t *scales, const float *codebook, const float *bias,
                              float *y, int64_t m, int64_t n, int64_t k, int32_t bits,
                              int64_t group);
/* 4-bit integer codes (no codebook) in groups of 32, 64 or 128 on AVX-512 VNNI targets only:
 * a decode takes x as three int8 digits per value on a scale per eight values (within 2^-22 of
 * the largest of the eight) and sums codes times digits exactly with vpdpbusd; other calls are
 * slm_uk_linear_q4_avx512's. */
void slm_uk_linear_q4_vnni(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                           const uint16_t *scales, const uint16_t *minimums, const float *bias,
                           float *y, int64_t m, int64_t n, int64_t k, int64_t group);
/* Symmetric 8-bit codes, per channel or in groups of a multiple of 32, on x86-64 targets with
 * AVX2, FMA and F16C: a decode (one row of x) converts eight codes per sign-extending load and
 * scales each group's sums once; other calls are slm_uk_linear_q8's. */
void slm_uk_linear_q8_avx2(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                           const uint16_t *scales, const float *bias, float *y, int64_t m,
                           int64_t n, int64_t k, int64_t group);
/* Symmetric 8-bit codes, per channel or in groups of a multiple of 32, on AVX-512 VNNI targets
 * only: a decode takes x as three int8 digits per value on a scale per four values and sums
 * codes times digits exactly with vpdpbusd; other calls are slm_uk_linear_q8_avx512's. */
void slm_uk_linear_q8_vnni(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                           const uint16_t *scales, const float *bias, float *y, int64_t m,
                           int64_t n, int64_t k, int64_t group);
/* Codebook codes of 2 or 3 bits in groups of 32, 64 or 128 by table lookups (AVX-512 F/BW/VL
 * targets only): slm_uk_linear_qany's floats, faster. */
void slm_uk_linear_table_avx512(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                                const uint16_t *scales, const float *codebook, const float *bias,
                                float *y, int64_t m, int64_t n, int64_t k, int32_t bits,
                                int64_t group);
/* Integer codes of 5 to 7 bits (symmetric or not) or asymmetric 8-bit ones in groups of 32, 64
 * or 128 (AVX-512 F/BW/VL targets only): slm_uk_linear_qany's floats, faster. */
void slm_uk_linear_wide_avx512(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                               const uint16_t *scales, const uint16_t *minimums, const float *bias,
                               float *y, int64_t m, int64_t n, int64_t k, int32_t bits,
                               int64_t group);
/* 8-bit symmetric codes per channel (group 0) or in groups of a multiple of 32. */
void slm_uk_linear_q8(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                      const uint16_t *scales, const float *bias, float *y, int64_t m, int64_t n,
                      int64_t k, int64_t group);
/* The same on AVX-512 F/BW/VL targets: one row of x decoded with a shift and a bit-select per 16
 * codes (no widening shuffle), scaled once per row or per group's lanes; other calls as _q8. */
void slm_uk_linear_q8_avx512(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                             const uint16_t *scales, const float *bias, float *y, int64_t m,
                             int64_t n, int64_t k, int64_t group);

/* W8A8: the weights of slm_uk_linear_q8, and x quantized per row to int8 on the fly into
 * `scratch` (slm_uk_w8a8_scratch_bytes(m, k, group) bytes, 64-byte aligned): s_x = max|x|/127,
 * x_q = round-half-even(x / s_x). Integer dot products over each unit of columns (a group,
 * or SLM_UK_W8A8_UNIT columns per channel), then in floats, units in order:
 *   y[i, j] = (sum_u float(dot_u) * s_w[j, u]) * s_x[i] (+ bias[j]).
 * Both kernels give these floats exactly; _vnni (AVX-512 VNNI targets only) takes its dot
 * products with vpdpbusd, and runs m >= 4 as a vpdpbusd GEMM. */
void slm_uk_linear_w8a8(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                        const uint16_t *scales, const float *bias, float *y, int64_t m, int64_t n,
                        int64_t k, int64_t group, uint8_t *scratch);
void slm_uk_linear_w8a8_vnni(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                             const uint16_t *scales, const float *bias, float *y, int64_t m,
                             int64_t n, int64_t k, int64_t group, uint8_t *scratch);
/* The same with Intel AMX tiles for m >= 4 (AMX-INT8 targets only; groups of 32 columns take
 * tiles 32 columns deep), vpdpbusd for decode. */
void slm_uk_linear_w8a8_amx(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                            const uint16_t *scales, const float *bias, float *y, int64_t m,
                            int64_t n, int64_t k, int64_t group, uint8_t *scratch);
/* The same with the Arm dot product (sdot; AArch64 targets with +dotprod only). */
void slm_uk_linear_w8a8_sdot(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                             const uint16_t *scales, const float *bias, float *y, int64_t m,
                             int64_t n, int64_t k, int64_t group, uint8_t *scratch);
/* The same with the Arm matrix multiply for prefill (smmla; AArch64 targets with
 * +i8mm only), sdot for decode. */
void slm_uk_linear_w8a8_smmla(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                              const uint16_t *scales, const float *bias, float *y, int64_t m,
                              int64_t n, int64_t k, int64_t group, uint8_t *scratch);

/* W4A8: symmetric 4-bit codes in groups of 32, 64 or 128 (as slm_uk_linear_q4 reads them), and
 * x quantized per row to int8 as W8A8 quantizes it, into `scratch`
 * (slm_uk_w8a8_scratch_bytes(m, k, group) bytes, 64-byte aligned); W8A8's formula with the
 * groups as its units. Every kernel gives these floats exactly; _vnni (AVX-512 VNNI targets
 * only) takes the dot products with vpdpbusd and runs m >= 4 as W8A8's vpdpbusd GEMM on
 * panels of decoded codes, _amx (AMX-INT8 targets only) as its GEMM of AMX tiles. */
void slm_uk_linear_w4a8(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                        const uint16_t *scales, const float *bias, float *y, int64_t m, int64_t n,
                        int64_t k, int64_t group, uint8_t *scratch);
void slm_uk_linear_w4a8_vnni(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                             const uint16_t *scales, const float *bias, float *y, int64_t m,
                             int64_t n, int64_t k, int64_t group, uint8_t *scratch);
void slm_uk_linear_w4a8_amx(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                            const uint16_t *scales, const float *bias, float *y, int64_t m,
                            int64_t n, int64_t k, int64_t group, uint8_t *scratch);
/* The same with the Arm dot product (sdot; AArch64 targets with +dotprod only). */
void slm_uk_linear_w4a8_sdot(const slm_uk_ctx *ctx, const float *x, const uint8_t *codes,
                             const uint16_t *scales, const float *bias, float *y, int64_t m,
                             int64_t n, int64_t k, int64_t group, uint8_t *scratch);

/* Columns per unit of per-channel W8A8 (one GEMM panel). */
#define SLM_UK_W8A8_UNIT 256

/* The W8A8 (and W4A8) scratch: m rows of int8 codes (row stride a multiple of 64), m f32 scales, then
 * (64-byte aligned) m x units int32 sums of codes, then (64-byte aligned) the codes again as
 * the prefill GEMMs of _w8a8_vnni, _w8a8_amx, _w4a8_vnni and _w4a8_amx read them, four columns of every row after
 * another, rows padded to a multiple of 32 (the other kernels leave it alone). */
static inline int64_t slm_uk_w8a8_row_stride(int64_t k) { return (k + 63) / 64 * 64; }
static inline int64_t slm_uk_w8a8_sums_offset(int64_t m, int64_t k) {
  return (m * slm_uk_w8a8_row_stride(k) + m * 4 + 63) / 64 * 64;
}
static inline int64_t slm_uk_w8a8_columns_offset(int64_t m, int64_t k, int64_t group) {
  int64_t unit = group > 0 ? group : SLM_UK_W8A8_UNIT;
  return (slm_uk_w8a8_sums_offset(m, k) + m * ((k + unit - 1) / unit) * 4 + 63) / 64 * 64;
}
static inline int64_t slm_uk_w8a8_scratch_bytes(int64_t m, int64_t k, int64_t group) {
  return slm_uk_w8a8_columns_offset(m, k, group) + (m + 31) / 32 * 32 * slm_uk_w8a8_row_stride(k);
}


/* y[b] = a[b] * b[b] for b < batch with a[b] = a + b * a_batch_stride (0 broadcasts). */
void slm_uk_matmul(const slm_uk_ctx *ctx, const float *a, const float *b, float *y, int64_t batch,
                   int64_t m, int64_t n, int64_t k, int64_t a_batch_stride,
                   int64_t b_batch_stride);

/* slm.hadamard: per row of n, each block of `block` (a power of two dividing n) becomes
 * s * H (s * x) / sqrt(block), H the Walsh-Hadamard matrix, s the block's signs (+-1). */
void slm_uk_hadamard(const slm_uk_ctx *ctx, const float *x, const int8_t *signs, float *y,
                     int64_t rows, int64_t n, int64_t block);

/* Per row of n: y = w * (x / sqrt(mean(x^2) + eps)). */
void slm_uk_rms_norm(const slm_uk_ctx *ctx, const float *x, const float *w, float *y, int64_t rows,
                     int64_t n, float eps);

/* sum = x + residual, then per row of n: y = w * (sum / sqrt(mean(sum^2) + eps)), exactly as
 * slm_uk_binary_add_f32 followed by slm_uk_rms_norm. */
void slm_uk_add_rms_norm(const slm_uk_ctx *ctx, const float *x, const float *residual,
                         const float *w, float *sum, float *y, int64_t rows, int64_t n, float eps);

/* Activations of gated units (slm.gated_activation). */
enum slm_uk_activation { SLM_UK_ACT_SILU, SLM_UK_ACT_GELU, SLM_UK_ACT_GELU_TANH };

/* y[r, i] = act(gate[r * stride + i]) * up[r * stride + i] for rows r and i < n, y dense
 * [rows, n]: two operands have stride n; the halves of one [rows, 2n] tensor are gate = x,
 * up = x + n, stride 2n. act as slm_uk_unary computes SILU, GELU and GELU_TANH. */
void slm_uk_gated_activation(const slm_uk_ctx *ctx, int32_t activation, const float *gate,
                             const float *up, float *y, int64_t rows, int64_t n, int64_t stride);

/* Per row of n: y = (x - mean) / sqrt(var + eps) * scale + bias (bias may be NULL). */
void slm_uk_layer_norm(const slm_uk_ctx *ctx, const float *x, const float *scale,
                       const float *bias, float *y, int64_t rows, int64_t n, float eps);

/* x, y: [tokens, heads, head_dim]; token t at position + t; see slm.rotary. y may be x.
 * frequencies: rotary_dim / 2 of them, or NULL for theta^(-2i / rotary_dim); cos and sin
 * are multiplied by scale (1: unscaled). */
void slm_uk_rotary(const slm_uk_ctx *ctx, const float *x, float *y, int64_t tokens, int64_t heads,
                   int64_t head_dim, int64_t rotary_dim, int64_t position, float theta,
                   const float *frequencies, float scale, int32_t interleaved);

/* q: [tokens, q_heads, head_dim]; k, v: [kv_rows, kv_heads, head_dim|value_dim].
 * With caches (non-NULL, [capacity, kv_heads, dim]): k and v (kv_rows == tokens) are
 * written at rows position.. and the queries attend over rows 0 .. position+tokens-1
 * of the caches. Without: over the kv_rows given, token t at position kv_rows-tokens+t
 * when causal. out: [tokens, q_heads, value_dim]. k/v may already be the cache rows they
 * are written to. The softmax is computed online over tiles of 128 keys (a running max and
 * sum per head, the partial output rescaled when the max grows), so the kernel's stack
 * use does not grow with the number of keys. window > 0 (causal only): the query at position
 * p attends to positions p - window + 1 .. p alone (sliding-window attention). The caches
 * have cache_rows rows and position p lives at row p mod cache_rows: a windowed layer's
 * cache may be a ring of min(window, context) rows. softcap > 0: each scaled score s
 * becomes softcap * tanh(s / softcap). */
void slm_uk_attention(const slm_uk_ctx *ctx, const float *q, const float *k, const float *v,
                      float *k_cache, float *v_cache, float *out, int64_t tokens,
                      int64_t q_heads, int64_t kv_heads, int64_t head_dim, int64_t value_dim,
                      int64_t kv_rows, int64_t cache_rows, int64_t position, float scale,
                      int32_t causal, int64_t window, float softcap);
/* slm_uk_attention with int8 caches (always given): each [row, head] of k_cache/v_cache is
 * the f32 scale s = max|x| / 127 (4 bytes) then head_dim (value_dim) codes
 * round-half-even(x * 127 / max|x|); every key and value read, the call's own included, is
 * code * s. head_dim and value_dim are at most 1024. */
void slm_uk_attention_int8(const slm_uk_ctx *ctx, const float *q, const float *k, const float *v,
                           uint8_t *k_cache, uint8_t *v_cache, float *out, int64_t tokens,
                           int64_t q_heads, int64_t kv_heads, int64_t head_dim, int64_t value_dim,
                           int64_t cache_rows, int64_t position, float scale, int32_t causal,
                           int64_t window, float softcap);

/* y[i] = op(x[i]) for f32 (SLM_UK_NEG/ABS/SIGN also for i64/i32 via dtype; NOT on i1). */
void slm_uk_unary(const slm_uk_ctx *ctx, int32_t op, int32_t dtype, const void *x, void *y,
                  int64_t n, float alpha, float beta);

/* y = OP(a, b) with broadcasting: shape is the output's, a_strides/b_strides are
 * element strides per output dimension (0 where broadcast). */
#define SLM_UK_DECLARE_BINARY(OP, DTYPE)                                                           \
  void slm_uk_binary_##OP##_##DTYPE(const slm_uk_ctx *ctx, const void *a, const void *b, void *y,  \
                                    int32_t rank, const int64_t *shape,                             \
                                    const int64_t *a_strides, const int64_t *b_strides);
SLM_UK_FOR_EACH_BINARY(SLM_UK_DECLARE_BINARY)
#undef SLM_UK_DECLARE_BINARY

/* y = cond ? a : b with broadcasting; elements of elem_bytes bytes. */
void slm_uk_where(const slm_uk_ctx *ctx, int32_t elem_bytes, const uint8_t *cond, const void *a,
                  const void *b, void *y, int32_t rank, const int64_t *shape,
                  const int64_t *cond_strides, const int64_t *a_strides,
                  const int64_t *b_strides);

/* y[i] = (to) x[i]; floats to integers truncate, anything to i1 is x != 0. */
void slm_uk_cast(const slm_uk_ctx *ctx, int32_t from, int32_t to, const void *x, void *y,
                 int64_t n);

/* Reduces x (shape `shape`) into y: element x[idx] folds into y at the offset
 * sum(idx[d] * out_strides[d]), where out_strides is 0 on reduced dimensions.
 * `count` is the number of elements folded into each output (for the mean). */
void slm_uk_reduce(const slm_uk_ctx *ctx, int32_t op, int32_t dtype, const void *x, void *y,
                   int64_t out_size, int32_t rank, const int64_t *shape,
                   const int64_t *out_strides, int64_t count);

/* softmax (or log-softmax when log) along the middle axis of [outer, extent, inner]. */
void slm_uk_softmax(const slm_uk_ctx *ctx, const float *x, float *y, int64_t outer,
                    int64_t extent, int64_t inner, int32_t log);

/* y[o, i] = index of the max (is_max) or min along extent; ties: first, or last when last. */
void slm_uk_arg_reduce(const slm_uk_ctx *ctx, int32_t dtype, const void *x, int64_t *y,
                       int64_t outer, int64_t extent, int64_t inner, int32_t is_max,
                       int32_t last);

/* y[j] = x[in_offset + sum(idx_j[d] * in_strides[d])] for every index idx_j of `shape`
 * in row-major order: transpose, slice, expand and the pieces of concat/split. */
void slm_uk_copy(const slm_uk_ctx *ctx, int32_t elem_bytes, const void *x, void *y, int32_t rank,
                 const int64_t *shape, const int64_t *in_strides, int64_t in_offset);

/* Cuts x [outer, extent, inner] along the middle axis into pieces[i] [outer, sizes[i], inner]
 * (the sizes add up to extent), in one call. */
void slm_uk_split(const slm_uk_ctx *ctx, int32_t elem_bytes, const void *x, int64_t outer,
                  int64_t extent, int64_t inner, int32_t n_pieces, const int64_t *sizes,
                  void *const *pieces);

/* Joins pieces[i] [outer, sizes[i], inner] into y [outer, extent, inner] along the middle axis
 * (the sizes add up to extent): split's inverse. */
void slm_uk_concat(const slm_uk_ctx *ctx, int32_t elem_bytes, const void *const *pieces,
                   int64_t outer, int64_t extent, int64_t inner, int32_t n_pieces,
                   const int64_t *sizes, void *y);

/* x: [outer, extent, inner]; y: [outer, n_idx, inner]; negative indices count from the end;
 * idx_dtype is SLM_UK_I64 or SLM_UK_I32; an index outside [-extent, extent) gives zeros. */
void slm_uk_gather(const slm_uk_ctx *ctx, int32_t elem_bytes, const void *x, const void *idx,
                   int32_t idx_dtype, void *y, int64_t outer, int64_t extent, int64_t inner,
                   int64_t n_idx);

#ifdef __cplusplus
}
#endif

#endif /* SLM_UKERNELS_H */
