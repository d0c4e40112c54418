//===- OnnxOpsReduce.cpp - ONNX reductions --------------------------------===//
//
// The Reduce* family is one slm reduction with an optional elementwise step
// before (|x|, x^2, e^x) and after (sqrt, log); ArgMax/ArgMin map directly.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontends/onnx/OnnxConverters.h"

#include "dialects/slm/IR/SlmOps.h"

using namespace mlir;
using llvm::Expected;

namespace slmc::onnx_import {
namespace {

enum class Before { None, Abs, Square, Exp };
enum class After { None, Sqrt, Log };

/// The reduced axes: an attribute before opset 18, an input from then on
/// (ReduceSum took the input already at 13). nullopt means "all axes".
Expected<std::optional<SmallVector<int64_t>>> reductionAxes(Node &node) {
  bool fromInput = node.opType() == "ReduceSum" || node.opset() >= 18;
  std::optional<SmallVector<int64_t>> axes;
  if (!fromInput) {
    axes = node.attrInts("axes");
  } else if (Value input = node.input(1)) {
    axes = node.constantInts(input);
    if (!axes)
      return node.unsupported("the axes are only known at run time");
  }
  if (axes && axes->empty())
    axes.reset();
  return axes;
}

template <typename ReduceOpT, Before before = Before::None, After after = After::None>
llvm::Error reduce(Node &node) {
  Value value = node.input(0);
  RankedTensorType type = tensorType(value);
  Type element = type.getElementType();
  bool needsFloat = before == Before::Exp || after != After::None;
  if (needsFloat ? !element.isF32() : element.isSignlessInteger(1))
    return node.unsupported("reducing this element type");
  SLMC_TRY(auto axes, reductionAxes(node));
  bool noop = !axes && node.attrInt("noop_with_empty_axes", 0) != 0;

  switch (before) {
  case Before::None:
    break;
  case Before::Abs: {
    SLMC_TRY(value, node.makeTyped<slm::AbsOp>(type, value));
    break;
  }
  case Before::Square: {
    SLMC_TRY(value, node.make<slm::MulOp>(value, value));
    break;
  }
  case Before::Exp: {
    SLMC_TRY(value, node.makeTyped<slm::ExpOp>(type, value));
    break;
  }
  }
  if (!noop) {
    SmallVector<int64_t> reduced;
    if (axes) {
      reduced = *axes;
    } else {
      for (int64_t i = 0; i < type.getRank(); ++i)
        reduced.push_back(i);
    }
    bool keepdims = node.attrInt("keepdims", 1) != 0;
    SLMC_TRY(value, node.make<ReduceOpT>(value, node.builder().getDenseI64ArrayAttr(reduced),
                                         node.builder().getBoolAttr(keepdims)));
  }
  switch (after) {
  case After::None:
    break;
  case After::Sqrt: {
    SLMC_TRY(value, node.makeTyped<slm::SqrtOp>(value.getType(), value));
    break;
  }
  case After::Log: {
    SLMC_TRY(value, node.makeTyped<slm::LogOp>(value.getType(), value));
    break;
  }
  }
  node.setOutput(0, value);
  return llvm::Error::success();
}

template <typename OpT> llvm::Error argReduce(Node &node) {
  Value input = node.input(0);
  if (tensorType(input).getElementType().isSignlessInteger(1))
    return node.unsupported("ArgMax/ArgMin of booleans");
  OpBuilder &b = node.builder();
  UnitAttr selectLast = node.attrInt("select_last_index", 0) ? b.getUnitAttr() : UnitAttr();
  SLMC_TRY(Value result,
           node.make<OpT>(input, b.getI64IntegerAttr(node.attrInt("axis", 0)),
                          b.getBoolAttr(node.attrInt("keepdims", 1) != 0), selectLast));
  node.setOutput(0, result);
  return llvm::Error::success();
}

const OpConverter kConverters[] = {
    {"ReduceSum", reduce<slm::ReduceSumOp>, 1},
    {"ReduceMean", reduce<slm::ReduceMeanOp>, 1},
    {"ReduceMax", reduce<slm::ReduceMaxOp>, 1},
    {"ReduceMin", reduce<slm::ReduceMinOp>, 1},
    {"ReduceProd", reduce<slm::ReduceProdOp>, 1},
    {"ReduceL1", reduce<slm::ReduceSumOp, Before::Abs>, 1},
    {"ReduceL2", reduce<slm::ReduceSumOp, Before::Square, After::Sqrt>, 1},
    {"ReduceSumSquare", reduce<slm::ReduceSumOp, Before::Square>, 1},
    {"ReduceLogSum", reduce<slm::ReduceSumOp, Before::None, After::Log>, 1},
    {"ReduceLogSumExp", reduce<slm::ReduceSumOp, Before::Exp, After::Log>, 1},
    {"ArgMax", argReduce<slm::ArgMaxOp>, 1},
    {"ArgMin", argReduce<slm::ArgMinOp>, 1},
};

} // namespace

ArrayRef<OpConverter> reductionConverters() { return kConverters; }

} // namespace slmc::onnx_import
