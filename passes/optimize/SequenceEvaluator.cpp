//===- SequenceEvaluator.cpp - position-only values, evaluated ------------===//

#include "passes/optimize/SequenceEvaluator.h"

#include "compiler/executor/Executor.h"
#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/IRMapping.h"

#include <cstring>

using namespace mlir;

namespace slmc {

/// The backward slice of one value as a function of @forward's arguments.
struct SequenceEvaluator::Slice {
  OwningOpRef<ModuleOp> module;
  std::unique_ptr<exec::Executor> executor;
};

SequenceEvaluator::SequenceEvaluator(func::FuncOp forward, GraphInputs inputs)
    : forward_(forward), inputs_(std::move(inputs)) {}
SequenceEvaluator::~SequenceEvaluator() = default;

SequenceEvaluator::Slice *SequenceEvaluator::sliceFor(Value value) {
  auto [it, inserted] = slices_.try_emplace(value);
  if (!inserted)
    return it->second.get();
  SetVector<Operation *> ops;
  BackwardSliceOptions options;
  options.omitBlockArguments = true;
  if (Operation *def = value.getDefiningOp())
    getBackwardSlice(def, &ops, options);
  else
    return nullptr;
  ops.insert(value.getDefiningOp());

  auto slice = std::make_unique<Slice>();
  OpBuilder b(forward_.getContext());
  slice->module = ModuleOp::create(forward_.getLoc());
  b.setInsertionPointToEnd(slice->module->getBody());
  auto function = b.create<func::FuncOp>(
      forward_.getLoc(), "slice",
      b.getFunctionType(forward_.getArgumentTypes(), TypeRange{value.getType()}));
  Block *entry = function.addEntryBlock();
  b.setInsertionPointToStart(entry);
  IRMapping mapping;
  mapping.map(forward_.getArguments(), entry->getArguments());
  for (Operation *op : ops)
    b.clone(*op, mapping);
  b.create<func::ReturnOp>(forward_.getLoc(), mapping.lookup(value));
  auto executor = exec::Executor::create(function);
  if (!executor) {
    llvm::consumeError(executor.takeError());
    return nullptr;
  }
  slice->executor = std::move(*executor);
  it->second = std::move(slice);
  return it->second.get();
}

std::vector<exec::Tensor> SequenceEvaluator::arguments(int64_t tokens, int64_t past, int64_t fill) {
  std::vector<exec::Tensor> args;
  for (BlockArgument arg : forward_.getArguments()) {
    auto type = llvm::cast<RankedTensorType>(arg.getType());
    std::optional<exec::DType> dtype = exec::dtypeOf(type.getElementType());
    unsigned i = arg.getArgNumber();
    exec::Shape shape(type.getShape());
    int64_t length = tokens;
    bool isPast = llvm::any_of(inputs_.pastKeyValues, [&](auto kv) { return kv.first == i || kv.second == i; });
    if (isPast)
      length = past;
    else if (i == inputs_.attentionMask)
      length = past + tokens;
    for (int64_t &d : shape)
      if (ShapedType::isDynamic(d))
        d = length;
    exec::Tensor t = exec::Tensor::zeros(dtype.value_or(exec::DType::F32), shape);
    for (int64_t e = 0; e < t.size(); ++e) {
      // Positions count from the past on; the mask is all ones; everything
      // else (token ids, past contents) is `fill`, which must not matter.
      int64_t v = i == inputs_.positionIds ? past + e % tokens
                  : i == inputs_.attentionMask ? 1
                                               : fill;
      switch (t.dtype()) {
      case exec::DType::F32: t.data<float>()[e] = static_cast<float>(v); break;
      case exec::DType::I64: t.data<int64_t>()[e] = v; break;
      case exec::DType::I32: t.data<int32_t>()[e] = static_cast<int32_t>(v); break;
      case exec::DType::I1: t.data<uint8_t>()[e] = v != 0; break;
      default: break;
      }
    }
    args.push_back(std::move(t));
  }
  return args;
}

void SequenceEvaluator::notifyOperationErased(Operation *op) {
  for (Value result : op->getResults()) {
    slices_.erase(result);
    for (auto it = results_.begin(); it != results_.end();)
      it = std::get<0>(it->first) == result.getAsOpaquePointer() ? results_.erase(it) : std::next(it);
  }
}

std::optional<exec::Tensor> SequenceEvaluator::evaluate(Value value, int64_t tokens,
                                                        int64_t past) {
  auto key = std::tuple{value.getAsOpaquePointer(), tokens, past};
  if (auto it = results_.find(key); it != results_.end())
    return it->second;
  std::optional<exec::Tensor> &result = results_[key];
  if ((past > 0 && !inputs_.hasPast()) || tokens <= 0)
    return result;
  Slice *slice = sliceFor(value);
  if (!slice)
    return result;
  auto first = slice->executor->run(arguments(tokens, past, 0));
  auto second = slice->executor->run(arguments(tokens, past, 1));
  if (!first || !second) {
    llvm::consumeError(first.takeError());
    llvm::consumeError(second.takeError());
    return result;
  }
  const exec::Tensor &a = (*first)[0], &b = (*second)[0];
  if (a.shape() != b.shape() ||
      std::memcmp(a.raw(), b.raw(), a.size() * exec::byteWidth(a.dtype())) != 0)
    return result; // it reads the tokens or the past, not only the sequence
  result = a;
  return result;
}

} // namespace slmc
