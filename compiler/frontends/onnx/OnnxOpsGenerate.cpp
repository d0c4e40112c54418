//===- OnnxOpsGenerate.cpp - ONNX operators that create tensors -----------===//
//
// Constant, ConstantOfShape, Range and the window functions.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontends/onnx/OnnxConverters.h"

#include "dialects/slm/IR/SlmOps.h"

#include <cmath>
#include <cstring>
#include <numbers>

#include <onnx/onnx_pb.h> // onnx-ml.pb.h with ONNX_API defined

using namespace mlir;
using llvm::Expected;

namespace slmc::onnx_import {
namespace {

constexpr int64_t kDynamic = ShapedType::kDynamic;
/// Integer ranges up to this length become constants, so that shape
/// arithmetic on them folds.
constexpr int64_t kFoldElements = 64;

llvm::Error convertRange(Node &node) {
  Value start = node.input(0), limit = node.input(1), delta = node.input(2);
  Type element = tensorType(start).getElementType();
  int64_t length = kDynamic;
  auto s = node.constantScalar(start), l = node.constantScalar(limit),
       d = node.constantScalar(delta);
  if (s && l && d) {
    if (*d == 0)
      return node.invalid("Range delta must not be 0");
    // ONNX computes the length in the input type.
    double span =
        element.isF32() ? double(float(float(*l) - float(*s)) / float(*d)) : (*l - *s) / *d;
    length = std::max<int64_t>(static_cast<int64_t>(std::ceil(span)), 0);
    if (!element.isF32() && length <= kFoldElements) {
      SmallVector<int64_t> values;
      for (int64_t i = 0; i < length; ++i)
        values.push_back(static_cast<int64_t>(*s) + i * static_cast<int64_t>(*d));
      node.setOutput(0, node.intConstant(values, false, element));
      return llvm::Error::success();
    }
  }
  SLMC_TRY(Value result, node.makeTyped<slm::RangeOp>(RankedTensorType::get({length}, element),
                                                      start, limit, delta));
  node.setOutput(0, result);
  return llvm::Error::success();
}

/// The one element of a decoded tensor as a typed attribute.
TypedAttr scalarAttr(MLIRContext *context, const TensorData &data) {
  Type element = elementType(context, data.kind);
  const char *bytes = data.bytes.data();
  switch (data.kind) {
  case ElementKind::F32: {
    float value;
    std::memcpy(&value, bytes, sizeof value);
    return FloatAttr::get(element, value);
  }
  case ElementKind::I64: {
    int64_t value;
    std::memcpy(&value, bytes, sizeof value);
    return IntegerAttr::get(element, value);
  }
  case ElementKind::I32: {
    int32_t value;
    std::memcpy(&value, bytes, sizeof value);
    return IntegerAttr::get(element, value);
  }
  case ElementKind::Bool:
    return IntegerAttr::get(element, APInt(1, bytes[0] != 0));
  }
  llvm_unreachable("unknown element kind");
}

llvm::Error convertConstantOfShape(Node &node) {
  Value shape = node.input(0);
  TypedAttr value = node.builder().getF32FloatAttr(0);
  if (const auto *attr = node.attribute("value")) {
    auto data = decodeTensor(attr->t(), node.graph().tensors);
    if (!data)
      return data.takeError();
    if (data->numElements() != 1)
      return node.invalid("the value must hold exactly one element");
    value = scalarAttr(node.context(), *data);
  }
  RankedTensorType shapeType = tensorType(shape);
  if (shapeType.getRank() != 1 || shapeType.isDynamicDim(0))
    return node.unsupported("the output rank is only known at run time");
  auto known = node.known(shape);
  SmallVector<int64_t> dims =
      known ? known->asDims() : SmallVector<int64_t>(shapeType.getDimSize(0), kDynamic);
  if (llvm::any_of(dims, [](int64_t d) { return d < 0 && d != kDynamic; }))
    return node.invalid("the shape has a negative dimension");
  auto type = RankedTensorType::get(dims, value.getType());
  if (type.hasStaticShape()) {
    // A splat stores one element however large the tensor.
    node.setOutput(0, node.constant(DenseElementsAttr::get(type, ArrayRef<Attribute>(value))));
    return llvm::Error::success();
  }
  SLMC_TRY(Value result, node.makeTyped<slm::FillOp>(type, shape, value));
  node.setOutput(0, result);
  return llvm::Error::success();
}

llvm::Error convertConstant(Node &node) {
  MLIRContext *context = node.context();
  std::string name = node.proto().output(0);
  for (const auto &attr : node.proto().attribute()) {
    const std::string &kind = attr.name();
    if (kind == "value") {
      auto data = decodeTensor(attr.t(), node.graph().tensors);
      if (!data)
        return data.takeError();
      node.setOutput(0, node.constant(toElementsAttr(context, *data, name)));
    } else if (kind == "value_float" || kind == "value_floats") {
      SmallVector<float> values(attr.floats().begin(), attr.floats().end());
      SmallVector<int64_t> shape = {static_cast<int64_t>(values.size())};
      if (kind == "value_float") {
        values = {attr.f()};
        shape.clear();
      }
      auto type = RankedTensorType::get(shape, Float32Type::get(context));
      node.setOutput(0, node.constant(DenseElementsAttr::get(type, ArrayRef<float>(values))));
    } else if (kind == "value_int") {
      node.setOutput(0, node.intConstant({attr.i()}, /*scalar=*/true));
    } else if (kind == "value_ints") {
      node.setOutput(
          0, node.intConstant(SmallVector<int64_t>(attr.ints().begin(), attr.ints().end())));
    } else {
      return node.unsupported("a constant given as " + kind);
    }
  }
  if (!node.output(0))
    return node.invalid("the constant has no value");
  return llvm::Error::success();
}

/// The generalized cosine windows: a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N)
/// for n in [0, size), with N = size (periodic) or size - 1 (symmetric).
struct WindowCoefficients {
  double a0, a1, a2;
};
constexpr WindowCoefficients kHann{0.5, 0.5, 0.0};
constexpr WindowCoefficients kHamming{25.0 / 46.0, 21.0 / 46.0, 0.0};
constexpr WindowCoefficients kBlackman{0.42, 0.5, 0.08};

template <const WindowCoefficients &coefficients> llvm::Error window(Node &node) {
  Value size = node.input(0);
  RankedTensorType sizeType = tensorType(size);
  Type index = sizeType.getElementType();
  if (sizeType.getRank() != 0 || !(index.isSignlessInteger(64) || index.isSignlessInteger(32)))
    return node.invalid("the size must be an integer scalar");
  int64_t outputType = node.attrInt("output_datatype", onnx::TensorProto::FLOAT);
  if (elementKindOf(static_cast<int32_t>(outputType)) != ElementKind::F32)
    return node.unsupported("windows of " + onnxTypeName(static_cast<int32_t>(outputType)));
  Type f32 = node.builder().getF32Type();
  auto constantSize = node.constantScalar(size);
  int64_t length = constantSize ? static_cast<int64_t>(*constantSize) : kDynamic;
  SLMC_TRY(Value positions, node.makeTyped<slm::RangeOp>(RankedTensorType::get({length}, index),
                                                         node.scalarConstant(index, 0), size,
                                                         node.scalarConstant(index, 1)));
  SLMC_TRY(positions, node.castTo(positions, f32));
  SLMC_TRY(Value period, node.castTo(size, f32));
  if (!node.attrInt("periodic", 1)) {
    SLMC_TRY(period, node.make<slm::SubOp>(period, node.scalarConstant(f32, 1)));
  }
  SLMC_TRY(Value turns, node.make<slm::DivOp>(positions, period));
  Value result = node.scalarConstant(f32, coefficients.a0);
  for (auto [harmonic, weight] :
       {std::pair{1.0, -coefficients.a1}, std::pair{2.0, coefficients.a2}}) {
    if (weight == 0)
      continue;
    SLMC_TRY(Value angle, node.make<slm::MulOp>(
                              turns, node.scalarConstant(f32, 2 * std::numbers::pi * harmonic)));
    SLMC_TRY(Value cosine, node.makeTyped<slm::CosOp>(angle.getType(), angle));
    SLMC_TRY(Value term, node.make<slm::MulOp>(cosine, node.scalarConstant(f32, weight)));
    SLMC_TRY(result, node.make<slm::AddOp>(result, term));
  }
  node.setOutput(0, result);
  return llvm::Error::success();
}

const OpConverter kConverters[] = {
    {"HannWindow", window<kHann>, 1},
    {"HammingWindow", window<kHamming>, 1},
    {"BlackmanWindow", window<kBlackman>, 1},
    {"Constant", convertConstant, 0},
    {"ConstantOfShape", convertConstantOfShape, 1},
    {"Range", convertRange, 3},
};

} // namespace

ArrayRef<OpConverter> generatorConverters() { return kConverters; }

} // namespace slmc::onnx_import
