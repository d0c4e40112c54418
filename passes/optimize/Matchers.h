//===- Matchers.h - what the fusion patterns look for -----------*- C++ -*-===//
#pragma once

#include "dialects/slm/IR/SlmOps.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

namespace slmc {

inline mlir::RankedTensorType tensorType(mlir::Value v) {
  return llvm::cast<mlir::RankedTensorType>(v.getType());
}

/// The value of a constant whose elements are all equal (a scalar, a splat
/// or a one-element tensor), as a double.
std::optional<double> splatValue(mlir::Value v);

/// Whether `v` is the constant `expected` (within a relative 1e-6).
bool isSplat(mlir::Value v, double expected);

/// The defining op of `v` when it is an Op.
template <typename Op> Op producer(mlir::Value v) { return v ? v.getDefiningOp<Op>() : Op(); }

/// Calls `f(a, b)` and, if that fails, `f(b, a)`: matches commutative pairs.
template <typename F> bool eitherOrder(mlir::Value a, mlir::Value b, F &&f) {
  return f(a, b) || f(b, a);
}

/// The constant slm.constant feeding `v`, or null.
slm::ConstantOp constantOf(mlir::Value v);

/// A 0-d i64 constant (a position, a count).
mlir::Value indexConstant(mlir::OpBuilder &b, mlir::Location loc, int64_t value);
/// A reshape of `v` to `type`, whose shape has at most one dynamic dimension.
mlir::Value reshapeTo(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                      mlir::RankedTensorType type);
/// A transpose of `v` by `permutation`.
mlir::Value transposeBy(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                        llvm::ArrayRef<int64_t> permutation);

} // namespace slmc

namespace slmc {

/// A value as a product: constant * factors[0] * factors[1] * ..., seen
/// through single-use multiplications, divisions by constants and integer
/// powers up to 4.
struct Product {
  double constant = 1;
  llvm::SmallVector<mlir::Value, 4> factors;

  static Product of(mlir::Value v);
  /// Whether the factors are exactly `expected` in some order.
  bool hasFactors(llvm::ArrayRef<mlir::Value> expected) const;
};

/// The reduction of `reduce` is a keepdims reduction over the last dimension.
bool reducesLastDim(mlir::Operation *reduce);

} // namespace slmc

namespace slmc {
/// Whether `axis` (an op's axis attribute, possibly negative) is the last of `rank`.
inline bool isLastAxis(int64_t axis, int64_t rank) { return axis == -1 || axis == rank - 1; }
} // namespace slmc
