/*===- native_target.c - target constants of native builds --------*- C -*-===*
 *
 * What the compiler defines in every module it emits, from slmc::Target
 * (compiler/codegen/SharedObjectEmitter.cpp), for the micro-kernels built
 * natively: the unit tests, the device tests and slm-kernel-bench. Only
 * these builds compile this file; in them the values are variables, so a
 * test can run every variant on one machine.
 *
 *===----------------------------------------------------------------------===*/
#include "compiler/targets/ukernels/slm_ukernels.h"

/* -march=native on an AVX-512 machine (slm-kernel-bench): the tile that
 * `--target host` compiles in; otherwise the 16-column one. */
#if defined(__AVX512F__)
int32_t slm_uk_gemm_tile_columns = 32;
#else
int32_t slm_uk_gemm_tile_columns = 16;
#endif
