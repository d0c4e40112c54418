//===- Program.cpp - a function prepared for the executor -----------------===//

#include "compiler/executor/Program.h"

#include "compiler/support/Error.h"
#include "compiler/weights/WeightBlob.h"
#include "dialects/slm/IR/SlmOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;

namespace slmc::exec {
namespace {

std::string describeOp(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "'" << op->getName() << "' at ";
  op->getLoc().print(os);
  return text;
}

template <typename T> Tensor copyElements(DType dtype, ArrayRef<int64_t> shape, DenseElementsAttr dense) {
  Tensor t = Tensor::zeros(dtype, shape);
  T *out = t.data<T>();
  if constexpr (std::is_same_v<T, uint8_t>) {
    for (auto [i, v] : llvm::enumerate(dense.getValues<bool>()))
      out[i] = v;
  } else if constexpr (std::is_same_v<T, uint16_t>) { // f16 or bf16: the bits
    for (auto [i, v] : llvm::enumerate(dense.getValues<APFloat>()))
      out[i] = static_cast<uint16_t>(v.bitcastToAPInt().getZExtValue());
  } else {
    for (auto [i, v] : llvm::enumerate(dense.getValues<T>()))
      out[i] = v;
  }
  return t;
}

llvm::Expected<Tensor> constantTensor(slm::ConstantOp op) {
  auto type = llvm::cast<RankedTensorType>(op.getType());
  auto dtype = dtypeOf(type.getElementType());
  if (!dtype)
    return makeError("{0}: element type has no reference kernel", describeOp(op));
  ElementsAttr value = op.getValue();
  if (auto dense = llvm::dyn_cast<DenseElementsAttr>(value)) {
    switch (*dtype) {
    case DType::F32:
      return copyElements<float>(*dtype, type.getShape(), dense);
    case DType::I64:
      return copyElements<int64_t>(*dtype, type.getShape(), dense);
    case DType::I32:
      return copyElements<int32_t>(*dtype, type.getShape(), dense);
    case DType::I1:
      return copyElements<uint8_t>(*dtype, type.getShape(), dense);
    case DType::I8:
      return copyElements<int8_t>(*dtype, type.getShape(), dense);
    case DType::F16:
    case DType::BF16:
      return copyElements<uint16_t>(*dtype, type.getShape(), dense);
    }
  }
  ArrayRef<char> bytes = weightBytes(value);
  size_t expected = numElements(type.getShape()) * byteWidth(*dtype);
  if (*dtype == DType::I1 || bytes.size() != expected)
    return makeError("{0}: constant holds {1} bytes, its type {2} needs {3}", describeOp(op),
                     bytes.size(), type, expected);
  // Weights stay in their blob (often an mmapped model file): no copy.
  return Tensor::view(*dtype, type.getShape(), bytes.data(), nullptr);
}

} // namespace

llvm::Expected<std::unique_ptr<Program>> Program::build(func::FuncOp function) {
  auto program = std::make_unique<Program>();
  if (!function.getBody().hasOneBlock())
    return makeError("function @{0} must have exactly one block", function.getSymName());
  llvm::DenseMap<Value, int> slots;
  auto slotOf = [&](Value v) {
    auto [it, inserted] = slots.try_emplace(v, program->numSlots_);
    if (inserted)
      ++program->numSlots_;
    return it->second;
  };
  for (BlockArgument arg : function.getArguments()) {
    auto type = llvm::dyn_cast<RankedTensorType>(arg.getType());
    auto dtype = type ? dtypeOf(type.getElementType()) : std::nullopt;
    if (!dtype)
      return makeError("function @{0}: argument {1} of type {2} has no reference kernel",
                       function.getSymName(), arg.getArgNumber(), arg.getType());
    program->arguments_.push_back({*dtype, Shape(type.getShape())});
    slotOf(arg);
  }

  const KernelTable &table = KernelTable::get();
  llvm::SmallVector<std::string> missing;
  for (Operation &op : function.getBody().front()) {
    if (auto ret = llvm::dyn_cast<func::ReturnOp>(op)) {
      for (Value v : ret.getOperands())
        program->results_.push_back(slotOf(v));
      continue;
    }
    for (Type type : op.getResultTypes()) {
      auto tensor = llvm::dyn_cast<RankedTensorType>(type);
      if (!tensor || !dtypeOf(tensor.getElementType()))
        return makeError("{0}: result type {1} has no reference kernel", describeOp(&op), type);
      // bf16 is a weight storage (slm.widen's input), not a type kernels compute in.
      if (tensor.getElementType().isBF16() && !llvm::isa<slm::ConstantOp>(op))
        return makeError("{0}: result type {1} has no reference kernel (bf16 is only stored)",
                         describeOp(&op), type);
    }
    if (auto constant = llvm::dyn_cast<slm::ConstantOp>(op)) {
      auto tensor = constantTensor(constant);
      if (!tensor)
        return tensor.takeError();
      program->constantIndex_[constant] = program->constants_.size();
      program->constants_.emplace_back(slotOf(constant.getResult()), std::move(*tensor));
      continue;
    }
    const KernelFactory *factory = table.lookup(op.getName().getStringRef());
    if (!factory) {
      missing.push_back(op.getName().getStringRef().str());
      continue;
    }
    auto kernel = (*factory)(&op);
    if (!kernel)
      return makeError("{0}: {1}", describeOp(&op), llvm::toString(kernel.takeError()));
    Step step{std::move(*kernel), {}, {}, {}, op.getName().getStringRef().str(), op.getLoc(), &op,
              Vjp(), "has no gradient"};
    if (const VjpFactory *vjp = GradientTable::get().lookup(op.getName().getStringRef())) {
      if (auto product = (*vjp)(&op))
        step.vjp = std::move(*product);
      else
        step.noVjp = llvm::toString(product.takeError());
    }
    for (Value v : op.getOperands())
      step.inputs.push_back(slotOf(v));
    for (Value v : op.getResults())
      step.outputs.push_back(slotOf(v));
    program->steps_.push_back(std::move(step));
  }
  if (!missing.empty())
    return makeError("no reference kernel for: {0}", llvm::join(missing, ", "));

  // Free each intermediate after its last reader so that peak memory is the
  // live set, not the whole graph.
  std::vector<int> lastReader(program->numSlots_, -1);
  for (auto [i, step] : llvm::enumerate(program->steps_))
    for (int slot : step.inputs)
      lastReader[slot] = i;
  for (int slot : program->results_)
    lastReader[slot] = -1;
  for (int slot = 0; slot < program->numSlots_; ++slot)
    if (lastReader[slot] >= 0) {
      auto &release = program->steps_[lastReader[slot]].release;
      if (!llvm::is_contained(release, slot))
        release.push_back(slot);
    }
  return program;
}

llvm::Error Program::replaceConstant(Operation *constant, Tensor value) {
  auto it = constantIndex_.find(constant);
  if (it == constantIndex_.end())
    return makeError("{0} is not a constant of this program", describeOp(constant));
  Tensor &current = constants_[it->second].second;
  if (value.dtype() != current.dtype() || value.shape() != current.shape())
    return makeError("{0}: a replacement {1} does not fit {2}", describeOp(constant),
                     value.describe(), current.describe());
  current = std::move(value);
  return llvm::Error::success();
}

llvm::Error Program::stepError(const Step &step, llvm::Error error) const {
  std::string where;
  llvm::raw_string_ostream os(where);
  step.location.print(os);
  return makeError("'{0}' at {1}: {2}", step.name, where, llvm::toString(std::move(error)));
}

llvm::Expected<std::vector<Tensor>> Program::execute(std::vector<Tensor> inputs,
                                                     bool keep) const {
  if (inputs.size() != arguments_.size())
    return makeError("expected {0} inputs, got {1}", arguments_.size(), inputs.size());
  std::vector<Tensor> frame(numSlots_);
  for (auto [i, input] : llvm::enumerate(inputs)) {
    const Argument &arg = arguments_[i];
    bool shapeOk = input.rank() == static_cast<int64_t>(arg.shape.size());
    for (int64_t d = 0; shapeOk && d < input.rank(); ++d)
      shapeOk = ShapedType::isDynamic(arg.shape[d]) || arg.shape[d] == input.dim(d);
    if (input.dtype() != arg.dtype || !shapeOk)
      return makeError("input {0} is {1}, which does not fit the argument type", i,
                       input.describe());
    frame[i] = std::move(input);
  }
  for (const auto &[slot, tensor] : constants_)
    frame[slot] = tensor;

  llvm::SmallVector<Tensor, 6> operands;
  llvm::SmallVector<Tensor, 3> results;
  for (const Step &step : steps_) {
    operands.clear();
    for (int slot : step.inputs)
      operands.push_back(frame[slot]);
    if (observer_)
      observer_(step.op, operands);
    results.assign(step.outputs.size(), Tensor());
    if (llvm::Error error = step.kernel(operands, results))
      return stepError(step, std::move(error));
    for (auto [slot, result] : llvm::zip(step.outputs, results))
      frame[slot] = std::move(result);
    if (!keep)
      for (int slot : step.release)
        frame[slot] = Tensor();
  }
  return frame;
}

llvm::Expected<std::vector<Tensor>> Program::run(std::vector<Tensor> inputs) const {
  auto frame = execute(std::move(inputs), /*keep=*/false);
  if (!frame)
    return frame.takeError();
  std::vector<Tensor> out;
  for (int slot : results_)
    out.push_back((*frame)[slot]);
  return out;
}

llvm::Expected<Program::Recording> Program::record(std::vector<Tensor> inputs) const {
  auto frame = execute(std::move(inputs), /*keep=*/true);
  if (!frame)
    return frame.takeError();
  Recording recording;
  recording.frame = std::move(*frame);
  for (int slot : results_)
    recording.results.push_back(recording.frame[slot]);
  return recording;
}

llvm::Expected<std::vector<Tensor>>
Program::backward(const Recording &recording, llvm::ArrayRef<Tensor> resultGradients,
                  llvm::ArrayRef<Operation *> constants) const {
  if (resultGradients.size() > results_.size())
    return makeError("{0} result gradients for {1} results", resultGradients.size(),
                     results_.size());
  // Which slots depend on the constants asked for (through f32 values).
  std::vector<char> needed(numSlots_, 0);
  std::vector<int> constantSlots;
  for (Operation *constant : constants) {
    auto it = constantIndex_.find(constant);
    if (it == constantIndex_.end())
      return makeError("{0} is not a constant of this program", describeOp(constant));
    int slot = constants_[it->second].first;
    needed[slot] = 1;
    constantSlots.push_back(slot);
  }
  for (const Step &step : steps_)
    if (llvm::any_of(step.inputs, [&](int slot) { return needed[slot]; }))
      for (int slot : step.outputs)
        needed[slot] = recording.frame[slot].dtype() == DType::F32;

  std::vector<Tensor> gradients(numSlots_);
  auto accumulate = [&](int slot, Tensor gradient) {
    Tensor &into = gradients[slot];
    if (!into.valid() || into.size() == 0) {
      into = std::move(gradient);
      return;
    }
    // Sums go into a tensor of their own: a product may hand back a tensor
    // that another slot's gradient shares.
    Tensor sum = Tensor::zeros(DType::F32, into.shape());
    for (int64_t i = 0; i < sum.size(); ++i)
      sum.data<float>()[i] = into.data<float>()[i] + gradient.data<float>()[i];
    into = std::move(sum);
  };
  for (auto [i, gradient] : llvm::enumerate(resultGradients))
    if (gradient.valid() && needed[results_[i]]) {
      if (gradient.size() != recording.frame[results_[i]].size())
        return makeError("result {0}'s gradient {1} does not fit {2}", i, gradient.describe(),
                         recording.frame[results_[i]].describe());
      accumulate(results_[i], gradient);
    }

  llvm::SmallVector<Tensor, 6> operands, outputs, outputGradients, inputGradients;
  llvm::SmallVector<bool, 6> wanted;
  for (const Step &step : llvm::reverse(steps_)) {
    bool any = false;
    for (int slot : step.outputs)
      any |= needed[slot] && gradients[slot].valid() && gradients[slot].size() > 0;
    wanted.clear();
    for (int slot : step.inputs)
      wanted.push_back(needed[slot]);
    if (!any || !llvm::is_contained(wanted, true))
      continue;
    if (!step.vjp)
      return stepError(step, makeError("{0} (a gradient to a constant runs through it)",
                                       step.noVjp));
    operands.clear();
    outputs.clear();
    outputGradients.clear();
    for (int slot : step.inputs)
      operands.push_back(recording.frame[slot]);
    for (int slot : step.outputs) {
      outputs.push_back(recording.frame[slot]);
      outputGradients.push_back(gradients[slot]);
    }
    inputGradients.assign(step.inputs.size(), Tensor());
    if (llvm::Error error = step.vjp(operands, outputs, outputGradients, wanted, inputGradients))
      return stepError(step, std::move(error));
    for (auto [k, slot] : llvm::enumerate(step.inputs))
      if (wanted[k] && inputGradients[k].valid() && inputGradients[k].size() > 0) {
        if (inputGradients[k].size() != recording.frame[slot].size())
          return stepError(step, makeError("operand {0}'s gradient {1} does not fit {2}", k,
                                           inputGradients[k].describe(),
                                           recording.frame[slot].describe()));
        accumulate(slot, std::move(inputGradients[k]));
      }
    // Results are not read again: their gradients can go.
    for (int slot : step.outputs)
      gradients[slot] = Tensor();
  }
  std::vector<Tensor> out;
  for (auto [i, slot] : llvm::enumerate(constantSlots)) {
    const Tensor &value = recording.frame[slot];
    out.push_back(gradients[slot].valid() && gradients[slot].size() > 0
                      ? gradients[slot].reshaped(value.shape())
                      : Tensor::zeros(DType::F32, value.shape()));
  }
  return out;
}

} // namespace slmc::exec
