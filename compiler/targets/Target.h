//===- Target.h - the devices slmc compiles for -----------------*- C++ -*-===//
#pragma once

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace slmc {

/// One compilation target: what LLVM needs to emit code for it, and which CPU
/// features the runtime must find before it runs that code. A new ISA (say
/// AArch64 NEON) is a new entry here plus its micro-kernel bitcode.
struct Target {
  std::string name;        // "x86-64-avx2"
  std::string description; // "Haswell class: AVX2, FMA, F16C"
  std::string arch;        // micro-kernel bitcode family: "x86_64"
  std::string triple;      // "x86_64-unknown-linux-gnu"
  std::string cpu;         // LLVM CPU name: "haswell"
  std::string features;    // LLVM feature string: "+avx2,+fma,+f16c"
  std::vector<std::string> requiredFeatures; // names the runtime checks: "avx2", "fma", ...
  /// Widest vectors the optimizer should prefer, in bits (0: LLVM's choice,
  /// which is 256 even on AVX-512 CPUs).
  unsigned preferVectorWidth = 0;
  /// Columns of the micro-kernels' GEMM register tile (uk_gemm.h): 32 where
  /// 8 x 32 floats fit the vector registers with room to spare (AVX-512's 32
  /// zmm), else 16 (6 x 16).
  unsigned gemmTileColumns = 16;
};

/// Every target slmc can compile for, best last within an architecture.
llvm::ArrayRef<Target> allTargets();

/// The target called `name`; "host" picks the best target the running CPU
/// supports. Unknown names are an error listing the known ones.
llvm::Expected<Target> resolveTarget(llvm::StringRef name);

/// The runtime feature names the running CPU lacks among `required`.
std::vector<std::string> missingHostFeatures(llvm::ArrayRef<std::string> required);

} // namespace slmc
