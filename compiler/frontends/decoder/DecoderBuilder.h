//===- DecoderBuilder.h - slm IR for Llama-family decoders ------*- C++ -*-===//
#pragma once

#include "compiler/frontends/decoder/DecoderConfig.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

#include <functional>

namespace slmc {

/// Supplies a weight by its Hugging Face name (e.g.
/// "model.layers.0.self_attn.q_proj.weight") as an f32 dense_resource
/// attribute of exactly `shape`, or an error naming the file and tensor.
using WeightSource = std::function<llvm::Expected<mlir::ElementsAttr>(
    llvm::StringRef name, llvm::ArrayRef<int64_t> shape)>;

/// Builds `func.func @forward(%tokens: tensor<?xi64>, %position: tensor<i64>,
/// %key_cache_0, %value_cache_0, ...) -> (logits tensor<?xVxf32>, caches...)`
/// for a Llama / Qwen2 / Qwen3 decoder. Caches are [?, kv_heads, head_dim]:
/// their capacity is chosen by whoever runs the model.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
buildDecoder(mlir::MLIRContext &context, const DecoderConfig &config, llvm::StringRef source,
             const WeightSource &weights);

} // namespace slmc
