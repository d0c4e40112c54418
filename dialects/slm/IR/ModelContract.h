//===- ModelContract.h - what a model promises the compiler -----*- C++ -*-===//
//
// The one declaration of a model's facts: the importers fill it, the
// `#slm.model` attribute carries it on the module (and verifies @forward
// against it), code generation reads it and the artifact writer records it in
// the manifest. Plain C++ (no MLIR types), so that it can be filled before
// any IR exists.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "llvm/ADT/Hashing.h"

#include <cstdint>
#include <optional>
#include <string>

namespace slm {

/// The shape of a decoder with a KV cache. Its @forward is one decoder step:
///   (tokens: tensor<?xi64>, position: tensor<i64>,
///    key_cache_0, value_cache_0, ..., key_cache_{layers-1}, value_cache_{layers-1})
///     -> (logits: tensor<?x vocab x f32>, the updated caches in the same order)
/// where every cache is tensor<capacity x kv_heads x head_dim x f32> (an
/// int8 cache: tensor<capacity x kv_heads x (4 + head_dim) x i8>, see
/// KvCacheStorage) and the capacity is dynamic until slm-specialize-shapes
/// fixes it.
struct DecoderShape {
  int64_t hiddenSize = 0;
  int64_t layers = 0;
  int64_t heads = 0;
  int64_t kvHeads = 0;
  int64_t headDim = 0;
  /// How the caches hold keys and values: f32, or int8 with a scale per
  /// position and head (slm-quantize-kv-cache): each [position, head] row is
  /// the f32 scale s = max|x| / 127 (4 bytes, little-endian) followed by
  /// head_dim codes round-half-even(x / s) in [-127, 127], read back as
  /// code * s.
  bool int8KvCache = false;

  bool operator==(const DecoderShape &) const = default;
  /// The number of @forward arguments: tokens, position and two caches per layer.
  int64_t forwardArguments() const { return 2 + 2 * layers; }
  /// The innermost dimension of a cache: head_dim f32 values, or an int8
  /// row's scale bytes and codes.
  int64_t cacheRowElements() const { return int8KvCache ? kInt8CacheScaleBytes + headDim : headDim; }
  static constexpr int64_t kInt8CacheScaleBytes = 4;
};

struct ModelContract {
  std::string architecture;  // "llama", "qwen2", "qwen3"; "graph" for a plain graph
  std::string source;        // "huggingface", "llama2c" or "onnx"
  int64_t vocabSize = 0;     // 0: not a language model (a plain graph)
  int64_t maxPositions = 0;  // 0: unknown
  int32_t bosTokenId = 1;
  int32_t eosTokenId = 2;
  /// Present exactly when @forward is a cached decoder step.
  std::optional<DecoderShape> decoder;

  bool operator==(const ModelContract &) const = default;
  bool hasKvCache() const { return decoder.has_value(); }
  /// Why the facts contradict each other, or "" when they do not.
  std::string inconsistency() const;
};

llvm::hash_code hash_value(const DecoderShape &shape);
llvm::hash_code hash_value(const ModelContract &contract);

} // namespace slm
