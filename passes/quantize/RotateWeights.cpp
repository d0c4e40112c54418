//===- RotateWeights.cpp - random Hadamard rotations folded into weights --===//
//
// Incoherence processing before quantization: every linear weight W whose
// rows have a power-of-two block of at least kMinHadamardBlock becomes W R,
// and its linear reads slm.hadamard(x), x R, so x Wᵀ = (x R)(W R)ᵀ. A table
// that an slm.embedding gathers from is rotated the same way and the gathered
// rows are rotated back (R is its own inverse), so a tied embedding stays one
// tensor. R depends only on the row width (compiler/quant/Hadamard.h), so
// linears that read one input (q, k, v; gate and up) share one rotation.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "compiler/quant/Hadamard.h"
#include "compiler/weights/WeightBlob.h"
#include "dialects/slm/IR/SlmDialect.h"
#include "dialects/slm/IR/SlmOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

namespace slmc {
#define GEN_PASS_DEF_ROTATEWEIGHTS
#include "passes/Passes.h.inc"
} // namespace slmc

using namespace mlir;

namespace slmc {
namespace {

/// A 2-D f32 constant read only as linear weights and embedding tables.
bool isRotatable(slm::ConstantOp constant) {
  auto type = llvm::cast<RankedTensorType>(constant.getType());
  if (type.getRank() != 2 || !type.getElementType().isF32() || !type.hasStaticShape() ||
      hadamardBlock(type.getDimSize(1)) == 0 || constant->use_empty())
    return false;
  return llvm::all_of(constant->getUses(), [](OpOperand &use) {
    if (auto linear = llvm::dyn_cast<slm::LinearOp>(use.getOwner()))
      return use.getOperandNumber() == 1 && linear.getInput() != linear.getWeight();
    return llvm::isa<slm::EmbeddingOp>(use.getOwner()) && use.getOperandNumber() == 0;
  });
}

/// The constant's values rotated row by row; empty when its bytes are not at
/// hand (IR printed with its resources elided).
std::vector<float> rotatedValues(slm::ConstantOp constant, int64_t block, const int8_t *signs) {
  auto type = llvm::cast<RankedTensorType>(constant.getType());
  int64_t rows = type.getDimSize(0), columns = type.getDimSize(1);
  std::vector<float> values(rows * columns);
  if (auto dense = llvm::dyn_cast<DenseElementsAttr>(constant.getValue())) {
    llvm::copy(dense.getValues<float>(), values.begin());
  } else {
    llvm::ArrayRef<char> bytes = weightBytes(constant.getValue());
    if (bytes.size() != values.size() * sizeof(float))
      return {};
    std::memcpy(values.data(), bytes.data(), bytes.size());
  }
  rotateRowsHadamard(values.data(), rows, columns, block, signs);
  return values;
}

struct RotateWeightsPass : impl::RotateWeightsBase<RotateWeightsPass> {
  using RotateWeightsBase::RotateWeightsBase;

  void runOnOperation() override {
    func::FuncOp forward = slm::getForward(getOperation());
    if (!forward)
      return;
    // A walk, not a rewrite pattern: each weight is rotated exactly once, and
    // a rotated weight looks like one still to rotate.
    SmallVector<slm::ConstantOp> weights;
    forward.walk([&](slm::ConstantOp op) {
      if (isRotatable(op))
        weights.push_back(op);
    });
    OpBuilder b(forward.getContext());
    // Signs per row width, a different random vector for each: the values
    // rotate the weights, the constant feeds the slm.hadamard ops.
    struct Signs {
      std::vector<int8_t> values;
      Value constant;
    };
    llvm::DenseMap<int64_t, Signs> signsOfWidth;
    auto signsFor = [&](int64_t width) -> const Signs & {
      Signs &signs = signsOfWidth[width];
      if (!signs.constant) {
        signs.values = hadamardSigns(width, seed ^ uint64_t(width));
        b.setInsertionPointToStart(&forward.getBody().front());
        auto type = RankedTensorType::get({width}, b.getI8Type());
        signs.constant = b.create<slm::ConstantOp>(
            forward.getLoc(), DenseElementsAttr::get(type, llvm::ArrayRef(signs.values)));
      }
      return signs;
    };
    // One rotation per rotated value: the linears that read x share it.
    llvm::DenseMap<Value, Value> rotatedInput;
    for (slm::ConstantOp weight : weights) {
      auto type = llvm::cast<RankedTensorType>(weight.getType());
      int64_t width = type.getDimSize(1), block = hadamardBlock(width);
      const Signs &widthSigns = signsFor(width);
      Value signs = widthSigns.constant;
      std::vector<float> values = rotatedValues(weight, block, widthSigns.values.data());
      if (values.empty()) {
        weight.emitOpError("cannot rotate a weight whose bytes are not at hand");
        return signalPassFailure();
      }
      StringRef name = "rotated";
      if (auto resource = llvm::dyn_cast<DenseResourceElementsAttr>(weight.getValue()))
        name = resource.getRawHandle().getKey();
      weight.setValueAttr(ownWeight(type, name, std::move(values)));
      for (OpOperand &use : llvm::make_early_inc_range(weight->getUses())) {
        Operation *user = use.getOwner();
        if (auto linear = llvm::dyn_cast<slm::LinearOp>(user)) {
          Value x = linear.getInput();
          Value &rotated = rotatedInput[x];
          if (!rotated) {
            // Right after x (the signs head the function body).
            if (llvm::isa<BlockArgument>(x))
              b.setInsertionPointAfter(signs.getDefiningOp());
            else
              b.setInsertionPointAfterValue(x);
            rotated = b.create<slm::HadamardOp>(linear.getLoc(), x.getType(), x, signs,
                                                b.getI64IntegerAttr(block));
          }
          linear.getInputMutable().assign(rotated);
          continue;
        }
        auto embedding = llvm::cast<slm::EmbeddingOp>(user);
        b.setInsertionPointAfter(embedding);
        auto back = b.create<slm::HadamardOp>(embedding.getLoc(), embedding.getType(),
                                              embedding.getResult(), signs,
                                              b.getI64IntegerAttr(block));
        embedding.getResult().replaceAllUsesExcept(back, back);
      }
    }
  }
};

} // namespace
} // namespace slmc
