//===- Safetensors.h - mmapped .safetensors files ---------------*- C++ -*-===//
#pragma once

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <string>
#include <vector>

namespace slmc {

/// A safetensors file: an 8-byte little-endian header length, a JSON header
/// naming each tensor's dtype, shape and [begin, end) data offsets, then the
/// data. Everything is validated on open; tensors are views of the mapping.
class SafetensorsFile {
public:
  struct Tensor {
    std::string dtype; // "F32", "F16", "BF16", "I64", ...
    std::vector<int64_t> shape;
    llvm::ArrayRef<char> bytes;
  };

  static llvm::Expected<std::shared_ptr<SafetensorsFile>> open(llvm::StringRef path);

  const Tensor *find(llvm::StringRef name) const;
  std::vector<std::string> names() const;
  const std::string &path() const { return path_; }
  /// Keeps the mapping alive for views handed out.
  std::shared_ptr<const void> owner() const { return buffer_; }
  /// Lets the tensor's file pages leave memory once a converted copy holds
  /// its values (they are read back from the file if touched again): a 3.8B
  /// bf16 model otherwise holds 7.6 GB of pages beside its 15 GB of f32.
  void releasePages(const Tensor &tensor) const;

private:
  std::string path_;
  std::shared_ptr<llvm::MemoryBuffer> buffer_;
  llvm::StringMap<Tensor> tensors_;
};

/// Bytes per element of a safetensors dtype; 0 when unknown.
size_t safetensorsDTypeSize(llvm::StringRef dtype);

/// The tensor's values widened to f32 (F32, F16 and BF16 only).
llvm::Expected<std::vector<float>> readAsF32(const SafetensorsFile::Tensor &tensor);

} // namespace slmc
