//===- ReferenceModel.h - a LanguageModel on the reference executor -*- C++ -*-===//
#pragma once

#include "compiler/driver/LanguageModel.h"
#include "mlir/IR/BuiltinOps.h"

#include <memory>

namespace slmc {

/// Runs a module's @forward on the reference executor. Decoders with KV-cache
/// arguments decode incrementally; stateless graphs (input_ids -> logits, as
/// ONNX exports are) re-run the whole sequence on every call.
/// `capacity` is the number of positions to make room for.
llvm::Expected<std::unique_ptr<LanguageModel>> createReferenceModel(mlir::ModuleOp module,
                                                                   int64_t capacity);

} // namespace slmc
