//===- OnnxOpsLoss.cpp - ONNX loss operators ------------------------------===//
//
// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (which is the former
// over log_softmax), decomposed as ONNX's reference does: pick each target's
// score with gather_elements, weigh it, zero the ignored targets, reduce.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontends/onnx/OnnxConverters.h"

#include "dialects/slm/IR/SlmOps.h"

using namespace mlir;
using llvm::Expected;

namespace slmc::onnx_import {
namespace {

/// The loss of `logProb` [N, C, d...] against `target` [N, d...].
Expected<Value> negativeLogLikelihood(Node &node, Value logProb, Value target, Value weight) {
  OpBuilder &b = node.builder();
  RankedTensorType type = tensorType(logProb);
  if (auto error = node.requireFloat(logProb))
    return std::move(error);
  if (type.getRank() < 2)
    return node.invalid("the input must be [N, C, ...]");
  std::string reduction = node.attrString("reduction", "mean");
  if (reduction != "none" && reduction != "sum" && reduction != "mean")
    return node.invalid("reduction must be none, sum or mean, not " + reduction);

  // Ignored targets may be out of range: gather at 0 instead, then zero them.
  Value valid;
  if (node.hasAttr("ignore_index")) {
    Type indexType = tensorType(target).getElementType();
    Value ignored = node.scalarConstant(indexType, node.attrInt("ignore_index", 0));
    SLMC_TRY(Value isIgnored, node.make<slm::EqualOp>(target, ignored));
    SLMC_TRY(valid, node.makeTyped<slm::NotOp>(isIgnored.getType(), isIgnored));
    SLMC_TRY(target, node.make<slm::WhereOp>(valid, target, node.scalarConstant(indexType, 0)));
  }
  SLMC_TRY(Value classAxis, node.make<slm::UnsqueezeOp>(target, b.getDenseI64ArrayAttr({1})));
  SLMC_TRY(Value picked,
           node.make<slm::GatherElementsOp>(logProb, classAxis, b.getI64IntegerAttr(1)));
  SLMC_TRY(picked, node.make<slm::SqueezeOp>(picked, b.getDenseI64ArrayAttr({1})));
  SLMC_TRY(Value loss, node.makeTyped<slm::NegOp>(picked.getType(), picked));

  Value weights;
  if (weight) {
    SLMC_TRY(weights, node.make<slm::GatherOp>(weight, target, b.getI64IntegerAttr(0)));
    if (valid) {
      SLMC_TRY(weights, node.make<slm::WhereOp>(valid, weights,
                                                node.scalarConstant(type.getElementType(), 0)));
    }
  } else if (valid) {
    SLMC_TRY(weights, node.castTo(valid, type.getElementType()));
  }
  if (weights) {
    SLMC_TRY(loss, node.make<slm::MulOp>(loss, weights));
  }
  if (reduction == "none")
    return loss;

  SmallVector<int64_t> all;
  for (int64_t i = 0; i < tensorType(loss).getRank(); ++i)
    all.push_back(i);
  auto sum = [&](Value value) {
    return node.make<slm::ReduceSumOp>(value, b.getDenseI64ArrayAttr(all), b.getBoolAttr(false));
  };
  if (reduction == "sum")
    return sum(loss);
  if (!weights)
    return node.make<slm::ReduceMeanOp>(loss, b.getDenseI64ArrayAttr(all), b.getBoolAttr(false));
  SLMC_TRY(Value total, sum(loss));
  SLMC_TRY(Value totalWeight, sum(weights));
  return node.make<slm::DivOp>(total, totalWeight);
}

llvm::Error convertNegativeLogLikelihoodLoss(Node &node) {
  SLMC_TRY(Value loss, negativeLogLikelihood(node, node.input(0), node.input(1), node.input(2)));
  node.setOutput(0, loss);
  return llvm::Error::success();
}

llvm::Error convertSoftmaxCrossEntropyLoss(Node &node) {
  Value scores = node.input(0);
  if (auto error = node.requireFloat(scores))
    return error;
  SLMC_TRY(Value logProb, node.makeTyped<slm::LogSoftmaxOp>(scores.getType(), scores,
                                                            node.builder().getI64IntegerAttr(1)));
  SLMC_TRY(Value loss, negativeLogLikelihood(node, logProb, node.input(1), node.input(2)));
  node.setOutput(0, loss);
  node.setOutput(1, logProb);
  return llvm::Error::success();
}

const OpConverter kConverters[] = {
    {"NegativeLogLikelihoodLoss", convertNegativeLogLikelihoodLoss, 2},
    {"SoftmaxCrossEntropyLoss", convertSoftmaxCrossEntropyLoss, 2},
};

} // namespace

ArrayRef<OpConverter> lossConverters() { return kConverters; }

} // namespace slmc::onnx_import
