//===- ModelLoader.h - any supported model file -> slm IR -------*- C++ -*-===//
#pragma once

#include "compiler/runner/LanguageModel.h"
#include "compiler/pipeline/Pipeline.h"
#include "dialects/slm/IR/ModelContract.h"
#include "compiler/quant/WeightTensors.h"
#include "compiler/tokenizer/ChatFormat.h"
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
  slm::ModelContract contract;
};

/// Imports MODEL as the CLI names it (a directory is a Hugging Face folder, a
/// `.onnx` file an ONNX model, anything else a llama2.c checkpoint) and runs
/// the optimize stage on it, so that every format continues as slm's blocks
/// (exported decoders with a KV cache); `optimize` false stops after the
/// importer. `dump` shows the IR after each step.
llvm::Expected<ImportedModel> importModel(llvm::StringRef path, const IrDump &dump = {},
                                          bool optimize = true);

/// The model's tokenizer: `tokenizerPath` when given, else the folder's own
/// tokenizer.json for Hugging Face models. BOS/EOS ids come from the model.
llvm::Expected<std::unique_ptr<Tokenizer>> loadModelTokenizer(llvm::StringRef modelPath,
                                                              llvm::StringRef tokenizerPath,
                                                              const slm::ModelContract &model);

/// What `slmc run` and `slmc eval` need, whatever MODEL is: an imported model
/// on the reference executor, or a compiled artifact on the tiny runtime.
struct RunnableModel {
  std::unique_ptr<LanguageModel> model;
  std::unique_ptr<Tokenizer> tokenizer;
  std::string backend; // "reference executor" or "compiled for TARGET"
  std::optional<ChatFormat> chat; // the model's chat template (artifact or folder), if any
  WeightBits weights;  // as the model runs: f32 on the executor unless quantized
  std::optional<ImportedModel> imported; // keeps the IR (and its weights) alive
};

/// Opens MODEL for running with room for `positions` positions; compiled
/// artifacts have their own fixed context (model->capacity()) and run on
/// `threads` threads (0: one per CPU). A model read only for its logits (a
/// teacher) needs no tokenizer of its own.
llvm::Expected<RunnableModel> openRunnable(llvm::StringRef path, llvm::StringRef tokenizerPath,
                                           int threads, int64_t positions,
                                           bool needsTokenizer = true);

} // namespace slmc
