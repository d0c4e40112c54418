//===- DecoderConfig.h - the shape of a decoder-only model ------*- C++ -*-===//
#pragma once

#include "dialects/slm/IR/SlmDialect.h"
#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace slmc {

/// What the decoder builder needs to know about a Llama-family model; each
/// importer fills it from its own file format.
struct DecoderConfig {
  std::string architecture; // "llama", "qwen2", "qwen3"
  int64_t vocabSize = 0;
  int64_t hidden = 0;
  int64_t intermediate = 0;
  int64_t layers = 0;
  int64_t heads = 0;
  int64_t kvHeads = 0;
  int64_t headDim = 0;
  int64_t maxPositions = 0;
  float rmsEps = 1e-5f;
  double ropeTheta = 10000.0;
  slm::RotaryLayout ropeLayout = slm::RotaryLayout::rotate_half;
  bool attentionBias = false; // q/k/v projections have biases (Qwen2)
  bool qkNorm = false;        // per-head RMSNorm of q and k before RoPE (Qwen3)
  bool tiedEmbeddings = false;
  int32_t bosId = 1;
  int32_t eosId = 2;
};

/// What a runner needs to know about an imported model, stored on the module
/// as the `slm.model` dictionary.
struct ModelInfo {
  std::string architecture;
  std::string source; // "llama2c", "huggingface", "onnx"
  int64_t vocabSize = 0;
  int64_t maxPositions = 0;
  int32_t bosId = 1;
  int32_t eosId = 2;
  /// True when @forward takes (tokens, position, caches...) and returns
  /// (logits, caches...); false for a stateless graph input_ids -> logits.
  bool kvCache = false;
};

void writeModelInfo(mlir::ModuleOp module, const ModelInfo &info);
/// Reads `slm.model`; modules without it (plain ONNX graphs) get defaults.
ModelInfo readModelInfo(mlir::ModuleOp module);

} // namespace slmc
