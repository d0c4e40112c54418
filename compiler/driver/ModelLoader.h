//===- ModelLoader.h - any supported model file -> slm IR -------*- C++ -*-===//
#pragma once

#include "compiler/frontends/decoder/DecoderConfig.h"
#include "compiler/tokenizer/Tokenizer.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <memory>

namespace slmc {

/// An imported model with the context that owns its IR.
struct ImportedModel {
  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  ModelInfo info;
};

/// Imports MODEL as the CLI names it: a directory is a Hugging Face folder, a
/// `.onnx` file an ONNX model, anything else a llama2.c checkpoint.
llvm::Expected<ImportedModel> importModel(llvm::StringRef path);

/// The model's tokenizer: `tokenizerPath` when given, else the folder's own
/// tokenizer.json for Hugging Face models. BOS/EOS ids come from the model.
llvm::Expected<std::unique_ptr<Tokenizer>> loadModelTokenizer(llvm::StringRef modelPath,
                                                              llvm::StringRef tokenizerPath,
                                                              const ModelInfo &info);

} // namespace slmc
