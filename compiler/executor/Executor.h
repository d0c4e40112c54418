//===- Executor.h - the reference executor ----------------------*- C++ -*-===//
//
// Runs a func.func of slm ops on the host in fp32. It is slmc's numerical
// oracle and calibration engine, so it is kept independent of code generation
// and simple to read: each op is one kernel over dense row-major tensors;
// matmul/linear go to oneDNN's multithreaded sgemm.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/executor/Tensor.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <memory>
#include <vector>

namespace mlir {
class Operation;
} // namespace mlir
namespace mlir::func {
class FuncOp;
} // namespace mlir::func

namespace slmc::exec {

class Program;

class Executor {
public:
  /// Prepares `function` for execution: resolves a kernel for every op and
  /// turns constants into tensors (zero-copy for f32 blobs). Fails, naming the
  /// op, when an op or element type has no kernel. The function's module must
  /// outlive the executor (weights may point into its blobs).
  static llvm::Expected<std::unique_ptr<Executor>> create(mlir::func::FuncOp function);
  ~Executor();

  /// Runs the function on `inputs` (one per argument, shapes checked against
  /// the argument types) and returns its results. Errors at run time (shape
  /// mismatches, indices out of range) name the op and its location.
  llvm::Expected<std::vector<Tensor>> run(std::vector<Tensor> inputs);

  /// What the gradient's caller makes of a run's results: the gradients of
  /// its loss with respect to them (fewer than the results: the rest zero).
  using ResultGradients =
      std::function<llvm::Expected<std::vector<Tensor>>(llvm::ArrayRef<Tensor> results)>;
  /// Reverse mode: runs the function on `inputs` keeping every value, asks
  /// `loss` for the gradients of the results, and returns the gradients of
  /// that loss with respect to `constants` (slm.constant ops of the function).
  /// Safe to call from several threads at once (nothing is replaced meanwhile).
  llvm::Expected<std::vector<Tensor>> gradient(std::vector<Tensor> inputs,
                                               const ResultGradients &loss,
                                               llvm::ArrayRef<mlir::Operation *> constants) const;
  /// Calibration hooks: see Program::setObserver and Program::replaceConstant.
  void setObserver(std::function<void(mlir::Operation *, llvm::ArrayRef<Tensor>)> observer);
  llvm::Error replaceConstant(mlir::Operation *constant, Tensor value);

private:
  explicit Executor(std::unique_ptr<Program> program);
  std::unique_ptr<Program> program_;
};

} // namespace slmc::exec
