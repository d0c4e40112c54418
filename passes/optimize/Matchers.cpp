//===- Matchers.cpp - what the fusion patterns look for -------------------===//

#include "passes/optimize/Matchers.h"

#include "compiler/weights/WeightBlob.h"

using namespace mlir;

namespace slmc {

slm::ConstantOp constantOf(Value v) { return producer<slm::ConstantOp>(v); }

std::optional<double> splatValue(Value v) {
  slm::ConstantOp constant = constantOf(v);
  if (!constant)
    return std::nullopt;
  auto dense = llvm::dyn_cast<DenseElementsAttr>(constant.getValue());
  if (!dense || (!dense.isSplat() && dense.getNumElements() != 1))
    return std::nullopt;
  Type element = dense.getElementType();
  if (llvm::isa<FloatType>(element))
    return (*dense.getValues<APFloat>().begin()).convertToDouble();
  if (element.isInteger())
    return static_cast<double>((*dense.getValues<APInt>().begin()).getSExtValue());
  return std::nullopt;
}

bool isSplat(Value v, double expected) {
  std::optional<double> value = splatValue(v);
  return value && std::abs(*value - expected) <= 1e-6 * std::max(1.0, std::abs(expected));
}

Value indexConstant(OpBuilder &b, Location loc, int64_t value) {
  auto type = RankedTensorType::get({}, b.getI64Type());
  return b.create<slm::ConstantOp>(loc, DenseIntElementsAttr::get(type, value));
}

Value reshapeTo(OpBuilder &b, Location loc, Value v, RankedTensorType type) {
  SmallVector<int64_t> spec;
  for (int64_t d : type.getShape())
    spec.push_back(ShapedType::isDynamic(d) ? -1 : d);
  auto specType = RankedTensorType::get({static_cast<int64_t>(spec.size())}, b.getI64Type());
  Value shape = b.create<slm::ConstantOp>(loc, DenseIntElementsAttr::get(specType, spec));
  return b.create<slm::ReshapeOp>(loc, type, v, shape, nullptr);
}

Value transposeBy(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> permutation) {
  return b.create<slm::TransposeOp>(loc, v, permutation);
}

} // namespace slmc

namespace slmc {

namespace {
void expand(Value v, Product &p, bool root) {
  auto mul = producer<slm::MulOp>(v);
  if (mul && (root || v.hasOneUse())) {
    expand(mul.getLhs(), p, false);
    expand(mul.getRhs(), p, false);
    return;
  }
  auto div = producer<slm::DivOp>(v);
  if (div && (root || v.hasOneUse())) {
    if (std::optional<double> c = splatValue(div.getRhs()); c && *c != 0) {
      p.constant /= *c;
      expand(div.getLhs(), p, false);
      return;
    }
  }
  auto pow = producer<slm::PowOp>(v);
  if (pow && (root || v.hasOneUse())) {
    std::optional<double> e = splatValue(pow.getRhs());
    if (e && *e == std::floor(*e) && *e >= 1 && *e <= 4) {
      for (int i = 0; i < static_cast<int>(*e); ++i)
        expand(pow.getLhs(), p, false);
      return;
    }
  }
  if (std::optional<double> c = splatValue(v)) {
    p.constant *= *c;
    return;
  }
  p.factors.push_back(v);
}
} // namespace

Product Product::of(Value v) {
  Product p;
  expand(v, p, /*root=*/true);
  return p;
}

bool Product::hasFactors(ArrayRef<Value> expected) const {
  if (factors.size() != expected.size())
    return false;
  SmallVector<Value> left(factors.begin(), factors.end());
  for (Value e : expected) {
    auto it = llvm::find(left, e);
    if (it == left.end())
      return false;
    left.erase(it);
  }
  return true;
}

bool reducesLastDim(Operation *reduce) {
  auto axes = reduce->getAttrOfType<DenseI64ArrayAttr>("axes");
  auto keepdims = reduce->getAttrOfType<BoolAttr>("keepdims");
  int64_t rank = tensorType(reduce->getOperand(0)).getRank();
  return rank >= 1 && axes && axes.size() == 1 && (axes[0] == -1 || axes[0] == rank - 1) &&
         (!keepdims || keepdims.getValue());
}

} // namespace slmc
