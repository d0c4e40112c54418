//===- WeightBlob.h - weights as dense_resource attributes ------*- C++ -*-===//
//
// Weights enter the IR as `dense_resource<name>` attributes whose bytes are
// not copied into IR text. When the file already holds them in the IR's
// element type and alignment (f32 safetensors, llama2.c, ONNX external data)
// the blob points into the mmapped file, which it keeps alive; otherwise the
// bytes are converted into one heap copy.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <memory>
#include <vector>

namespace slmc {

/// A dense_resource attribute of `type` named `name` over `bytes`, without a
/// copy. `owner` keeps the memory alive for as long as the blob lives.
/// `bytes` must be aligned to the element size.
mlir::DenseResourceElementsAttr
wrapWeight(mlir::RankedTensorType type, llvm::StringRef name, llvm::ArrayRef<char> bytes,
           std::shared_ptr<const void> owner);

/// A dense_resource attribute of `type` named `name` holding a copy of `bytes`.
mlir::DenseResourceElementsAttr copyWeight(mlir::RankedTensorType type, llvm::StringRef name,
                                           llvm::ArrayRef<char> bytes);

/// The same over a vector's elements.
template <typename T>
mlir::DenseResourceElementsAttr copyWeight(mlir::RankedTensorType type, llvm::StringRef name,
                                           const std::vector<T> &values) {
  return copyWeight(type, name,
                    llvm::ArrayRef<char>(reinterpret_cast<const char *>(values.data()),
                                         values.size() * sizeof(T)));
}

/// A dense_resource attribute of f32 `type` holding `values` (moved, no copy).
mlir::DenseResourceElementsAttr ownWeight(mlir::RankedTensorType type, llvm::StringRef name,
                                          std::vector<float> values);

/// The bytes of a dense_resource or dense elements attribute; dense splats are
/// not expanded (callers check isSplat()).
llvm::ArrayRef<char> weightBytes(mlir::ElementsAttr attr);

} // namespace slmc
