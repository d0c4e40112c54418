//===- Target.cpp - the devices slmc compiles for -------------------------===//

#include "compiler/targets/Target.h"

#include "compiler/support/Error.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/TargetParser/Host.h"

namespace slmc {
namespace {

const std::vector<Target> &targetTable() {
  static const std::vector<Target> targets = {
      {"x86-64-avx2", "Haswell class: AVX2, FMA, F16C", "x86_64", "x86_64-unknown-linux-gnu",
       "haswell", "+avx2,+fma,+f16c,+bmi2", {"avx2", "fma", "f16c", "bmi2"}},
      // +evex512: LLVM 19 splits 512-bit vectors out of +avx512f.
      {"x86-64-avx512", "Skylake-AVX512 class: AVX-512 F/BW/DQ/VL", "x86_64",
       "x86_64-unknown-linux-gnu", "skylake-avx512",
       "+avx2,+fma,+f16c,+bmi2,+avx512f,+avx512bw,+avx512dq,+avx512vl,+evex512",
       {"avx2", "fma", "f16c", "bmi2", "avx512f", "avx512bw", "avx512dq", "avx512vl"},
       512},
      {"x86-64-avx512-vnni", "Ice Lake server class: AVX-512 with VNNI", "x86_64",
       "x86_64-unknown-linux-gnu", "icelake-server",
       "+avx2,+fma,+f16c,+bmi2,+avx512f,+avx512bw,+avx512dq,+avx512vl,+evex512,+avx512vnni",
       {"avx2", "fma", "f16c", "bmi2", "avx512f", "avx512bw", "avx512dq", "avx512vl",
        "avx512vnni"},
       512},
  };
  return targets;
}


} // namespace

llvm::ArrayRef<Target> allTargets() { return targetTable(); }

std::vector<std::string> missingHostFeatures(llvm::ArrayRef<std::string> required) {
  llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
  std::vector<std::string> missing;
  for (const std::string &feature : required)
    if (!host.lookup(feature))
      missing.push_back(feature);
  return missing;
}

llvm::Expected<Target> resolveTarget(llvm::StringRef name) {
  if (name == "host") {
    const Target *best = nullptr;
    for (const Target &t : allTargets())
      if (missingHostFeatures(t.requiredFeatures).empty())
        best = &t;
    if (!best)
      return makeError("--target host: this CPU ({0}) supports none of slmc's targets",
                       llvm::sys::getHostCPUName());
    return *best;
  }
  for (const Target &t : allTargets())
    if (t.name == name)
      return t;
  llvm::SmallVector<llvm::StringRef> known{"host"};
  for (const Target &t : allTargets())
    known.push_back(t.name);
  return makeError("unknown target '{0}' (known targets: {1})", name, llvm::join(known, ", "));
}

} // namespace slmc
