//===- TargetFeaturesTest.cpp - code uses only what the runtime checks ----===//
//
// A target names an LLVM CPU (its scheduling model) and a feature string, and
// LLVM turns on every extension that CPU has unless the string turns it off.
// The runtime checks only Target::requiredFeatures before it runs the code, so
// an extension on in the subtarget but not required could fault on a CPU the
// runtime lets through (x86-64-avx512-vnni's icelake-server had avx512vbmi on:
// vpermt2b in the int4 panel fill, on a Cascade Lake with VNNI and no VBMI).
//
//===----------------------------------------------------------------------===//

#include "compiler/targets/Target.h"

#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>

namespace slmc {
namespace {

// Extensions that CPUs of some target's class lack, and that LLVM may use on
// its own (vectorizing, lowering shuffles and shifts, or the kernels' own
// intrinsics).
const char *const kX86Extensions[] = {
    "avx2",       "fma",          "f16c",          "avx512f",     "avx512bw",
    "avx512dq",   "avx512vl",     "avx512vnni",    "avxvnni",     "avx512vbmi",
    "avx512vbmi2", "avx512bitalg", "avx512vpopcntdq", "avx512ifma", "gfni",
    "vaes",       "vpclmulqdq",   "avx512bf16",    "avx512fp16",  "amx-tile",
    "amx-int8",   "amx-bf16"};
const char *const kAArch64Extensions[] = {"dotprod", "i8mm", "bf16", "fullfp16", "sve", "sve2"};

TEST(Targets, CodeUsesOnlyTheExtensionsTheRuntimeChecks) {
  llvm::InitializeAllTargetInfos();
  llvm::InitializeAllTargetMCs();
  for (const Target &target : allTargets()) {
    std::string error;
    const llvm::Target *llvmTarget = llvm::TargetRegistry::lookupTarget(target.triple, error);
    ASSERT_NE(llvmTarget, nullptr) << target.name << ": " << error;
    std::unique_ptr<llvm::MCSubtargetInfo> subtarget(
        llvmTarget->createMCSubtargetInfo(target.triple, target.cpu, target.features));
    ASSERT_NE(subtarget, nullptr) << target.name;
    bool x86 = target.arch == "x86_64";
    auto check = [&](const char *extension) {
      bool on = subtarget->checkFeatures(std::string("+") + extension);
      bool required = std::find(target.requiredFeatures.begin(), target.requiredFeatures.end(),
                                extension) != target.requiredFeatures.end();
      EXPECT_TRUE(!on || required) << target.name << " (cpu " << target.cpu << ") has " << extension
                                   << " on, which the runtime does not check";
    };
    if (x86)
      for (const char *extension : kX86Extensions)
        check(extension);
    else
      for (const char *extension : kAArch64Extensions)
        check(extension);
  }
}

} // namespace
} // namespace slmc
