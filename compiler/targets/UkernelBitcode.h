//===- UkernelBitcode.h - the micro-kernels as LLVM bitcode -----*- C++ -*-===//
//
// The micro-kernels of compiler/targets/ukernels (ABI: slm_ukernels.h),
// compiled at build time to one LLVM bitcode module per architecture. The IR
// is unoptimized (no optnone) and target-neutral: its functions carry no
// target-cpu/target-features, so the code generator's target machine (and
// whatever CPU the compiler sets on them) decides the ISA. It may call libc's
// memcpy/memset and libm's float functions.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "llvm/ADT/StringRef.h"

namespace slmc {

/// The bitcode for `arch`, an llvm::Triple architecture name ("x86_64");
/// empty when there are no ukernels for it. The bytes live as long as the
/// program and are 16-byte aligned.
llvm::StringRef ukernelBitcode(llvm::StringRef arch);

} // namespace slmc
