//===- OnnxOpsActivation.cpp - ONNX activation functions ------------------===//
//
// Activations with parameters (Elu, Selu, HardSigmoid, ...) map onto the slm
// op of the same name; the rest are compositions of elementwise slm ops.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontends/onnx/OnnxConverters.h"

#include "dialects/slm/IR/SlmOps.h"

#include <limits>

using namespace mlir;
using llvm::Expected;

namespace slmc::onnx_import {
namespace {

/// The parameters of an activation: ONNX attribute names (which are also the
/// slm attribute names) and their ONNX defaults.
struct ActivationParams {
  const char *names[2];
  float defaults[2];
};
constexpr ActivationParams kEluParams{{"alpha"}, {1.0f}};
constexpr ActivationParams kCeluParams{{"alpha"}, {1.0f}};
constexpr ActivationParams kLeakyReluParams{{"alpha"}, {0.01f}};
constexpr ActivationParams kThresholdedReluParams{{"alpha"}, {1.0f}};
constexpr ActivationParams kSeluParams{{"alpha", "gamma"},
                                       {1.67326319217681884765625f, 1.05070102214813232421875f}};
constexpr ActivationParams kHardSigmoidParams{{"alpha", "beta"}, {0.2f, 0.5f}};

template <typename OpT, const ActivationParams &params> llvm::Error activation(Node &node) {
  Value input = node.input(0);
  if (auto error = node.requireFloat(input))
    return error;
  SmallVector<NamedAttribute> attrs;
  for (auto [name, fallback] : llvm::zip(params.names, params.defaults))
    if (name)
      attrs.push_back(node.builder().getNamedAttr(
          name, node.builder().getF32FloatAttr(node.attrFloat(name, fallback))));
  auto op =
      node.builder().create<OpT>(node.loc(), TypeRange(input.getType()), ValueRange(input), attrs);
  SLMC_TRY(auto results, node.finish(op, /*infer=*/false));
  node.setOutput(0, results.front());
  return llvm::Error::success();
}

llvm::Error convertRelu(Node &node) {
  Value input = node.input(0);
  Type element = tensorType(input).getElementType();
  Expected<Value> result = element.isF32()
                               ? node.makeTyped<slm::ReluOp>(input.getType(), input)
                               // ONNX Relu also takes integers, which slm.relu does not.
                               : node.make<slm::MaxOp>(input, node.scalarConstant(element, 0));
  if (!result)
    return result.takeError();
  node.setOutput(0, *result);
  return llvm::Error::success();
}

llvm::Error convertGelu(Node &node) {
  Value input = node.input(0);
  if (auto error = node.requireFloat(input))
    return error;
  std::string approximate = node.attrString("approximate", "none");
  if (approximate != "none" && approximate != "tanh")
    return node.invalid("approximate must be \"none\" or \"tanh\", not \"" + approximate + "\"");
  auto mode = approximate == "tanh" ? slm::GeluApproximation::tanh : slm::GeluApproximation::none;
  SLMC_TRY(Value result, node.makeTyped<slm::GeluOp>(input.getType(), input, mode));
  node.setOutput(0, result);
  return llvm::Error::success();
}

llvm::Error convertMish(Node &node) {
  Value x = node.input(0);
  if (auto error = node.requireFloat(x))
    return error;
  SLMC_TRY(Value softplus, node.makeTyped<slm::SoftplusOp>(x.getType(), x));
  SLMC_TRY(Value tanh, node.makeTyped<slm::TanhOp>(x.getType(), softplus));
  SLMC_TRY(Value result, node.make<slm::MulOp>(x, tanh));
  node.setOutput(0, result);
  return llvm::Error::success();
}

llvm::Error convertPRelu(Node &node) {
  Value x = node.input(0), slope = node.input(1);
  Value zero = node.scalarConstant(tensorType(x).getElementType(), 0);
  SLMC_TRY(Value negative, node.make<slm::LessOp>(x, zero));
  SLMC_TRY(Value scaled, node.make<slm::MulOp>(x, slope));
  SLMC_TRY(Value result, node.make<slm::WhereOp>(negative, scaled, x));
  node.setOutput(0, result);
  return llvm::Error::success();
}

llvm::Error convertShrink(Node &node) {
  Value x = node.input(0);
  Type element = tensorType(x).getElementType();
  float lambd = node.attrFloat("lambd", 0.5f), bias = node.attrFloat("bias", 0.0f);
  Value biasValue = node.scalarConstant(element, bias);
  SLMC_TRY(Value below, node.make<slm::LessOp>(x, node.scalarConstant(element, -lambd)));
  SLMC_TRY(Value above, node.make<slm::GreaterOp>(x, node.scalarConstant(element, lambd)));
  SLMC_TRY(Value raised, node.make<slm::AddOp>(x, biasValue));
  SLMC_TRY(Value lowered, node.make<slm::SubOp>(x, biasValue));
  SLMC_TRY(Value upper, node.make<slm::WhereOp>(above, lowered, node.scalarConstant(element, 0)));
  SLMC_TRY(Value result, node.make<slm::WhereOp>(below, raised, upper));
  node.setOutput(0, result);
  return llvm::Error::success();
}

llvm::Error convertIsNaN(Node &node) {
  Value x = node.input(0);
  if (auto error = node.requireFloat(x))
    return error;
  SLMC_TRY(Value ordered, node.make<slm::EqualOp>(x, x));
  SLMC_TRY(Value result, node.makeTyped<slm::NotOp>(ordered.getType(), ordered));
  node.setOutput(0, result);
  return llvm::Error::success();
}

llvm::Error convertIsInf(Node &node) {
  Value x = node.input(0);
  if (auto error = node.requireFloat(x))
    return error;
  Type element = tensorType(x).getElementType();
  double inf = std::numeric_limits<double>::infinity();
  Value result;
  for (auto [attr, value] :
       {std::pair{"detect_positive", inf}, std::pair{"detect_negative", -inf}}) {
    if (!node.attrInt(attr, 1))
      continue;
    SLMC_TRY(Value hit, node.make<slm::EqualOp>(x, node.scalarConstant(element, value)));
    if (result) {
      SLMC_TRY(result, node.make<slm::OrOp>(result, hit));
    } else {
      result = hit;
    }
  }
  if (!result) {
    SLMC_TRY(result, node.make<slm::EqualOp>(x, x));
    SLMC_TRY(result, node.make<slm::XorOp>(result, result));
  }
  node.setOutput(0, result);
  return llvm::Error::success();
}

const OpConverter kConverters[] = {
    {"Relu", convertRelu, 1},
    {"Gelu", convertGelu, 1},
    {"Mish", convertMish, 1},
    {"Elu", activation<slm::EluOp, kEluParams>, 1},
    {"Celu", activation<slm::CeluOp, kCeluParams>, 1},
    {"LeakyRelu", activation<slm::LeakyReluOp, kLeakyReluParams>, 1},
    {"ThresholdedRelu", activation<slm::ThresholdedReluOp, kThresholdedReluParams>, 1},
    {"Selu", activation<slm::SeluOp, kSeluParams>, 1},
    {"HardSigmoid", activation<slm::HardSigmoidOp, kHardSigmoidParams>, 1},
    {"PRelu", convertPRelu, 2},
    {"Shrink", convertShrink, 1},
    {"IsNaN", convertIsNaN, 1},
    {"IsInf", convertIsInf, 1},
};

} // namespace

ArrayRef<OpConverter> activationConverters() { return kConverters; }

} // namespace slmc::onnx_import
