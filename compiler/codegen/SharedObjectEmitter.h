//===- SharedObjectEmitter.h - LLVM dialect -> ELF shared object -*- C++ -*-===//
#pragma once

#include "compiler/targets/Target.h"
#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace slmc {

/// Translates a module of LLVM dialect ops to LLVM IR, links in the target
/// architecture's micro-kernels, retargets every function to the target's CPU
/// and features, keeps only `entryPoints` visible, optimizes at O3 and links
/// the object code into an ELF shared object (returned as bytes) with no
/// DT_NEEDED entries. Deterministic: the same module gives the same bytes.
llvm::Expected<std::string> emitSharedObject(mlir::ModuleOp module, const Target &target,
                                             llvm::ArrayRef<std::string> entryPoints);

} // namespace slmc
