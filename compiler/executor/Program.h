//===- Program.h - a function prepared for the executor ---------*- C++ -*-===//
#pragma once

#include "compiler/executor/KernelTable.h"
#include "mlir/IR/Location.h"

namespace mlir::func {
class FuncOp;
} // namespace mlir::func

namespace slmc::exec {

/// A function flattened into a list of kernel calls over numbered value slots.
class Program {
public:
  static llvm::Expected<std::unique_ptr<Program>> build(mlir::func::FuncOp function);
  llvm::Expected<std::vector<Tensor>> run(std::vector<Tensor> inputs) const;

private:
  struct Step {
    Kernel kernel;
    llvm::SmallVector<int, 4> inputs;
    llvm::SmallVector<int, 2> outputs;
    /// Slots whose last reader is this step, freed after it runs.
    llvm::SmallVector<int, 4> release;
    std::string name;
    mlir::Location location;
  };
  struct Argument {
    DType dtype;
    Shape shape; // dynamic dims are ShapedType::kDynamic
  };

  int numSlots_ = 0;
  std::vector<std::pair<int, Tensor>> constants_;
  std::vector<Argument> arguments_;
  std::vector<Step> steps_;
  std::vector<int> results_;
};

} // namespace slmc::exec
