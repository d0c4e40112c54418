//===- HfImporter.h - Hugging Face folders -> slm IR ------------*- C++ -*-===//
#pragma once

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

namespace slmc {

/// Imports a Hugging Face model folder: config.json plus model.safetensors or
/// shards listed in model.safetensors.index.json. F32 weights stay in the
/// mmapped files; F16/BF16 weights are widened to f32 once.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>> importHuggingFace(mlir::MLIRContext &context,
                                                                    llvm::StringRef folder);

} // namespace slmc
