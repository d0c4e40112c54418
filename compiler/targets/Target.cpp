//===- Target.cpp - the devices slmc compiles for -------------------------===//

#include "compiler/targets/Target.h"

#include "compiler/support/Error.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

namespace slmc {
namespace {

// Vector extensions of icelake-server that the AVX-512 VNNI targets do not require:
// LLVM used avx512vbmi's vpermt2b in the int4 panel fill and the quantized embedding.
#define ICELAKE_EXTENSIONS_OFF                                                                    \
  ",-avx512vbmi,-avx512vbmi2,-avx512bitalg,-avx512vpopcntdq,-avx512ifma,-gfni,-vaes,-vpclmulqdq"

const std::vector<Target> &targetTable() {
  static const std::vector<Target> targets = {
      {"x86-64-avx2", "Haswell class: AVX2, FMA, F16C", "x86_64", "x86_64-unknown-linux-gnu",
       "haswell", "+avx2,+fma,+f16c,+bmi2", {"avx2", "fma", "f16c", "bmi2"}},
      // +evex512: LLVM 19 splits 512-bit vectors out of +avx512f.
      {"x86-64-avx512", "Skylake-AVX512 class: AVX-512 F/BW/DQ/VL", "x86_64",
       "x86_64-unknown-linux-gnu", "skylake-avx512",
       "+avx2,+fma,+f16c,+bmi2,+avx512f,+avx512bw,+avx512dq,+avx512vl,+evex512",
       {"avx2", "fma", "f16c", "bmi2", "avx512f", "avx512bw", "avx512dq", "avx512vl"},
       512, 32},
      // The CPU names a scheduling model, and LLVM also turns on every extension that
      // CPU has: those the runtime does not check are turned off (ICELAKE_EXTENSIONS_OFF),
      // so that a CPU with VNNI but not VBMI (Cascade Lake) runs the code it may load.
      {"x86-64-avx512-vnni", "Ice Lake server class: AVX-512 with VNNI", "x86_64",
       "x86_64-unknown-linux-gnu", "icelake-server",
       "+avx2,+fma,+f16c,+bmi2,+avx512f,+avx512bw,+avx512dq,+avx512vl,+evex512,+avx512vnni"
       ICELAKE_EXTENSIONS_OFF,
       {"avx2", "fma", "f16c", "bmi2", "avx512f", "avx512bw", "avx512dq", "avx512vl",
        "avx512vnni"},
       512, 32},
      // AMX: W8A8's prefill on tiles (slm_uk_linear_w8a8_amx); the runtime asks Linux
      // for the tile state when it loads such an artifact. Scheduled as for Ice Lake
      // server: with LLVM's sapphirerapids model the same kernels ran 1-6% slower (int4
      // decode and prefill, qwen3-0.6b, on a Xeon with AMX).
      {"x86-64-amx", "Sapphire Rapids class: AVX-512 with VNNI and AMX-INT8", "x86_64",
       "x86_64-unknown-linux-gnu", "icelake-server",
       "+avx2,+fma,+f16c,+bmi2,+avx512f,+avx512bw,+avx512dq,+avx512vl,+evex512,+avx512vnni,"
       "+amx-tile,+amx-int8" ICELAKE_EXTENSIONS_OFF,
       {"avx2", "fma", "f16c", "bmi2", "avx512f", "avx512bw", "avx512dq", "avx512vl",
        "avx512vnni", "amx-tile", "amx-int8"},
       512, 32},
      // AArch64: the same portable kernels, vectorized for NEON by LLVM. No
      // SVE: of the CPUs each entry names, only some have it.
      {"aarch64-neon", "Armv8.0-A: NEON (Cortex-A53/A72, Raspberry Pi 3/4)", "aarch64",
       "aarch64-unknown-linux-gnu", "cortex-a72", "+neon,+fp-armv8", {"neon"}},
      {"aarch64-dotprod",
       "Armv8.2-A: NEON, dot product, fp16 (Cortex-A76, Neoverse N1, Raspberry Pi 5)", "aarch64",
       "aarch64-unknown-linux-gnu", "neoverse-n1", "+neon,+fp-armv8,+dotprod,+fullfp16",
       {"neon", "dotprod", "fullfp16"}},
      {"aarch64-i8mm",
       "Armv8.6-A: NEON, dot product, fp16, i8mm, bf16 (Neoverse V1/N2, Cortex-X2/A710, "
       "Apple M2 class)",
       "aarch64", "aarch64-unknown-linux-gnu", "neoverse-n1",
       "+v8.6a,+neon,+fp-armv8,+dotprod,+fullfp16,+i8mm,+bf16,-sve",
       {"neon", "dotprod", "fullfp16", "i8mm", "bf16"}},
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
    // A static name ("x86_64", "aarch64"), not a view into a temporary.
    llvm::StringRef hostArch =
        llvm::Triple::getArchTypeName(llvm::Triple(llvm::sys::getProcessTriple()).getArch());
    for (const Target &t : allTargets())
      if (t.arch == hostArch && missingHostFeatures(t.requiredFeatures).empty())
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
