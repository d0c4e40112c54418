//===- KernelCallCheck.cpp - kernel calls that do not compile -------------===//
//
// Compiled by ctest with -fsyntax-only, once as is (it must compile) and once
// per SLMC_WRONG_CALL variant (each must fail to compile): a lowering whose
// call does not match the kernel's C prototype in slm_ukernels.h is a build
// error, not a crash of the emitted code.
//
//===----------------------------------------------------------------------===//

#include "compiler/targets/ukernels/slm_ukernels.h"
#include "passes/lowering/KernelCall.h"

using namespace slmc::lowering;

void rmsNorm(mlir::OpBuilder &b, mlir::Location loc, Ptr context, Ptr x, I64 rows, F32 eps) {
  // void slm_uk_rms_norm(ctx, x, w, y, int64_t rows, int64_t n, float eps)
#if !defined(SLMC_WRONG_CALL)
  SLM_KERNEL(slm_uk_rms_norm).call(b, loc, context, x, x, x, rows, rows, eps);
#elif SLMC_WRONG_CALL == 1 // one argument too few
  SLM_KERNEL(slm_uk_rms_norm).call(b, loc, context, x, x, x, rows, rows);
#elif SLMC_WRONG_CALL == 2 // an integer where the kernel takes a float
  SLM_KERNEL(slm_uk_rms_norm).call(b, loc, context, x, x, x, rows, rows, rows);
#elif SLMC_WRONG_CALL == 3 // a pointer where the kernel takes int64_t
  SLM_KERNEL(slm_uk_rms_norm).call(b, loc, context, x, x, x, x, rows, eps);
#elif SLMC_WRONG_CALL == 4 // a raw value, whose kind nobody checked
  SLM_KERNEL(slm_uk_rms_norm).call(b, loc, context, x, x, x, rows, rows, eps.value);
#elif SLMC_WRONG_CALL == 5 // a kernel that slm_ukernels.h does not declare
  SLM_KERNEL(slm_uk_rms_normalize).call(b, loc, context, x, x, x, rows, rows, eps);
#endif
}
