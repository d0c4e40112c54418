//===- Llama2cImporter.h - llama2.c checkpoints -> slm IR -------*- C++ -*-===//
#pragma once

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

namespace slmc {

/// Imports a llama2.c checkpoint: the legacy layout (7 int32 header, shared
/// classifier when vocab_size > 0) or the "version 1" layout (magic
/// 0x616b3432). Weights stay in the mmapped file.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> importLlama2c(mlir::MLIRContext &context,
                                                                llvm::StringRef path);

/// True when the file starts like a llama2.c checkpoint (cheap sniffing).
bool looksLikeLlama2c(llvm::StringRef path);

} // namespace slmc
