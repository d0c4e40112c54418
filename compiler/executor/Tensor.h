//===- Tensor.h - the reference executor's tensors --------------*- C++ -*-===//
#pragma once

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>
#include <memory>
#include <string>

namespace mlir {
class Type;
} // namespace mlir

namespace slmc::exec {

/// Element types the reference executor computes with: f32 for activations
/// and weights, i64 and i32 for ids and shapes, i1 (one byte each) for masks;
/// i8 and f16 only store quantized weights (codes, scales) for slm.dequantize.
enum class DType : uint8_t { F32, I64, I32, I1, I8, F16, BF16 };

size_t byteWidth(DType type);
const char *dtypeName(DType type);
/// The executor's dtype for an MLIR element type; nullopt when unsupported.
std::optional<DType> dtypeOf(mlir::Type elementType);

using Shape = llvm::SmallVector<int64_t, 4>;
int64_t numElements(llvm::ArrayRef<int64_t> shape);

/// A dense row-major tensor. Copies share storage: kernels always write into
/// fresh tensors, except the attention op's KV cache update, which is done in
/// place on a cache that nothing else reads (the executor checks this).
class Tensor {
public:
  Tensor() = default;
  /// A new zero-filled tensor.
  static Tensor zeros(DType type, llvm::ArrayRef<int64_t> shape);
  /// A read-only view of memory that `owner` keeps alive (mmapped weights).
  static Tensor view(DType type, llvm::ArrayRef<int64_t> shape, const void *data,
                     std::shared_ptr<const void> owner);
  template <typename T>
  static Tensor fromValues(DType type, llvm::ArrayRef<int64_t> shape, llvm::ArrayRef<T> values) {
    Tensor t = zeros(type, shape);
    std::copy(values.begin(), values.end(), t.data<T>());
    return t;
  }

  DType dtype() const { return dtype_; }
  llvm::ArrayRef<int64_t> shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t dim(int64_t i) const { return shape_[i < 0 ? i + rank() : i]; }
  int64_t size() const { return numElements(shape_); }
  bool valid() const { return storage_ != nullptr || size() == 0; }

  template <typename T> const T *data() const { return static_cast<const T *>(data_); }
  /// Writable access; only for tensors the caller created (not views).
  template <typename T> T *data() { return static_cast<T *>(const_cast<void *>(data_)); }
  const void *raw() const { return data_; }

  /// The same elements under another shape (no copy).
  Tensor reshaped(llvm::ArrayRef<int64_t> shape) const;
  /// Element i converted to int64 / float, whatever the dtype.
  int64_t intAt(int64_t i) const;
  float floatAt(int64_t i) const;
  /// "f32[2x3]" for messages.
  std::string describe() const;

private:
  DType dtype_ = DType::F32;
  Shape shape_;
  std::shared_ptr<const void> storage_;
  const void *data_ = nullptr;
};

} // namespace slmc::exec
