//===- WeightBlob.cpp - weights as dense_resource attributes --------------===//

#include "compiler/weights/WeightBlob.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;

namespace slmc {
namespace {
size_t elementAlignment(RankedTensorType type) {
  unsigned bits = type.getElementType().getIntOrFloatBitWidth();
  return std::max<size_t>(1, bits / 8);
}
} // namespace

DenseResourceElementsAttr wrapWeight(RankedTensorType type, llvm::StringRef name,
                                     llvm::ArrayRef<char> bytes,
                                     std::shared_ptr<const void> owner) {
  AsmResourceBlob blob = UnmanagedAsmResourceBlob::allocateWithAlign(
      bytes, elementAlignment(type),
      [owner = std::move(owner)](void *, size_t, size_t) mutable { owner.reset(); });
  return DenseResourceElementsAttr::get(type, name, std::move(blob));
}

DenseResourceElementsAttr copyWeight(RankedTensorType type, llvm::StringRef name,
                                     llvm::ArrayRef<char> bytes) {
  return DenseResourceElementsAttr::get(
      type, name, HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, elementAlignment(type)));
}

DenseResourceElementsAttr ownWeight(RankedTensorType type, llvm::StringRef name,
                                    std::vector<float> values) {
  auto storage = std::make_shared<std::vector<float>>(std::move(values));
  llvm::ArrayRef<char> bytes(reinterpret_cast<const char *>(storage->data()),
                             storage->size() * sizeof(float));
  return wrapWeight(type, name, bytes, std::move(storage));
}

llvm::ArrayRef<char> weightBytes(ElementsAttr attr) {
  if (auto resource = llvm::dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    return blob ? blob->getData() : llvm::ArrayRef<char>();
  }
  if (auto dense = llvm::dyn_cast<DenseElementsAttr>(attr))
    return dense.getRawData();
  return {};
}

} // namespace slmc
