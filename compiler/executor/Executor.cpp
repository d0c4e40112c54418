//===- Executor.cpp - the reference executor ------------------------------===//

#include "compiler/executor/Executor.h"

#include "compiler/executor/Program.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace slmc::exec {

Executor::Executor(std::unique_ptr<Program> program) : program_(std::move(program)) {}
Executor::~Executor() = default;

llvm::Expected<std::unique_ptr<Executor>> Executor::create(mlir::func::FuncOp function) {
  auto program = Program::build(function);
  if (!program)
    return program.takeError();
  return std::unique_ptr<Executor>(new Executor(std::move(*program)));
}

llvm::Expected<std::vector<Tensor>> Executor::run(std::vector<Tensor> inputs) {
  return program_->run(std::move(inputs));
}

llvm::Expected<std::vector<Tensor>>
Executor::gradient(std::vector<Tensor> inputs, const ResultGradients &loss,
                   llvm::ArrayRef<mlir::Operation *> constants) const {
  auto recording = program_->record(std::move(inputs));
  if (!recording)
    return recording.takeError();
  auto seeds = loss(recording->results);
  if (!seeds)
    return seeds.takeError();
  return program_->backward(*recording, *seeds, constants);
}

void Executor::setObserver(
    std::function<void(mlir::Operation *, llvm::ArrayRef<Tensor>)> observer) {
  program_->setObserver(std::move(observer));
}

llvm::Error Executor::replaceConstant(mlir::Operation *constant, Tensor value) {
  return program_->replaceConstant(constant, std::move(value));
}

} // namespace slmc::exec
