//===- OnnxTensors.h - decoding ONNX TensorProtos ---------------*- C++ -*-===//
//
// One decoder for every TensorProto the importer meets (initializers,
// Constant nodes, attribute tensors) and for the conformance tests' .pb
// files, so that raw/typed/external storage is handled in one place.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <optional>
#include <string>

namespace onnx {
class TensorProto;
} // namespace onnx

namespace slmc::onnx_import {

/// The element types slm computes with. ONNX f16/bf16 data is widened to F32.
enum class ElementKind : uint8_t { F32, I64, I32, Bool };

size_t byteWidth(ElementKind kind);
mlir::Type elementType(mlir::MLIRContext *context, ElementKind kind);
/// The kind of an ONNX TensorProto.DataType; `widenHalf` admits f16/bf16 as F32
/// (for stored data, not for activations).
std::optional<ElementKind> elementKindOf(int32_t onnxType, bool widenHalf = false);
/// The kind of an MLIR element type the importer produces.
std::optional<ElementKind> elementKindOf(mlir::Type type);
/// "float", "double", "uint8", ... for messages.
std::string onnxTypeName(int32_t onnxType);

/// The mmapped external data files of one model, each opened once.
class ExternalDataFiles {
public:
  explicit ExternalDataFiles(std::string directory) : directory_(std::move(directory)) {}
  /// The whole file at `location` (relative to the model's directory).
  llvm::Expected<std::shared_ptr<llvm::MemoryBuffer>>
  open(llvm::StringRef location, llvm::StringRef modelPath, llvm::StringRef tensorName);

private:
  std::string directory_;
  llvm::StringMap<std::shared_ptr<llvm::MemoryBuffer>> files_;
};

/// Where a TensorProto lives, for messages and for the bytes it points to.
struct TensorSource {
  /// The .onnx or .pb file the proto came from (named in every error).
  llvm::StringRef path;
  /// Keeps the parsed proto alive: decoded tensors may point into raw_data.
  std::shared_ptr<const void> protoOwner;
  ExternalDataFiles *externalFiles = nullptr;
};

/// A tensor's elements in host layout (bools one byte each), with whatever
/// keeps them alive: the proto, an mmapped file or a widened copy.
struct TensorData {
  ElementKind kind = ElementKind::F32;
  llvm::SmallVector<int64_t> shape;
  llvm::ArrayRef<char> bytes;
  std::shared_ptr<const void> owner;

  int64_t numElements() const;
  mlir::RankedTensorType type(mlir::MLIRContext *context) const;
};

/// Decodes `tensor` (raw_data, typed fields or external data). Unsupported
/// element types are OnnxUnsupportedErrors; malformed data names the file.
llvm::Expected<TensorData> decodeTensor(const onnx::TensorProto &tensor,
                                        const TensorSource &source);

/// The attribute of a decoded tensor: small tensors and bools inline (dense,
/// foldable), larger ones as a dense_resource blob named after `name` (made a
/// valid MLIR identifier), wrapping the bytes without a copy when aligned.
mlir::ElementsAttr toElementsAttr(mlir::MLIRContext *context, const TensorData &data,
                                  llvm::StringRef name);

} // namespace slmc::onnx_import
