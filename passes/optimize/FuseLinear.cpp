//===- FuseLinear.cpp - matmuls with weights -> linear; gathers -> embedding ===//

#include "passes/Passes.h"

#include "compiler/weights/WeightBlob.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "passes/optimize/Matchers.h"

#include <cstring>

namespace slmc {
#define GEN_PASS_DEF_FUSELINEAR
#include "passes/Passes.h.inc"
} // namespace slmc

using namespace mlir;

namespace slmc {
namespace {

/// A weight constant [in, out] as slm.linear wants it, [out, in]: the values
/// transposed once, at compile time, into a blob of their own that keeps the
/// source's name (small dense constants stay dense). Null when the constant's
/// bytes are not at hand (IR printed with its resources elided).
Value transposedWeight(PatternRewriter &rewriter, slm::ConstantOp weight) {
  auto type = tensorType(weight.getResult());
  int64_t rows = type.getDimSize(0), columns = type.getDimSize(1);
  auto transposedType = RankedTensorType::get({columns, rows}, type.getElementType());
  std::vector<float> source(rows * columns), values(rows * columns);
  auto resource = llvm::dyn_cast<DenseResourceElementsAttr>(weight.getValue());
  if (resource) {
    llvm::ArrayRef<char> bytes = weightBytes(resource);
    if (bytes.size() != source.size() * sizeof(float))
      return {};
    std::memcpy(source.data(), bytes.data(), bytes.size());
  } else {
    llvm::copy(llvm::cast<DenseElementsAttr>(weight.getValue()).getValues<float>(), source.begin());
  }
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < columns; ++c)
      values[c * rows + r] = source[r * columns + c];
  ElementsAttr transposed =
      resource ? ElementsAttr(ownWeight(transposedType, resource.getRawHandle().getKey(),
                                        std::move(values)))
               : ElementsAttr(DenseElementsAttr::get(transposedType, llvm::ArrayRef(values)));
  return rewriter.create<slm::ConstantOp>(weight.getLoc(), transposed);
}

bool isFloatMatrix(slm::ConstantOp constant) {
  if (!constant)
    return false;
  auto type = tensorType(constant.getResult());
  return type.getRank() == 2 && type.getElementType().isF32();
}

/// matmul(x, W) with W a constant [in, out] -> linear(x, Wᵀ).
struct MatmulByWeight : OpRewritePattern<slm::MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(slm::MatmulOp op, PatternRewriter &rewriter) const override {
    slm::ConstantOp weight = constantOf(op.getRhs());
    if (!isFloatMatrix(weight) || tensorType(op.getLhs()).getRank() < 2)
      return failure();
    Value transposed = transposedWeight(rewriter, weight);
    if (!transposed)
      return failure();
    rewriter.replaceOpWithNewOp<slm::LinearOp>(op, op.getType(), op.getLhs(), transposed, Value());
    return success();
  }
};

/// transpose(matmul(W, transpose(x))) with W a constant [out, in] and both
/// transposes swapping the last two dimensions -> linear(x, W): how exporters
/// write an output head that shares its matrix with the embedding.
struct WeightTimesTransposed : OpRewritePattern<slm::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  static bool swapsLastTwo(ArrayRef<int64_t> permutation) {
    int64_t n = permutation.size();
    if (n < 2 || permutation[n - 1] != n - 2 || permutation[n - 2] != n - 1)
      return false;
    return llvm::equal(permutation.drop_back(2), llvm::seq<int64_t>(0, n - 2));
  }
  LogicalResult matchAndRewrite(slm::TransposeOp op, PatternRewriter &rewriter) const override {
    auto matmul = producer<slm::MatmulOp>(op.getInput());
    if (!matmul || !swapsLastTwo(op.getPermutation()))
      return failure();
    slm::ConstantOp weight = constantOf(matmul.getLhs());
    auto inner = producer<slm::TransposeOp>(matmul.getRhs());
    if (!isFloatMatrix(weight) || !inner || !swapsLastTwo(inner.getPermutation()))
      return failure();
    rewriter.replaceOpWithNewOp<slm::LinearOp>(op, op.getType(), inner.getInput(),
                                               weight.getResult(), Value());
    return success();
  }
};

/// add(linear(x, W), b) with b a constant [out] -> linear(x, W, b).
struct LinearPlusBias : OpRewritePattern<slm::AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(slm::AddOp op, PatternRewriter &rewriter) const override {
    slm::LinearOp linear;
    Value bias;
    bool matched = eitherOrder(op.getLhs(), op.getRhs(), [&](Value a, Value b) {
      linear = producer<slm::LinearOp>(a);
      bias = b;
      auto type = tensorType(b);
      return linear && !linear.getBias() && linear->hasOneUse() && constantOf(b) &&
             type.getRank() == 1 && type.getDimSize(0) == tensorType(linear).getShape().back() &&
             tensorType(op.getResult()) == tensorType(linear.getResult());
    });
    if (!matched)
      return failure();
    rewriter.replaceOpWithNewOp<slm::LinearOp>(op, op.getType(), linear.getInput(),
                                               linear.getWeight(), bias);
    return success();
  }
};

/// gather(table, ids, axis 0) with a constant [vocab, width] table -> embedding.
struct GatherFromTable : OpRewritePattern<slm::GatherOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(slm::GatherOp op, PatternRewriter &rewriter) const override {
    if (op.getAxis() != 0 || !isFloatMatrix(constantOf(op.getInput())) ||
        !tensorType(op.getIndices()).getElementType().isSignlessInteger(64))
      return failure();
    rewriter.replaceOpWithNewOp<slm::EmbeddingOp>(op, op.getType(), op.getInput(),
                                                  op.getIndices());
    return success();
  }
};

struct FuseLinearPass : impl::FuseLinearBase<FuseLinearPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<MatmulByWeight, WeightTimesTransposed, LinearPlusBias, GatherFromTable>(
        &getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace slmc
