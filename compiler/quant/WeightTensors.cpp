//===- WeightTensors.cpp - the weights a quantizer may rewrite ------------===//

#include "compiler/quant/WeightTensors.h"

#include "compiler/quant/TableRowClasses.h"

#include "compiler/weights/WeightBlob.h"
#include "dialects/slm/IR/SlmOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

using namespace mlir;

namespace slmc {
namespace {

/// `value` rounded to the nearest bfloat16 (ties to even; NaN stays NaN).
uint16_t roundToBfloat16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u) // NaN: keep it a (quiet) NaN
    return static_cast<uint16_t>((bits >> 16) | 0x40u);
  bits += 0x7fffu + ((bits >> 16) & 1u); // to nearest, ties to even
  return static_cast<uint16_t>(bits >> 16);
}

} // namespace

std::vector<WeightTensor> collectWeightTensors(ModuleOp module) {
  std::vector<WeightTensor> weights;
  module.walk([&](slm::ConstantOp constant) {
    auto type = llvm::cast<RankedTensorType>(constant.getType());
    auto resource = llvm::dyn_cast<DenseResourceElementsAttr>(constant.getValue());
    if (!resource || type.getRank() != 2 || !type.getElementType().isF32() ||
        constant->use_empty())
      return;
    WeightTensor w;
    for (OpOperand &use : constant->getUses()) {
      Operation *user = use.getOwner();
      if (auto linear = llvm::dyn_cast<slm::LinearOp>(user);
          linear && use.getOperandNumber() == 1)
        w.feedsLinear = true;
      else if (auto embedding = llvm::dyn_cast<slm::EmbeddingOp>(user);
               embedding && use.getOperandNumber() == 0)
        w.feedsEmbedding = true;
      else
        return; // read some other way: quantizing it would change another op
    }
    llvm::ArrayRef<char> bytes = weightBytes(resource);
    w.name = resource.getRawHandle().getKey().str();
    w.constant = constant;
    w.rows = type.getDimSize(0);
    w.columns = type.getDimSize(1);
    w.values = llvm::ArrayRef(reinterpret_cast<const float *>(bytes.data()), bytes.size() / 4);
    weights.push_back(std::move(w));
  });
  return weights;
}

void replaceFloatConstant(Operation *op, llvm::ArrayRef<float> values) {
  auto constant = llvm::cast<slm::ConstantOp>(op);
  auto type = llvm::cast<RankedTensorType>(constant.getType());
  std::string name = "tuned";
  if (auto resource = llvm::dyn_cast<DenseResourceElementsAttr>(constant.getValue()))
    name = resource.getRawHandle().getKey().str() + ".tuned";
  constant.setValueAttr(copyWeight(type, name, std::vector<float>(values.begin(), values.end())));
}

void replaceWithNarrowed(const WeightTensor &weight, FloatStorage storage) {
  Operation *constant = weight.constant;
  OpBuilder b(constant);
  bool bfloat = storage == FloatStorage::bf16;
  std::vector<uint16_t> stored(weight.values.size());
  for (size_t i = 0; i < stored.size(); ++i) {
    if (bfloat) {
      stored[i] = roundToBfloat16(weight.values[i]);
    } else {
      _Float16 half = static_cast<_Float16>(weight.values[i]); // to nearest even
      std::memcpy(&stored[i], &half, sizeof half);
    }
  }
  Type element = bfloat ? Type(b.getBF16Type()) : Type(b.getF16Type());
  auto type = RankedTensorType::get({weight.rows, weight.columns}, element);
  Value narrow = b.create<slm::ConstantOp>(
      constant->getLoc(), copyWeight(type, weight.name + (bfloat ? ".bf16" : ".f16"), stored));
  Value widened =
      b.create<slm::WidenOp>(constant->getLoc(), constant->getResult(0).getType(), narrow);
  constant->getResult(0).replaceAllUsesWith(widened);
  constant->erase();
}

void replaceWithQuantized(const WeightTensor &weight, const QuantizedWeight &q) {
  Operation *constant = weight.constant;
  OpBuilder b(constant);
  Location loc = constant->getLoc();
  MLIRContext *context = b.getContext();
  const slm::WeightFormat &f = q.format;
  auto codesType = RankedTensorType::get({q.rows, f.packedRowBytes(q.columns)}, b.getI8Type());
  auto scalesType = RankedTensorType::get({q.rows, f.groupsPerRow(q.columns)}, b.getF16Type());
  Value codes = b.create<slm::ConstantOp>(loc, copyWeight(codesType, weight.name + ".codes", q.codes));
  Value scales =
      b.create<slm::ConstantOp>(loc, copyWeight(scalesType, weight.name + ".scales", q.scales));
  Value minimums;
  if (!f.symmetric)
    minimums = b.create<slm::ConstantOp>(
        loc, copyWeight(scalesType, weight.name + ".minimums", q.minimums));
  Value codebook;
  if (f.codebook) {
    auto tableType = RankedTensorType::get({f.codebookEntries()}, b.getF32Type());
    codebook = b.create<slm::ConstantOp>(
        loc, copyWeight(tableType, weight.name + ".codebook", q.codebook));
  }
  auto format = slm::WeightFormatAttr::get(context, f.bits, f.group, f.symmetric, f.codebook);
  Value dequantized = b.create<slm::DequantizeOp>(loc, constant->getResult(0).getType(), codes,
                                                  scales, minimums, codebook, format);
  constant->getResult(0).replaceAllUsesWith(dequantized);
  constant->erase();
}

WeightBits countWeightBits(ModuleOp module) {
  WeightBits total;
  module.walk([&](Operation *op) {
    if (auto dequantize = llvm::dyn_cast<slm::DequantizeOp>(op)) {
      auto type = llvm::cast<RankedTensorType>(dequantize.getType());
      total.parameters += type.getNumElements();
      total.bits += dequantize.getFormat().layout().storageBits(type.getDimSize(0),
                                                                type.getDimSize(1));
      return;
    }
    auto constant = llvm::dyn_cast<slm::ConstantOp>(op);
    if (!constant)
      return;
    auto type = llvm::cast<RankedTensorType>(constant.getType());
    Type element = type.getElementType();
    if (isRowOrder(constant) ||
        (!constant->use_empty() && llvm::all_of(constant->getUsers(), [](Operation *user) {
          return llvm::isa<slm::HadamardOp>(user);
        }))) {
      // A rotation's signs or a table's row order (TableRowClasses.h):
      // stored with the weights, but no parameters.
      total.bits += type.getNumElements() * element.getIntOrFloatBitWidth();
      return;
    }
    bool quantizedStorage = llvm::any_of(constant->getUsers(), [](Operation *user) {
      return llvm::isa<slm::DequantizeOp>(user);
    });
    if (!llvm::isa<FloatType>(element) || quantizedStorage)
      return;
    total.parameters += type.getNumElements();
    total.bits += type.getNumElements() * element.getIntOrFloatBitWidth();
  });
  return total;
}

} // namespace slmc
