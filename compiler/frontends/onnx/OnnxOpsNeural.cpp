//===- OnnxOpsNeural.cpp - ONNX linear algebra and normalisations ---------===//
//
// MatMul, Gemm, Softmax/LogSoftmax/Hardmax, the normalisations and global
// pooling. LayerNormalization maps onto slm.layer_norm; its optional
// Mean/InvStdDev outputs and the other normalisations are decomposed into
// reductions.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontends/onnx/OnnxConverters.h"

#include "dialects/slm/IR/SlmOps.h"

using namespace mlir;
using llvm::Expected;

namespace slmc::onnx_import {
namespace {

SmallVector<int64_t> axesFrom(int64_t first, int64_t rank) {
  SmallVector<int64_t> axes;
  for (int64_t i = first; i < rank; ++i)
    axes.push_back(i);
  return axes;
}

Expected<Value> reduceMean(Node &node, Value value, ArrayRef<int64_t> axes) {
  return node.make<slm::ReduceMeanOp>(value, node.builder().getDenseI64ArrayAttr(axes),
                                      node.builder().getBoolAttr(true));
}

/// Statistics over `axes` (kept as size 1) and x - mean.
struct Moments {
  Value mean, variance, centered, invStdDev;
};

Expected<Moments> moments(Node &node, Value x, ArrayRef<int64_t> axes, float epsilon) {
  Moments m;
  SLMC_TRY(m.mean, reduceMean(node, x, axes));
  SLMC_TRY(m.centered, node.make<slm::SubOp>(x, m.mean));
  SLMC_TRY(Value squared, node.make<slm::MulOp>(m.centered, m.centered));
  SLMC_TRY(m.variance, reduceMean(node, squared, axes));
  SLMC_TRY(Value shifted,
           node.make<slm::AddOp>(m.variance,
                                 node.scalarConstant(tensorType(x).getElementType(), epsilon)));
  SLMC_TRY(m.invStdDev, node.makeTyped<slm::RsqrtOp>(shifted.getType(), shifted));
  return m;
}

/// A per-channel parameter [C] shaped [C, 1, ...] to broadcast against
/// [N, C, spatial...].
Expected<Value> perChannel(Node &node, Value param, int64_t rank) {
  if (rank <= 2)
    return param;
  return node.make<slm::UnsqueezeOp>(param,
                                     node.builder().getDenseI64ArrayAttr(axesFrom(1, rank - 1)));
}

llvm::Error convertMatMul(Node &node) {
  Value lhs = node.input(0), rhs = node.input(1);
  if (auto error = node.requireFloat(lhs))
    return error;
  SLMC_TRY(Value result, node.make<slm::MatmulOp>(lhs, rhs));
  node.setOutput(0, result);
  return llvm::Error::success();
}

llvm::Error convertGemm(Node &node) {
  Value a = node.input(0), b = node.input(1), c = node.input(2);
  if (auto error = node.requireFloat(a))
    return error;
  auto transposed = node.builder().getDenseI64ArrayAttr({1, 0});
  if (node.attrInt("transA", 0)) {
    SLMC_TRY(a, node.make<slm::TransposeOp>(a, transposed));
  }
  if (node.attrInt("transB", 0)) {
    SLMC_TRY(b, node.make<slm::TransposeOp>(b, transposed));
  }
  SLMC_TRY(Value result, node.make<slm::MatmulOp>(a, b));
  Type element = tensorType(result).getElementType();
  if (float alpha = node.attrFloat("alpha", 1.0f); alpha != 1.0f) {
    SLMC_TRY(result, node.make<slm::MulOp>(result, node.scalarConstant(element, alpha)));
  }
  if (c) {
    if (float beta = node.attrFloat("beta", 1.0f); beta != 1.0f) {
      SLMC_TRY(c, node.make<slm::MulOp>(c, node.scalarConstant(element, beta)));
    }
    SLMC_TRY(result, node.make<slm::AddOp>(result, c));
  }
  node.setOutput(0, result);
  return llvm::Error::success();
}

template <typename OpT> llvm::Error softmaxLike(Node &node) {
  Value input = node.input(0);
  if (auto error = node.requireFloat(input))
    return error;
  SLMC_TRY(Value result,
           node.makeTyped<OpT>(input.getType(), input,
                               node.builder().getI64IntegerAttr(node.attrInt("axis", -1))));
  node.setOutput(0, result);
  return llvm::Error::success();
}

/// Hardmax: 1 where the first maximum along the axis is, else 0.
llvm::Error convertHardmax(Node &node) {
  Value input = node.input(0);
  if (auto error = node.requireFloat(input))
    return error;
  RankedTensorType type = tensorType(input);
  int64_t rank = type.getRank();
  auto axis = slm::normalizeAxis(node.attrInt("axis", -1), rank);
  if (!axis)
    return node.invalid("the axis is out of range");
  OpBuilder &b = node.builder();
  SLMC_TRY(Value argmax, node.make<slm::ArgMaxOp>(input, b.getI64IntegerAttr(*axis),
                                                  b.getBoolAttr(true), UnitAttr()));
  Value limit;
  if (type.isDynamicDim(*axis)) {
    SLMC_TRY(Value dim, node.shapeOf(input, *axis, *axis + 1));
    SLMC_TRY(limit, node.make<slm::SqueezeOp>(dim, b.getDenseI64ArrayAttr({0})));
  } else {
    limit = node.scalarConstant(b.getI64Type(), type.getDimSize(*axis));
  }
  SLMC_TRY(Value positions, node.makeTyped<slm::RangeOp>(
                                RankedTensorType::get({type.getDimSize(*axis)}, b.getI64Type()),
                                node.scalarConstant(b.getI64Type(), 0), limit,
                                node.scalarConstant(b.getI64Type(), 1)));
  // Positions run along `axis`: trailing size-1 dims align them there.
  SLMC_TRY(positions, node.make<slm::UnsqueezeOp>(
                          positions, b.getDenseI64ArrayAttr(axesFrom(1, rank - *axis))));
  SLMC_TRY(Value hit, node.make<slm::EqualOp>(argmax, positions));
  SLMC_TRY(Value result, node.castTo(hit, type.getElementType()));
  node.setOutput(0, result);
  return llvm::Error::success();
}

llvm::Error convertLayerNormalization(Node &node) {
  Value x = node.input(0), scale = node.input(1), bias = node.input(2);
  if (auto error = node.requireFloat(x))
    return error;
  RankedTensorType type = tensorType(x);
  auto axis = slm::normalizeAxis(node.attrInt("axis", -1), type.getRank());
  if (!axis)
    return node.invalid("the axis is out of range");
  float epsilon = node.attrFloat("epsilon", 1e-5f);
  OpBuilder &b = node.builder();
  SLMC_TRY(Value result,
           node.makeTyped<slm::LayerNormOp>(type, x, scale, bias, b.getI64IntegerAttr(*axis),
                                            b.getF32FloatAttr(epsilon)));
  node.setOutput(0, result);
  if (node.wantsOutput(1) || node.wantsOutput(2)) {
    SLMC_TRY(Moments m, moments(node, x, axesFrom(*axis, type.getRank()), epsilon));
    node.setOutput(1, m.mean);
    node.setOutput(2, m.invStdDev);
  }
  return llvm::Error::success();
}

/// (x - mean) / sqrt(var + epsilon) * scale + bias with per-channel
/// parameters.
Expected<Value> normalizeChannels(Node &node, Value x, Value centered, Value invStdDev, Value scale,
                                  Value bias) {
  int64_t rank = tensorType(x).getRank();
  SLMC_TRY(Value normalized, node.make<slm::MulOp>(centered, invStdDev));
  SLMC_TRY(Value channelScale, perChannel(node, scale, rank));
  SLMC_TRY(Value channelBias, perChannel(node, bias, rank));
  SLMC_TRY(Value scaled, node.make<slm::MulOp>(normalized, channelScale));
  return node.make<slm::AddOp>(scaled, channelBias);
}

/// Training mode normalises with the batch's statistics (over all axes but
/// the channels) and also returns the updated running statistics.
llvm::Error batchNormalizationTraining(Node &node) {
  Value x = node.input(0);
  int64_t rank = tensorType(x).getRank();
  Type element = tensorType(x).getElementType();
  SmallVector<int64_t> axes = {0};
  llvm::append_range(axes, axesFrom(2, rank));
  SLMC_TRY(Moments m, moments(node, x, axes, node.attrFloat("epsilon", 1e-5f)));
  SLMC_TRY(Value result,
           normalizeChannels(node, x, m.centered, m.invStdDev, node.input(1), node.input(2)));
  node.setOutput(0, result);
  float momentum = node.attrFloat("momentum", 0.9f);
  for (auto [output, running, batch] :
       {std::tuple{1u, node.input(3), m.mean}, std::tuple{2u, node.input(4), m.variance}}) {
    if (!node.wantsOutput(output))
      continue;
    SLMC_TRY(Value perChannelBatch,
             node.make<slm::SqueezeOp>(batch, node.builder().getDenseI64ArrayAttr(axes)));
    SLMC_TRY(Value kept, node.make<slm::MulOp>(running, node.scalarConstant(element, momentum)));
    SLMC_TRY(Value added,
             node.make<slm::MulOp>(perChannelBatch, node.scalarConstant(element, 1 - momentum)));
    SLMC_TRY(Value updated, node.make<slm::AddOp>(kept, added));
    node.setOutput(output, updated);
  }
  return llvm::Error::success();
}

llvm::Error convertBatchNormalization(Node &node) {
  Value x = node.input(0);
  if (auto error = node.requireFloat(x))
    return error;
  if (node.attrInt("training_mode", 0))
    return batchNormalizationTraining(node);
  int64_t rank = tensorType(x).getRank();
  Type element = tensorType(x).getElementType();
  SLMC_TRY(Value mean, perChannel(node, node.input(3), rank));
  SLMC_TRY(Value variance, perChannel(node, node.input(4), rank));
  SLMC_TRY(Value shifted,
           node.make<slm::AddOp>(variance,
                                 node.scalarConstant(element, node.attrFloat("epsilon", 1e-5f))));
  SLMC_TRY(Value invStdDev, node.makeTyped<slm::RsqrtOp>(shifted.getType(), shifted));
  SLMC_TRY(Value centered, node.make<slm::SubOp>(x, mean));
  SLMC_TRY(Value result,
           normalizeChannels(node, x, centered, invStdDev, node.input(1), node.input(2)));
  node.setOutput(0, result);
  return llvm::Error::success();
}

llvm::Error convertInstanceNormalization(Node &node) {
  Value x = node.input(0);
  if (auto error = node.requireFloat(x))
    return error;
  int64_t rank = tensorType(x).getRank();
  SLMC_TRY(Moments m, moments(node, x, axesFrom(2, rank), node.attrFloat("epsilon", 1e-5f)));
  SLMC_TRY(Value result,
           normalizeChannels(node, x, m.centered, m.invStdDev, node.input(1), node.input(2)));
  node.setOutput(0, result);
  return llvm::Error::success();
}

/// ONNX's function body: (x - mean) / (sqrt(var) + 1e-9).
llvm::Error convertMeanVarianceNormalization(Node &node) {
  Value x = node.input(0);
  if (auto error = node.requireFloat(x))
    return error;
  SmallVector<int64_t> axes = node.attrInts("axes").value_or(SmallVector<int64_t>{0, 2, 3});
  SLMC_TRY(Value mean, reduceMean(node, x, axes));
  SLMC_TRY(Value centered, node.make<slm::SubOp>(x, mean));
  SLMC_TRY(Value squared, node.make<slm::MulOp>(centered, centered));
  SLMC_TRY(Value variance, reduceMean(node, squared, axes));
  SLMC_TRY(Value deviation, node.makeTyped<slm::SqrtOp>(variance.getType(), variance));
  SLMC_TRY(
      Value shifted,
      node.make<slm::AddOp>(deviation, node.scalarConstant(tensorType(x).getElementType(), 1e-9)));
  SLMC_TRY(Value result, node.make<slm::DivOp>(centered, shifted));
  node.setOutput(0, result);
  return llvm::Error::success();
}

/// LRN: x / (bias + alpha / size * sum of x^2 over a window of channels)^beta;
/// the window sum adds `size` shifted slices of the zero-padded squares.
llvm::Error convertLRN(Node &node) {
  Value x = node.input(0);
  if (auto error = node.requireFloat(x))
    return error;
  RankedTensorType type = tensorType(x);
  if (type.getRank() < 2 || type.isDynamicDim(1))
    return node.unsupported("LRN needs a static channel dimension");
  int64_t size = node.attrInt("size", 0);
  if (size <= 0)
    return node.invalid("size must be positive");
  int64_t channels = type.getDimSize(1);
  Type element = type.getElementType();
  SLMC_TRY(Value squares, node.make<slm::MulOp>(x, x));
  // Channel c sums channels c - floor((size-1)/2) .. c + ceil((size-1)/2).
  int64_t before = (size - 1) / 2, after = size / 2;
  auto zeros = [&](int64_t count) -> Expected<Value> {
    SLMC_TRY(Value shape, shapeWithDim(node, squares, 1, count));
    return expand(node, node.scalarConstant(element, 0), shape);
  };
  SmallVector<Value, 3> pieces;
  if (before > 0) {
    SLMC_TRY(Value piece, zeros(before));
    pieces.push_back(piece);
  }
  pieces.push_back(squares);
  if (after > 0) {
    SLMC_TRY(Value piece, zeros(after));
    pieces.push_back(piece);
  }
  SLMC_TRY(Value padded, concat(node, pieces, 1));
  Value sum;
  for (int64_t offset = 0; offset < size; ++offset) {
    SLMC_TRY(Value window, sliceAxis(node, padded, 1, offset, offset + channels));
    if (sum) {
      SLMC_TRY(sum, node.make<slm::AddOp>(sum, window));
    } else {
      sum = window;
    }
  }
  float alpha = node.attrFloat("alpha", 1e-4f), beta = node.attrFloat("beta", 0.75f);
  SLMC_TRY(Value scaled, node.make<slm::MulOp>(sum, node.scalarConstant(element, alpha / size)));
  SLMC_TRY(Value base, node.make<slm::AddOp>(
                           scaled, node.scalarConstant(element, node.attrFloat("bias", 1.0f))));
  SLMC_TRY(Value denominator, node.make<slm::PowOp>(base, node.scalarConstant(element, beta)));
  SLMC_TRY(Value result, node.make<slm::DivOp>(x, denominator));
  node.setOutput(0, result);
  return llvm::Error::success();
}

template <typename ReduceOpT> llvm::Error globalPool(Node &node) {
  Value x = node.input(0);
  if (auto error = node.requireFloat(x))
    return error;
  auto axes = axesFrom(2, tensorType(x).getRank());
  SLMC_TRY(Value result, node.make<ReduceOpT>(x, node.builder().getDenseI64ArrayAttr(axes),
                                              node.builder().getBoolAttr(true)));
  node.setOutput(0, result);
  return llvm::Error::success();
}

const OpConverter kConverters[] = {
    {"MatMul", convertMatMul, 2},
    {"Gemm", convertGemm, 2},
    {"Softmax", softmaxLike<slm::SoftmaxOp>, 1},
    {"LogSoftmax", softmaxLike<slm::LogSoftmaxOp>, 1},
    {"Hardmax", convertHardmax, 1},
    {"LayerNormalization", convertLayerNormalization, 2},
    {"BatchNormalization", convertBatchNormalization, 5},
    {"InstanceNormalization", convertInstanceNormalization, 3},
    {"MeanVarianceNormalization", convertMeanVarianceNormalization, 1},
    {"LRN", convertLRN, 1},
    {"GlobalAveragePool", globalPool<slm::ReduceMeanOp>, 1},
    {"GlobalMaxPool", globalPool<slm::ReduceMaxOp>, 1},
};

} // namespace

ArrayRef<OpConverter> neuralConverters() { return kConverters; }

} // namespace slmc::onnx_import
