//===- SymbolicShapes.h - which dynamic dimensions are equal ----*- C++ -*-===//
//
// Exported graphs leave dimensions dynamic that are static in fact: they
// reshape x to `x.shape[:-1] + (-1, 2)` by computing Shape -> Gather ->
// Concat at run time, and a reshape's -1 cannot be resolved while another
// target dimension is only known as "the sequence length". This analysis
// names every dynamic dimension after the @forward argument dimension it
// equals (its symbol), when it provably equals one, and follows the integer
// vectors that shapes are computed with element by element. With symbols a
// reshape from [1, s, 8, 8] to [1, s, 8, -1, 2] resolves the -1 to 4.
//
// @forward is one block of SSA values without control flow, so one sweep in
// program order reaches the fixpoint of this forward analysis.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"

#include <optional>

namespace slmc {

/// One dimension (or one element of an integer vector) as far as the
/// analysis knows it.
struct SymbolicDim {
  enum class Kind : uint8_t { Unknown, Static, Symbol };
  Kind kind = Kind::Unknown;
  int64_t value = 0; // Static: the number; Symbol: the symbol's key

  static SymbolicDim unknown() { return {}; }
  static SymbolicDim of(int64_t n) { return {Kind::Static, n}; }
  /// Dimension `dim` of @forward's argument `argument`.
  static SymbolicDim symbol(unsigned argument, int64_t dim) {
    return {Kind::Symbol, static_cast<int64_t>(argument) * 64 + dim};
  }
  bool isStatic() const { return kind == Kind::Static; }
  bool isSymbol() const { return kind == Kind::Symbol; }
  bool isUnknown() const { return kind == Kind::Unknown; }
  bool operator==(const SymbolicDim &o) const { return kind == o.kind && value == o.value; }
};

/// What is known of one tensor value: its dimensions and, for integer
/// tensors of rank <= 1 with a static length, its elements.
struct SymbolicShape {
  llvm::SmallVector<SymbolicDim, 6> dims;
  std::optional<llvm::SmallVector<SymbolicDim, 6>> elements;

  /// The type with every dimension the analysis knows made static.
  mlir::RankedTensorType refine(mlir::RankedTensorType type) const;
};

class SymbolicShapes {
public:
  explicit SymbolicShapes(mlir::func::FuncOp forward);

  /// What is known of `value` (a tensor defined in @forward).
  const SymbolicShape &of(mlir::Value value) const;

private:
  void visit(mlir::Operation *op);
  SymbolicShape fromType(mlir::Value value) const;

  llvm::DenseMap<mlir::Value, SymbolicShape> shapes_;
};

} // namespace slmc
