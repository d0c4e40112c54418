//===- Compile.h - model -> .slmpack artifact -------------------*- C++ -*-===//
#pragma once

#include "compiler/artifact/ArtifactWriter.h"
#include "compiler/calibration/QuantizeModel.h"
#include "compiler/codegen/CompiledModel.h"
#include "compiler/quant/WeightTensors.h"
#include "compiler/tokenizer/ChatFormat.h"
#include "mlir/IR/BuiltinOps.h"

#include <functional>

namespace slmc {

struct CompileOptions {
  std::string target = "host";
  int64_t maxContext = 0;         // 0: the model's own context length
  int64_t maxTokensPerCall = kDefaultMaxTokensPerCall; // prefill chunk of one call
  std::string sourceName;         // recorded in the manifest
  std::string tokenizer;          // tokenizer file contents ("" for graphs without one)
  std::optional<ChatFormat> chat; // the model's chat template, when it has one
  std::string weightFormat = "f32"; // recorded in the manifest
  std::optional<QuantizeOptions> quantize; // --quant: quantize the weights first
  /// --weights: how the linear and embedding weights left in float are stored.
  FloatStorage floatWeights = FloatStorage::f32;
  bool rotateWeights = false; // --rotate: slm-rotate-weights before quantization
  bool w8a8 = false; // linears with 8-bit weights also quantize their inputs to int8 (W8A8)
  bool int8KvCache = false; // --kv-cache int8: slm-quantize-kv-cache
  IrDump dump;       // the IR after the import and every pass, when asked for
  std::optional<SigningKey> signingKey; // --sign: the artifact carries its signature
  /// Hears the quantization report when there is one, before the gate decides
  /// (the command line prints its table).
  std::function<void(const slm::quant::QuantReport &)> onQuantReport;
};

/// Generates code for `module` (consumed) and packs it with its weights and
/// tokenizer. `compiled` keeps what the contents view (weights) alive.
llvm::Expected<ArtifactContents> buildArtifact(mlir::ModuleOp module, const CompileOptions &options,
                                               CompiledModel &compiled);

/// slmc compile: imports MODEL and writes the artifact to `output`.
llvm::Error compileModelFile(llvm::StringRef modelPath, llvm::StringRef tokenizerPath,
                             const CompileOptions &options, llvm::StringRef output);

} // namespace slmc
