//===- LowerElementwiseOps.cpp - elementwise ops -> micro-kernel calls ----===//

#include "passes/lowering/LoweringContext.h"

#include "compiler/targets/ukernels/slm_ukernels.h"
#include "dialects/slm/IR/SlmOps.h"

using namespace mlir;

namespace slmc::lowering {
namespace {

/// Element strides of `operand` over the dimensions of `result` (numpy
/// broadcasting: 0 where the operand's size-1 dimension is stretched).
SmallVector<Value> broadcastStrides(LoweringContext &c, Value operand, Type result) {
  auto type = llvm::cast<RankedTensorType>(operand.getType());
  auto out = llvm::cast<RankedTensorType>(result);
  const Buffer &buffer = c.lookup(operand);
  SmallVector<Value> strides(out.getRank(), c.i64(0));
  Value running = c.i64(1);
  for (int64_t d = type.getRank() - 1, o = out.getRank() - 1; d >= 0; --d, --o) {
    bool stretched = type.getDimSize(d) == 1 && out.getDimSize(o) != 1;
    if (!stretched)
      strides[o] = running;
    running = c.mul(running, buffer.dims[d]);
  }
  return strides;
}

/// Operands of the same shape as the result are walked as one flat run.
bool sameShapes(ValueRange operands, Type result) {
  auto shape = llvm::cast<RankedTensorType>(result).getShape();
  return llvm::all_of(operands, [&](Value v) {
    return llvm::cast<RankedTensorType>(v.getType()).getShape() == shape;
  });
}

/// (rank, shape array, one stride array per operand) for a broadcasting kernel.
std::pair<Value, SmallVector<Value>> broadcastArguments(LoweringContext &c, ValueRange operands,
                                                        Type result, const Buffer &out) {
  if (sameShapes(operands, result)) {
    Value flat = c.array(ArrayRef<Value>{c.elementCount(out)});
    SmallVector<Value> strides(operands.size(), c.array(ArrayRef<int64_t>{1}));
    strides.insert(strides.begin(), flat);
    return {c.i32(1), strides};
  }
  SmallVector<Value> arrays{c.array(out.dims)};
  for (Value operand : operands)
    arrays.push_back(c.array(broadcastStrides(c, operand, result)));
  return {c.i32(static_cast<int32_t>(out.dims.size())), arrays};
}

struct UnaryKernel {
  int32_t code;
  std::function<std::pair<float, float>(Operation *)> params;
};

template <typename OpT> std::pair<float, float> alphaOf(Operation *op) {
  return {llvm::cast<OpT>(op).getAlpha().convertToFloat(), 0.0f};
}

const llvm::StringMap<UnaryKernel> &unaryKernels() {
  static const llvm::StringMap<UnaryKernel> table = [] {
    llvm::StringMap<UnaryKernel> t;
    auto none = [](Operation *) { return std::pair<float, float>{0, 0}; };
    auto add = [&](StringRef name, int32_t code) { t[name] = {code, none}; };
    add(slm::NegOp::getOperationName(), SLM_UK_NEG);
    add(slm::AbsOp::getOperationName(), SLM_UK_ABS);
    add(slm::SignOp::getOperationName(), SLM_UK_SIGN);
    add(slm::ExpOp::getOperationName(), SLM_UK_EXP);
    add(slm::LogOp::getOperationName(), SLM_UK_LOG);
    add(slm::SqrtOp::getOperationName(), SLM_UK_SQRT);
    add(slm::RsqrtOp::getOperationName(), SLM_UK_RSQRT);
    add(slm::ReciprocalOp::getOperationName(), SLM_UK_RECIPROCAL);
    add(slm::TanhOp::getOperationName(), SLM_UK_TANH);
    add(slm::ErfOp::getOperationName(), SLM_UK_ERF);
    add(slm::SigmoidOp::getOperationName(), SLM_UK_SIGMOID);
    add(slm::SiluOp::getOperationName(), SLM_UK_SILU);
    add(slm::ReluOp::getOperationName(), SLM_UK_RELU);
    add(slm::SinOp::getOperationName(), SLM_UK_SIN);
    add(slm::CosOp::getOperationName(), SLM_UK_COS);
    add(slm::TanOp::getOperationName(), SLM_UK_TAN);
    add(slm::AsinOp::getOperationName(), SLM_UK_ASIN);
    add(slm::AcosOp::getOperationName(), SLM_UK_ACOS);
    add(slm::AtanOp::getOperationName(), SLM_UK_ATAN);
    add(slm::SinhOp::getOperationName(), SLM_UK_SINH);
    add(slm::CoshOp::getOperationName(), SLM_UK_COSH);
    add(slm::AsinhOp::getOperationName(), SLM_UK_ASINH);
    add(slm::AcoshOp::getOperationName(), SLM_UK_ACOSH);
    add(slm::AtanhOp::getOperationName(), SLM_UK_ATANH);
    add(slm::CeilOp::getOperationName(), SLM_UK_CEIL);
    add(slm::FloorOp::getOperationName(), SLM_UK_FLOOR);
    add(slm::RoundOp::getOperationName(), SLM_UK_ROUND);
    add(slm::SoftplusOp::getOperationName(), SLM_UK_SOFTPLUS);
    add(slm::SoftsignOp::getOperationName(), SLM_UK_SOFTSIGN);
    add(slm::HardSwishOp::getOperationName(), SLM_UK_HARD_SWISH);
    add(slm::NotOp::getOperationName(), SLM_UK_NOT);
    t[slm::GeluOp::getOperationName()] = {SLM_UK_GELU, none};
    t[slm::LeakyReluOp::getOperationName()] = {SLM_UK_LEAKY_RELU, alphaOf<slm::LeakyReluOp>};
    t[slm::EluOp::getOperationName()] = {SLM_UK_ELU, alphaOf<slm::EluOp>};
    t[slm::CeluOp::getOperationName()] = {SLM_UK_CELU, alphaOf<slm::CeluOp>};
    t[slm::ThresholdedReluOp::getOperationName()] = {SLM_UK_THRESHOLDED_RELU,
                                                     alphaOf<slm::ThresholdedReluOp>};
    t[slm::SeluOp::getOperationName()] = {SLM_UK_SELU, [](Operation *op) {
                                            auto selu = llvm::cast<slm::SeluOp>(op);
                                            return std::pair{selu.getAlpha().convertToFloat(),
                                                             selu.getGamma().convertToFloat()};
                                          }};
    t[slm::HardSigmoidOp::getOperationName()] = {
        SLM_UK_HARD_SIGMOID, [](Operation *op) {
          auto hs = llvm::cast<slm::HardSigmoidOp>(op);
          return std::pair{hs.getAlpha().convertToFloat(), hs.getBeta().convertToFloat()};
        }};
    return t;
  }();
  return table;
}

LogicalResult lowerUnary(LoweringContext &c, Operation *op) {
  const UnaryKernel &kernel = unaryKernels().find(op->getName().getStringRef())->second;
  int32_t code = kernel.code;
  if (auto gelu = llvm::dyn_cast<slm::GeluOp>(op);
      gelu && gelu.getApproximation() == slm::GeluApproximation::tanh)
    code = SLM_UK_GELU_TANH;
  auto [alpha, beta] = kernel.params(op);
  const Buffer &x = c.lookup(op->getOperand(0));
  Buffer y = c.resultBuffer(op);
  c.call("slm_uk_unary", {c.kernelContext, c.i32(code), c.i32(*ukernelDType(x.elementType)),
                          x.pointer, y.pointer, c.elementCount(y), c.f32(alpha), c.f32(beta)});
  c.bind(op->getResult(0), y);
  return success();
}

/// The name part of each binary op's kernels, slm_uk_binary_NAME_DTYPE.
const llvm::StringMap<StringRef> &binaryKernels() {
  static const llvm::StringMap<StringRef> table = {
      {slm::AddOp::getOperationName(), "add"},
      {slm::SubOp::getOperationName(), "sub"},
      {slm::MulOp::getOperationName(), "mul"},
      {slm::DivOp::getOperationName(), "div"},
      {slm::PowOp::getOperationName(), "pow"},
      {slm::MaxOp::getOperationName(), "max"},
      {slm::MinOp::getOperationName(), "min"},
      {slm::ModOp::getOperationName(), "mod"},
      {slm::EqualOp::getOperationName(), "equal"},
      {slm::LessOp::getOperationName(), "less"},
      {slm::LessEqualOp::getOperationName(), "less_equal"},
      {slm::GreaterOp::getOperationName(), "greater"},
      {slm::GreaterEqualOp::getOperationName(), "greater_equal"},
      {slm::AndOp::getOperationName(), "and"},
      {slm::OrOp::getOperationName(), "or"},
      {slm::XorOp::getOperationName(), "xor"},
  };
  return table;
}

/// Element type suffixes of kernel names.
StringRef dtypeSuffix(Type t) {
  if (t.isF32())
    return "f32";
  if (t.isSignlessInteger(1))
    return "i1";
  return t.isSignlessInteger(64) ? "i64" : "i32";
}

LogicalResult lowerBinary(LoweringContext &c, Operation *op) {
  StringRef name = binaryKernels().find(op->getName().getStringRef())->second;
  if (auto mod = llvm::dyn_cast<slm::ModOp>(op); mod && mod.getFmod())
    name = "fmod";
  Value lhs = op->getOperand(0), rhs = op->getOperand(1);
  Buffer y = c.resultBuffer(op);
  auto [rank, arrays] = broadcastArguments(c, op->getOperands(), op->getResult(0).getType(), y);
  std::string kernel =
      ("slm_uk_binary_" + name + "_" + dtypeSuffix(c.lookup(lhs).elementType)).str();
  c.call(kernel, {c.kernelContext, c.lookup(lhs).pointer, c.lookup(rhs).pointer, y.pointer, rank,
                  arrays[0], arrays[1], arrays[2]});
  c.bind(op->getResult(0), y);
  return success();
}

LogicalResult lowerWhere(LoweringContext &c, Operation *op) {
  auto where = llvm::cast<slm::WhereOp>(op);
  Buffer y = c.resultBuffer(op);
  auto [rank, arrays] = broadcastArguments(c, op->getOperands(), where.getType(), y);
  c.call("slm_uk_where",
         {c.kernelContext, c.i32(static_cast<int32_t>(elementBytes(y.elementType))),
          c.lookup(where.getCondition()).pointer, c.lookup(where.getOnTrue()).pointer,
          c.lookup(where.getOnFalse()).pointer, y.pointer, rank, arrays[0], arrays[1], arrays[2],
          arrays[3]});
  c.bind(where.getResult(), y);
  return success();
}

LogicalResult lowerCast(LoweringContext &c, Operation *op) {
  const Buffer &x = c.lookup(op->getOperand(0));
  Buffer y = c.resultBuffer(op);
  c.call("slm_uk_cast", {c.kernelContext, c.i32(*ukernelDType(x.elementType)),
                         c.i32(*ukernelDType(y.elementType)), x.pointer, y.pointer,
                         c.elementCount(y)});
  c.bind(op->getResult(0), y);
  return success();
}

} // namespace

void addElementwiseLowerings(OpLoweringTable &t) {
  for (const auto &entry : unaryKernels())
    t[entry.getKey()] = lowerUnary;
  for (const auto &entry : binaryKernels())
    t[entry.getKey()] = lowerBinary;
  t[slm::WhereOp::getOperationName()] = lowerWhere;
  t[slm::CastOp::getOperationName()] = lowerCast;
}

} // namespace slmc::lowering
