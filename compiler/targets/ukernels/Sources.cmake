# The micro-kernels' C sources and the flags every build of them takes (the
# bitcode, the native library, the AArch64 objects of the device tests).
set(SLM_UKERNEL_SOURCES
  linear.c
  linear_half.c
  quantized.c
  quantized_avx2.c
  quantized_avx512.c
  quantized_vnni.c
  linear_w8a8.c
  linear_w4a8.c
  transformer.c
  attention.c
  elementwise.c
  reduce.c
  data.c
  hadamard.c
)
# Native builds only (unit and device tests, slm-kernel-bench): the target
# constants the compiler defines in each module it emits.
set(SLM_UKERNEL_NATIVE_SOURCES native_target.c)
# IEEE float semantics as the reference executor has them (no -ffast-math, no
# FMA contraction); without errno, libm calls such as sqrtf can vectorize.
set(SLM_UKERNEL_FLAGS -ffp-contract=off -fno-math-errno)
