//===- OnnxOpsElementwise.cpp - elementwise ONNX operators ----------------===//
//
// Unary, binary and variadic elementwise operators, casts and pass-through
// operators. Most map one to one onto an slm op and are listed in
// the table at the end; integer results are folded when their inputs are
// known, since exported graphs do shape arithmetic with them.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontends/onnx/OnnxConverters.h"

#include "dialects/slm/IR/SlmOps.h"

#include <cmath>
#include <limits>

using namespace mlir;
using llvm::Expected;

namespace slmc::onnx_import {
namespace {

/// The element types an slm op accepts (of those the importer produces).
enum class Accepts { Float, Numeric, Bool, Any };

bool accepts(Accepts kinds, Type element) {
  switch (kinds) {
  case Accepts::Float:
    return element.isF32();
  case Accepts::Numeric:
    return element.isF32() || element.isSignlessInteger(64) || element.isSignlessInteger(32);
  case Accepts::Bool:
    return element.isSignlessInteger(1);
  case Accepts::Any:
    return true;
  }
  return false;
}

llvm::Error checkAccepts(Node &node, Value value, Accepts kinds) {
  Type element = tensorType(value).getElementType();
  if (accepts(kinds, element))
    return llvm::Error::success();
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "element type " << element << " is unsupported by this operator";
  return node.unsupported(text);
}

//===----------------------------------------------------------------------===//
// Folding known integers
//===----------------------------------------------------------------------===//

using IntUnaryFold = std::optional<int64_t> (*)(int64_t);
using IntBinaryFold = std::optional<int64_t> (*)(int64_t, int64_t);

/// Numpy broadcasting of tensors of rank <= 1; null when a side is unknown
/// or the lengths clash.
template <typename Combine>
std::optional<KnownInts> broadcastKnown(ArrayRef<std::optional<KnownInts>> operands,
                                        Combine combine) {
  size_t length = 1;
  bool scalar = true;
  for (const auto &operand : operands) {
    if (!operand)
      return std::nullopt;
    scalar &= operand->scalar;
    size_t n = operand->values.size();
    if (n != 1 && length != 1 && n != length)
      return std::nullopt;
    if (n != 1)
      length = n;
  }
  KnownInts result;
  result.scalar = scalar;
  for (size_t i = 0; i < length; ++i) {
    SmallVector<std::optional<int64_t>, 3> args;
    for (const auto &operand : operands)
      args.push_back(operand->values[operand->values.size() == 1 ? 0 : i]);
    result.values.push_back(combine(args));
  }
  return result;
}

std::optional<KnownInts> foldUnary(Node &node, Value input, IntUnaryFold fold) {
  if (!fold)
    return std::nullopt;
  return broadcastKnown({node.known(input)}, [&](auto args) -> std::optional<int64_t> {
    return args[0] ? fold(*args[0]) : std::nullopt;
  });
}

std::optional<KnownInts> foldBinary(Node &node, Value lhs, Value rhs, IntBinaryFold fold) {
  if (!fold)
    return std::nullopt;
  return broadcastKnown({node.known(lhs), node.known(rhs)},
                        [&](auto args) -> std::optional<int64_t> {
                          return args[0] && args[1] ? fold(*args[0], *args[1]) : std::nullopt;
                        });
}

std::optional<int64_t> foldNeg(int64_t x) { return -x; }
std::optional<int64_t> foldAbs(int64_t x) { return x < 0 ? -x : x; }
std::optional<int64_t> foldNot(int64_t x) { return x == 0; }
std::optional<int64_t> foldAdd(int64_t a, int64_t b) { return a + b; }
std::optional<int64_t> foldSub(int64_t a, int64_t b) { return a - b; }
std::optional<int64_t> foldMul(int64_t a, int64_t b) { return a * b; }
std::optional<int64_t> foldDiv(int64_t a, int64_t b) {
  return b == 0 ? std::nullopt : std::optional(a / b);
}
std::optional<int64_t> foldMax(int64_t a, int64_t b) { return std::max(a, b); }
std::optional<int64_t> foldMin(int64_t a, int64_t b) { return std::min(a, b); }
std::optional<int64_t> foldEqual(int64_t a, int64_t b) { return a == b; }
std::optional<int64_t> foldLess(int64_t a, int64_t b) { return a < b; }
std::optional<int64_t> foldLessEqual(int64_t a, int64_t b) { return a <= b; }
std::optional<int64_t> foldGreater(int64_t a, int64_t b) { return a > b; }
std::optional<int64_t> foldGreaterEqual(int64_t a, int64_t b) { return a >= b; }
std::optional<int64_t> foldAnd(int64_t a, int64_t b) { return a && b; }
std::optional<int64_t> foldOr(int64_t a, int64_t b) { return a || b; }
std::optional<int64_t> foldXor(int64_t a, int64_t b) { return bool(a) != bool(b); }

/// Comparisons yield i1 whatever their operands are.
template <typename OpT> constexpr bool yieldsBool() {
  return std::is_same_v<OpT, slm::EqualOp> || std::is_same_v<OpT, slm::LessOp> ||
         std::is_same_v<OpT, slm::LessEqualOp> || std::is_same_v<OpT, slm::GreaterOp> ||
         std::is_same_v<OpT, slm::GreaterEqualOp>;
}

//===----------------------------------------------------------------------===//
// Converters
//===----------------------------------------------------------------------===//

template <typename OpT, Accepts kinds = Accepts::Float, IntUnaryFold fold = nullptr>
llvm::Error unary(Node &node) {
  Value input = node.input(0);
  if (auto error = checkAccepts(node, input, kinds))
    return error;
  SLMC_TRY(Value result,
           node.withKnown(foldUnary(node, input, fold), tensorType(input).getElementType(),
                          [&] { return node.makeTyped<OpT>(input.getType(), input); }));
  node.setOutput(0, result);
  return llvm::Error::success();
}

template <typename OpT, Accepts kinds, IntBinaryFold fold = nullptr>
Expected<Value> buildBinary(Node &node, Value lhs, Value rhs) {
  for (Value operand : {lhs, rhs})
    if (auto error = checkAccepts(node, operand, kinds))
      return std::move(error);
  Type element = yieldsBool<OpT>() ? node.builder().getI1Type() : tensorType(lhs).getElementType();
  return node.withKnown(foldBinary(node, lhs, rhs, fold), element,
                        [&] { return node.make<OpT>(lhs, rhs); });
}

template <typename OpT, Accepts kinds, IntBinaryFold fold = nullptr>
llvm::Error binary(Node &node) {
  SLMC_TRY(Value result, (buildBinary<OpT, kinds, fold>(node, node.input(0), node.input(1))));
  node.setOutput(0, result);
  return llvm::Error::success();
}

/// Sum, Max, Min: a left fold of the binary op over all inputs.
template <typename OpT, IntBinaryFold fold> Expected<Value> chain(Node &node) {
  Value result = node.input(0);
  for (unsigned i = 1; i < node.numInputs(); ++i) {
    if (!node.input(i))
      return node.invalid(llvm::formatv("input {0} is missing", i).str());
    SLMC_TRY(result, (buildBinary<OpT, Accepts::Numeric, fold>(node, result, node.input(i))));
  }
  return result;
}

template <typename OpT, IntBinaryFold fold> llvm::Error variadic(Node &node) {
  SLMC_TRY(Value result, (chain<OpT, fold>(node)));
  node.setOutput(0, result);
  return llvm::Error::success();
}

llvm::Error convertMean(Node &node) {
  if (auto error = checkAccepts(node, node.input(0), Accepts::Float))
    return error;
  SLMC_TRY(Value sum, (chain<slm::AddOp, foldAdd>(node)));
  Value count = node.scalarConstant(tensorType(sum).getElementType(), node.numInputs());
  SLMC_TRY(Value mean, node.make<slm::DivOp>(sum, count));
  node.setOutput(0, mean);
  return llvm::Error::success();
}

llvm::Error convertPow(Node &node) {
  Value base = node.input(0);
  if (auto error = checkAccepts(node, base, Accepts::Numeric))
    return error;
  // ONNX lets the exponent's type differ from the base's; slm.pow does not.
  // An integer base with a float exponent is raised in floats, then
  // truncated to the base's type (as ONNX's reference, numpy's power and
  // astype, computes it): casting the exponent to an integer first would
  // give 2^4 for 2^4.9.
  Type baseType = tensorType(base).getElementType();
  Type exponentType = tensorType(node.input(1)).getElementType();
  if (baseType.isInteger() && llvm::isa<FloatType>(exponentType)) {
    SLMC_TRY(Value floatBase, node.castTo(base, exponentType));
    SLMC_TRY(Value power, node.make<slm::PowOp>(floatBase, node.input(1)));
    SLMC_TRY(Value result, node.castTo(power, baseType));
    node.setOutput(0, result);
    return llvm::Error::success();
  }
  SLMC_TRY(Value exponent, node.castTo(node.input(1), baseType));
  SLMC_TRY(Value result, node.make<slm::PowOp>(base, exponent));
  node.setOutput(0, result);
  return llvm::Error::success();
}

llvm::Error convertMod(Node &node) {
  Value lhs = node.input(0), rhs = node.input(1);
  if (auto error = checkAccepts(node, lhs, Accepts::Numeric))
    return error;
  bool fmod = node.attrInt("fmod", 0) != 0;
  std::optional<KnownInts> folded =
      broadcastKnown({node.known(lhs), node.known(rhs)}, [&](auto args) -> std::optional<int64_t> {
        if (!args[0] || !args[1] || *args[1] == 0)
          return std::nullopt;
        int64_t r = *args[0] % *args[1];
        // Without fmod the remainder takes the divisor's sign (Python's %).
        if (!fmod && r != 0 && ((r < 0) != (*args[1] < 0)))
          r += *args[1];
        return r;
      });
  SLMC_TRY(Value result, node.withKnown(folded, tensorType(lhs).getElementType(),
                                        [&] { return node.make<slm::ModOp>(lhs, rhs, fmod); }));
  node.setOutput(0, result);
  return llvm::Error::success();
}

llvm::Error convertClip(Node &node) {
  Value result = node.input(0);
  if (auto error = checkAccepts(node, result, Accepts::Numeric))
    return error;
  if (Value low = node.input(1)) {
    SLMC_TRY(result, (buildBinary<slm::MaxOp, Accepts::Numeric, foldMax>(node, result, low)));
  }
  if (Value high = node.input(2)) {
    SLMC_TRY(result, (buildBinary<slm::MinOp, Accepts::Numeric, foldMin>(node, result, high)));
  }
  node.setOutput(0, result);
  return llvm::Error::success();
}

llvm::Error convertWhere(Node &node) {
  Value condition = node.input(0), onTrue = node.input(1), onFalse = node.input(2);
  auto folded = broadcastKnown({node.known(condition), node.known(onTrue), node.known(onFalse)},
                               [](auto args) -> std::optional<int64_t> {
                                 if (!args[0])
                                   return std::nullopt;
                                 return *args[0] ? args[1] : args[2];
                               });
  SLMC_TRY(Value result, node.withKnown(folded, tensorType(onTrue).getElementType(), [&] {
    return node.make<slm::WhereOp>(condition, onTrue, onFalse);
  }));
  node.setOutput(0, result);
  return llvm::Error::success();
}

llvm::Error castTo(Node &node, Type element) {
  SLMC_TRY(Value result, node.castTo(node.input(0), element));
  node.setOutput(0, result);
  return llvm::Error::success();
}

llvm::Error convertCast(Node &node) {
  int64_t to = node.attrInt("to", 0);
  auto kind = elementKindOf(static_cast<int32_t>(to));
  if (!kind)
    return node.unsupported("cast to " + onnxTypeName(static_cast<int32_t>(to)));
  return castTo(node, elementType(node.context(), *kind));
}

llvm::Error convertCastLike(Node &node) {
  return castTo(node, tensorType(node.input(1)).getElementType());
}

llvm::Error convertIdentity(Node &node) {
  node.setOutput(0, node.input(0));
  return llvm::Error::success();
}

llvm::Error convertDropout(Node &node) {
  // Dropout drops nothing outside training or with ratio 0; otherwise it
  // is random.
  if (Value training = node.input(2)) {
    auto mode = node.constantScalar(training);
    auto ratio = node.input(1) ? node.constantScalar(node.input(1)) : std::optional(0.5);
    if ((!mode || *mode != 0) && (!ratio || *ratio != 0))
      return node.unsupported("random dropout (training mode)");
  }
  Value input = node.input(0);
  node.setOutput(0, input);
  if (!node.wantsOutput(1))
    return llvm::Error::success();
  // Nothing is dropped: the mask is all true.
  auto maskType = tensorType(input).clone(node.builder().getI1Type());
  if (maskType.hasStaticShape()) {
    node.setOutput(1, node.constant(DenseElementsAttr::get(maskType, true)));
    return llvm::Error::success();
  }
  SLMC_TRY(Value shape, node.shapeOf(input));
  SLMC_TRY(Value mask,
           node.makeTyped<slm::FillOp>(maskType, shape, node.builder().getBoolAttr(true)));
  node.setOutput(1, mask);
  return llvm::Error::success();
}

constexpr Accepts N = Accepts::Numeric, B = Accepts::Bool, A = Accepts::Any;

const OpConverter kConverters[] = {
    {"Abs", unary<slm::AbsOp, N, foldAbs>, 1},
    {"Acos", unary<slm::AcosOp>, 1},
    {"Acosh", unary<slm::AcoshOp>, 1},
    {"Asin", unary<slm::AsinOp>, 1},
    {"Asinh", unary<slm::AsinhOp>, 1},
    {"Atan", unary<slm::AtanOp>, 1},
    {"Atanh", unary<slm::AtanhOp>, 1},
    {"Ceil", unary<slm::CeilOp>, 1},
    {"Cos", unary<slm::CosOp>, 1},
    {"Cosh", unary<slm::CoshOp>, 1},
    {"Erf", unary<slm::ErfOp>, 1},
    {"Exp", unary<slm::ExpOp>, 1},
    {"Floor", unary<slm::FloorOp>, 1},
    {"HardSwish", unary<slm::HardSwishOp>, 1},
    {"Log", unary<slm::LogOp>, 1},
    {"Neg", unary<slm::NegOp, N, foldNeg>, 1},
    {"Not", unary<slm::NotOp, B, foldNot>, 1},
    {"Reciprocal", unary<slm::ReciprocalOp>, 1},
    {"Round", unary<slm::RoundOp>, 1},
    {"Sigmoid", unary<slm::SigmoidOp>, 1},
    {"Sign", unary<slm::SignOp, N>, 1},
    {"Sin", unary<slm::SinOp>, 1},
    {"Sinh", unary<slm::SinhOp>, 1},
    {"Softplus", unary<slm::SoftplusOp>, 1},
    {"Softsign", unary<slm::SoftsignOp>, 1},
    {"Sqrt", unary<slm::SqrtOp>, 1},
    {"Tan", unary<slm::TanOp>, 1},
    {"Tanh", unary<slm::TanhOp>, 1},
    {"Add", binary<slm::AddOp, N, foldAdd>, 2},
    {"Sub", binary<slm::SubOp, N, foldSub>, 2},
    {"Mul", binary<slm::MulOp, N, foldMul>, 2},
    {"Div", binary<slm::DivOp, N, foldDiv>, 2},
    {"Equal", binary<slm::EqualOp, A, foldEqual>, 2},
    {"Less", binary<slm::LessOp, A, foldLess>, 2},
    {"LessOrEqual", binary<slm::LessEqualOp, A, foldLessEqual>, 2},
    {"Greater", binary<slm::GreaterOp, A, foldGreater>, 2},
    {"GreaterOrEqual", binary<slm::GreaterEqualOp, A, foldGreaterEqual>, 2},
    {"And", binary<slm::AndOp, B, foldAnd>, 2},
    {"Or", binary<slm::OrOp, B, foldOr>, 2},
    {"Xor", binary<slm::XorOp, B, foldXor>, 2},
    {"Sum", variadic<slm::AddOp, foldAdd>, 1},
    {"Max", variadic<slm::MaxOp, foldMax>, 1},
    {"Min", variadic<slm::MinOp, foldMin>, 1},
    {"Mean", convertMean, 1},
    {"Pow", convertPow, 2},
    {"Mod", convertMod, 2},
    {"Clip", convertClip, 1},
    {"Where", convertWhere, 3},
    {"Cast", convertCast, 1},
    {"CastLike", convertCastLike, 2},
    {"Identity", convertIdentity, 1},
    {"Dropout", convertDropout, 1},
};

} // namespace

Expected<Value> arith(Node &node, Arith kind, Value lhs, Value rhs) {
  switch (kind) {
  case Arith::Add:
    return buildBinary<slm::AddOp, N, foldAdd>(node, lhs, rhs);
  case Arith::Sub:
    return buildBinary<slm::SubOp, N, foldSub>(node, lhs, rhs);
  case Arith::Mul:
    return buildBinary<slm::MulOp, N, foldMul>(node, lhs, rhs);
  case Arith::Div:
    return buildBinary<slm::DivOp, N, foldDiv>(node, lhs, rhs);
  }
  llvm_unreachable("unknown arithmetic");
}

ArrayRef<OpConverter> elementwiseConverters() { return kConverters; }

} // namespace slmc::onnx_import
