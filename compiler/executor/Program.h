//===- Program.h - a function prepared for the executor ---------*- C++ -*-===//
#pragma once

#include "compiler/executor/GradientTable.h"
#include "compiler/executor/KernelTable.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/DenseMap.h"

#include <functional>

namespace mlir::func {
class FuncOp;
} // namespace mlir::func

namespace slmc::exec {

/// A function flattened into a list of kernel calls over numbered value slots.
class Program {
public:
  static llvm::Expected<std::unique_ptr<Program>> build(mlir::func::FuncOp function);
  llvm::Expected<std::vector<Tensor>> run(std::vector<Tensor> inputs) const;

  /// Every value of one run, kept for backward().
  struct Recording {
    std::vector<Tensor> frame;
    std::vector<Tensor> results;
  };
  /// Runs like run() and keeps every intermediate value.
  llvm::Expected<Recording> record(std::vector<Tensor> inputs) const;
  /// Reverse mode: the gradients of sum_i <resultGradients[i], result i> with
  /// respect to `constants` (zeros for one no result depends on), from the
  /// values of `recording`. An invalid result gradient counts as zero. Fails,
  /// naming the op, when a path from a constant to a result runs through an
  /// op without a vector-Jacobian product (GradientTable.h).
  llvm::Expected<std::vector<Tensor>> backward(const Recording &recording,
                                               llvm::ArrayRef<Tensor> resultGradients,
                                               llvm::ArrayRef<mlir::Operation *> constants) const;

  /// Hears every op's operands just before its kernel runs.
  using Observer = std::function<void(mlir::Operation *op, llvm::ArrayRef<Tensor> operands)>;
  void setObserver(Observer observer) { observer_ = std::move(observer); }

  /// Makes the slm.constant `constant` evaluate to `value` (same dtype and
  /// shape) from the next run on. Fails for ops that are not constants here.
  llvm::Error replaceConstant(mlir::Operation *constant, Tensor value);

private:
  struct Step {
    Kernel kernel;
    llvm::SmallVector<int, 4> inputs;
    llvm::SmallVector<int, 2> outputs;
    /// Slots whose last reader is this step, freed after it runs.
    llvm::SmallVector<int, 4> release;
    std::string name;
    mlir::Location location;
    mlir::Operation *op;
    /// The op's vector-Jacobian product, or why it has none.
    Vjp vjp;
    std::string noVjp;
  };
  /// The frame after the steps ran; `keep`: nothing freed.
  llvm::Expected<std::vector<Tensor>> execute(std::vector<Tensor> inputs, bool keep) const;
  llvm::Error stepError(const Step &step, llvm::Error error) const;
  struct Argument {
    DType dtype;
    Shape shape; // dynamic dims are ShapedType::kDynamic
  };

  int numSlots_ = 0;
  std::vector<std::pair<int, Tensor>> constants_;
  llvm::DenseMap<mlir::Operation *, size_t> constantIndex_; // into constants_
  Observer observer_;
  std::vector<Argument> arguments_;
  std::vector<Step> steps_;
  std::vector<int> results_;
};

} // namespace slmc::exec
