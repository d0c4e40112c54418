//===- Tensor.cpp - the reference executor's tensors ----------------------===//

#include "compiler/executor/Tensor.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/FormatVariadic.h"

#include <bit>
#include <cstdlib>
#include <cstring>
#include <numeric>

namespace slmc::exec {

size_t byteWidth(DType type) {
  switch (type) {
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::I64:
    return 8;
  case DType::I1:
  case DType::I8:
    return 1;
  case DType::F16:
  case DType::BF16:
    return 2;
  }
  llvm_unreachable("unknown dtype");
}

const char *dtypeName(DType type) {
  switch (type) {
  case DType::F32:
    return "f32";
  case DType::I64:
    return "i64";
  case DType::I32:
    return "i32";
  case DType::I1:
    return "i1";
  case DType::I8:
    return "i8";
  case DType::F16:
    return "f16";
  case DType::BF16:
    return "bf16";
  }
  llvm_unreachable("unknown dtype");
}

std::optional<DType> dtypeOf(mlir::Type elementType) {
  if (elementType.isF32())
    return DType::F32;
  if (elementType.isSignlessInteger(64))
    return DType::I64;
  if (elementType.isSignlessInteger(32))
    return DType::I32;
  if (elementType.isSignlessInteger(1))
    return DType::I1;
  if (elementType.isSignlessInteger(8))
    return DType::I8;
  if (elementType.isF16())
    return DType::F16;
  if (elementType.isBF16())
    return DType::BF16;
  return std::nullopt;
}

int64_t numElements(llvm::ArrayRef<int64_t> shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>());
}

Tensor Tensor::zeros(DType type, llvm::ArrayRef<int64_t> shape) {
  Tensor t;
  t.dtype_ = type;
  t.shape_.assign(shape.begin(), shape.end());
  // 64-byte alignment keeps oneDNN and vector loops on their fast paths.
  size_t bytes = std::max<size_t>(64, (t.size() * byteWidth(type) + 63) / 64 * 64);
  void *memory = std::aligned_alloc(64, bytes);
  if (!memory)
    throw std::bad_alloc();
  std::memset(memory, 0, bytes);
  t.storage_ = std::shared_ptr<const void>(memory, [](const void *p) { std::free(const_cast<void *>(p)); });
  t.data_ = memory;
  return t;
}

Tensor Tensor::view(DType type, llvm::ArrayRef<int64_t> shape, const void *data,
                    std::shared_ptr<const void> owner) {
  Tensor t;
  t.dtype_ = type;
  t.shape_.assign(shape.begin(), shape.end());
  t.storage_ = std::move(owner);
  t.data_ = data;
  return t;
}

Tensor Tensor::reshaped(llvm::ArrayRef<int64_t> shape) const {
  Tensor t = *this;
  t.shape_.assign(shape.begin(), shape.end());
  return t;
}

int64_t Tensor::intAt(int64_t i) const {
  switch (dtype_) {
  case DType::F32:
    return static_cast<int64_t>(data<float>()[i]);
  case DType::I64:
    return data<int64_t>()[i];
  case DType::I32:
    return data<int32_t>()[i];
  case DType::I1:
    return data<uint8_t>()[i];
  case DType::I8:
    return data<int8_t>()[i];
  case DType::F16:
    return static_cast<int64_t>(data<_Float16>()[i]);
  case DType::BF16:
    // Through floatAt: UBSan's range check of a bf16 -> int conversion
    // compares in bf16, which calls compiler-rt's __truncsfbf2 (not in libgcc 12).
    return static_cast<int64_t>(floatAt(i));
  }
  llvm_unreachable("unknown dtype");
}

float Tensor::floatAt(int64_t i) const {
  if (dtype_ == DType::F16)
    return static_cast<float>(data<_Float16>()[i]);
  if (dtype_ == DType::BF16) // the bf16 bits are a float's upper half
    return std::bit_cast<float>(static_cast<uint32_t>(data<uint16_t>()[i]) << 16);
  return dtype_ == DType::F32 ? data<float>()[i] : static_cast<float>(intAt(i));
}

std::string Tensor::describe() const {
  std::string dims;
  for (int64_t d : shape_)
    dims += (dims.empty() ? "" : "x") + std::to_string(d);
  return llvm::formatv("{0}[{1}]", dtypeName(dtype_), dims).str();
}

} // namespace slmc::exec
