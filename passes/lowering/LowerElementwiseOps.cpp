//===- LowerElementwiseOps.cpp - elementwise ops -> kernel calls ----------===//

#include "passes/lowering/LoweringPatterns.h"

#include "compiler/targets/ukernels/slm_ukernels.h"
#include "dialects/slm/IR/SlmOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;

namespace slmc::lowering {
namespace {

/// Element type codes of the micro-kernels (enum slm_uk_dtype).
std::optional<int32_t> ukernelDType(Type t) {
  if (t.isF32())
    return SLM_UK_F32;
  if (t.isSignlessInteger(64))
    return SLM_UK_I64;
  if (t.isSignlessInteger(32))
    return SLM_UK_I32;
  if (t.isSignlessInteger(1))
    return SLM_UK_I1;
  return std::nullopt;
}

Type elementTypeOf(Value v) { return llvm::cast<RankedTensorType>(v.getType()).getElementType(); }

/// Element strides of `operand` over the dimensions of `result` (numpy
/// broadcasting: 0 where the operand's size-1 dimension is stretched).
SmallVector<I64> broadcastStrides(KernelBuilder &k, Value operand, Type result) {
  auto type = llvm::cast<RankedTensorType>(operand.getType());
  auto out = llvm::cast<RankedTensorType>(result);
  SmallVector<I64> dims = k.dimsOf(type);
  SmallVector<I64> strides(out.getRank(), k.i64(0));
  I64 running = k.i64(1);
  for (int64_t d = type.getRank() - 1, o = out.getRank() - 1; d >= 0; --d, --o) {
    bool stretched = type.getDimSize(d) == 1 && out.getDimSize(o) != 1;
    if (!stretched)
      strides[o] = running;
    running = k.mul(running, dims[d]);
  }
  return strides;
}

/// (rank, shape array, one stride array per operand) for a broadcasting
/// kernel; operands of the result's shape are walked as one flat run.
std::pair<I32, SmallVector<Ptr>> broadcastArguments(KernelBuilder &k, ValueRange operands,
                                                   Type result) {
  auto shape = llvm::cast<RankedTensorType>(result).getShape();
  bool same = llvm::all_of(operands, [&](Value v) {
    return llvm::cast<RankedTensorType>(v.getType()).getShape() == shape;
  });
  if (same) {
    SmallVector<Ptr> arrays{k.array(ArrayRef<I64>{k.elementCount(result)})};
    arrays.append(operands.size(), k.array(ArrayRef<int64_t>{1}));
    return {k.i32(1), arrays};
  }
  SmallVector<Ptr> arrays{k.array(k.dimsOf(result))};
  for (Value operand : operands)
    arrays.push_back(k.array(broadcastStrides(k, operand, result)));
  return {k.i32(static_cast<int32_t>(shape.size())), arrays};
}

/// The scalar parameters of a unary kernel (alpha, beta).
std::pair<float, float> unaryParameters(Operation *op) {
  auto alpha = [](auto op) { return std::pair{op.getAlpha().convertToFloat(), 0.0f}; };
  return llvm::TypeSwitch<Operation *, std::pair<float, float>>(op)
      .Case<slm::LeakyReluOp, slm::EluOp, slm::CeluOp, slm::ThresholdedReluOp>(alpha)
      .Case([](slm::SeluOp op) {
        return std::pair{op.getAlpha().convertToFloat(), op.getGamma().convertToFloat()};
      })
      .Case([](slm::HardSigmoidOp op) {
        return std::pair{op.getAlpha().convertToFloat(), op.getBeta().convertToFloat()};
      })
      .Default([](Operation *) { return std::pair{0.0f, 0.0f}; });
}

/// An elementwise unary op: one slm_uk_unary call with the op's code.
template <typename Op, int32_t code> struct UnaryLowering : KernelLowering<Op> {
  using KernelLowering<Op>::KernelLowering;
  using OpAdaptor = typename KernelLowering<Op>::OpAdaptor;
  LogicalResult matchAndRewrite(Op op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    int32_t kernel = code;
    if constexpr (std::is_same_v<Op, slm::GeluOp>)
      if (op.getApproximation() == slm::GeluApproximation::tanh)
        kernel = SLM_UK_GELU_TANH;
    auto [alpha, beta] = unaryParameters(op);
    KernelBuilder k = this->builder(rewriter, op);
    Ptr y = k.resultBuffer(op);
    k.call(SLM_KERNEL(slm_uk_unary), k.i32(kernel),
           k.i32(*ukernelDType(elementTypeOf(op->getOperand(0)))),
           pointer(adaptor.getOperands()[0]), y, k.elementCount(op.getType()), k.f32(alpha),
           k.f32(beta));
    rewriter.replaceOp(op, y.value);
    return success();
  }
};

/// One binary kernel per (op, element type), slm_uk_binary_OP_DTYPE with OP
/// the op's mnemonic; all of them have the same prototype.
using BinaryKernel = Kernel<decltype(slm_uk_binary_add_f32)>;

std::optional<BinaryKernel> binaryKernel(Operation *op) {
  StringRef name = op->getName().stripDialect();
  if (auto mod = llvm::dyn_cast<slm::ModOp>(op); mod && mod.getFmod())
    name = "fmod";
  Type element = elementTypeOf(op->getOperand(0));
  StringRef dtype = element.isF32()                 ? "f32"
                    : element.isSignlessInteger(1)  ? "i1"
                    : element.isSignlessInteger(64) ? "i64"
                    : element.isSignlessInteger(32) ? "i32"
                                                    : "";
#define SLM_BINARY_ENTRY(OP, DTYPE)                                                                \
  if (name == #OP && dtype == #DTYPE)                                                              \
    return SLM_KERNEL(slm_uk_binary_##OP##_##DTYPE);
  SLM_UK_FOR_EACH_BINARY(SLM_BINARY_ENTRY)
#undef SLM_BINARY_ENTRY
  return std::nullopt;
}

template <typename Op> struct BinaryLowering : KernelLowering<Op> {
  using KernelLowering<Op>::KernelLowering;
  using OpAdaptor = typename KernelLowering<Op>::OpAdaptor;
  LogicalResult matchAndRewrite(Op op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    std::optional<BinaryKernel> kernel = binaryKernel(op);
    if (!kernel)
      return op.emitOpError("has no micro-kernel for ") << elementTypeOf(op.getLhs());
    KernelBuilder k = this->builder(rewriter, op);
    Ptr y = k.resultBuffer(op);
    auto [rank, arrays] = broadcastArguments(k, op->getOperands(), op.getType());
    k.call(*kernel, pointer(adaptor.getLhs()), pointer(adaptor.getRhs()), y, rank, arrays[0],
           arrays[1], arrays[2]);
    rewriter.replaceOp(op, y.value);
    return success();
  }
};

/// A fused chain: one loop over the elements, its scalar body inlined (the
/// arith and math ops in it are converted by the upstream patterns). Inputs of
/// one element are loaded once, before the loop.
struct FusedElementwiseLowering : KernelLowering<slm::ElementwiseOp> {
  using KernelLowering::KernelLowering;
  LogicalResult matchAndRewrite(slm::ElementwiseOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    KernelBuilder k = builder(rewriter, op);
    Type f32 = rewriter.getF32Type(), i64 = rewriter.getI64Type();
    auto ptr = LLVM::LLVMPointerType::get(getContext());
    Ptr y = k.resultBuffer(op);
    I64 n = k.elementCount(op.getType());
    Block &body = op.getBody().front();
    SmallVector<Value> hoisted(op.getInputs().size());
    for (auto [i, input] : llvm::enumerate(op.getInputs()))
      if (tensorTypeOf(input).getNumElements() == 1 && tensorTypeOf(input).hasStaticShape())
        hoisted[i] = rewriter.create<LLVM::LoadOp>(loc, f32, adaptor.getInputs()[i]);

    // before -> header(i) -> loop(i) -> header(i + 1) ... -> after
    Block *before = rewriter.getInsertionBlock();
    Block *after = rewriter.splitBlock(before, rewriter.getInsertionPoint());
    Block *header = rewriter.createBlock(after, {i64}, {loc});
    Block *loop = rewriter.createBlock(after, {i64}, {loc});
    rewriter.setInsertionPointToEnd(before);
    rewriter.create<LLVM::BrOp>(loc, ValueRange{k.i64(0).value}, header);
    rewriter.setInsertionPointToEnd(header);
    Value i = header->getArgument(0);
    Value more = rewriter.create<LLVM::ICmpOp>(loc, LLVM::ICmpPredicate::slt, i, n.value);
    rewriter.create<LLVM::CondBrOp>(loc, more, loop, ValueRange{i}, after, ValueRange{});

    rewriter.setInsertionPointToEnd(loop);
    Value index = loop->getArgument(0);
    auto element = [&](Value base) {
      return rewriter.create<LLVM::GEPOp>(loc, ptr, f32, base, ValueRange{index});
    };
    IRMapping mapping;
    for (auto [i, arg] : llvm::enumerate(body.getArguments()))
      mapping.map(arg, hoisted[i] ? hoisted[i]
                                  : rewriter.create<LLVM::LoadOp>(loc, f32,
                                                                  element(adaptor.getInputs()[i]))
                                        .getResult());
    for (Operation &inner : body.without_terminator())
      rewriter.clone(inner, mapping);
    Value value = mapping.lookup(llvm::cast<slm::YieldOp>(body.getTerminator()).getValue());
    rewriter.create<LLVM::StoreOp>(loc, value, element(y.value));
    Value next = rewriter.create<LLVM::AddOp>(loc, index, k.i64(1).value);
    rewriter.create<LLVM::BrOp>(loc, ValueRange{next}, header);

    rewriter.setInsertionPointToStart(after);
    rewriter.replaceOp(op, y.value);
    return success();
  }

  static RankedTensorType tensorTypeOf(Value v) { return llvm::cast<RankedTensorType>(v.getType()); }
};

struct WhereLowering : KernelLowering<slm::WhereOp> {
  using KernelLowering::KernelLowering;
  LogicalResult matchAndRewrite(slm::WhereOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    KernelBuilder k = builder(rewriter, op);
    Ptr y = k.resultBuffer(op);
    auto [rank, arrays] = broadcastArguments(k, op->getOperands(), op.getType());
    k.call(SLM_KERNEL(slm_uk_where),
           k.i32(static_cast<int32_t>(slm::storageBytes(elementTypeOf(op.getResult())))),
           pointer(adaptor.getCondition()), pointer(adaptor.getOnTrue()),
           pointer(adaptor.getOnFalse()), y, rank, arrays[0], arrays[1], arrays[2], arrays[3]);
    rewriter.replaceOp(op, y.value);
    return success();
  }
};

struct CastLowering : KernelLowering<slm::CastOp> {
  using KernelLowering::KernelLowering;
  LogicalResult matchAndRewrite(slm::CastOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto from = ukernelDType(elementTypeOf(op.getInput()));
    auto to = ukernelDType(elementTypeOf(op.getResult()));
    if (!from || !to)
      return op.emitOpError("code generation casts between f32, i64, i32 and i1 only");
    KernelBuilder k = builder(rewriter, op);
    Ptr y = k.resultBuffer(op);
    k.call(SLM_KERNEL(slm_uk_cast), k.i32(*from), k.i32(*to), pointer(adaptor.getInput()), y,
           k.elementCount(op.getType()));
    rewriter.replaceOp(op, y.value);
    return success();
  }
};

} // namespace

void populateElementwiseLowerings(RewritePatternSet &patterns, const TypeConverter &converter,
                                  const EntryState &entry) {
  patterns.add<
      UnaryLowering<slm::NegOp, SLM_UK_NEG>, UnaryLowering<slm::AbsOp, SLM_UK_ABS>,
      UnaryLowering<slm::SignOp, SLM_UK_SIGN>, UnaryLowering<slm::ExpOp, SLM_UK_EXP>,
      UnaryLowering<slm::LogOp, SLM_UK_LOG>, UnaryLowering<slm::SqrtOp, SLM_UK_SQRT>,
      UnaryLowering<slm::RsqrtOp, SLM_UK_RSQRT>, UnaryLowering<slm::ReciprocalOp, SLM_UK_RECIPROCAL>,
      UnaryLowering<slm::TanhOp, SLM_UK_TANH>, UnaryLowering<slm::ErfOp, SLM_UK_ERF>,
      UnaryLowering<slm::SigmoidOp, SLM_UK_SIGMOID>, UnaryLowering<slm::SiluOp, SLM_UK_SILU>,
      UnaryLowering<slm::ReluOp, SLM_UK_RELU>, UnaryLowering<slm::SinOp, SLM_UK_SIN>,
      UnaryLowering<slm::CosOp, SLM_UK_COS>, UnaryLowering<slm::TanOp, SLM_UK_TAN>,
      UnaryLowering<slm::AsinOp, SLM_UK_ASIN>, UnaryLowering<slm::AcosOp, SLM_UK_ACOS>,
      UnaryLowering<slm::AtanOp, SLM_UK_ATAN>, UnaryLowering<slm::SinhOp, SLM_UK_SINH>,
      UnaryLowering<slm::CoshOp, SLM_UK_COSH>, UnaryLowering<slm::AsinhOp, SLM_UK_ASINH>,
      UnaryLowering<slm::AcoshOp, SLM_UK_ACOSH>, UnaryLowering<slm::AtanhOp, SLM_UK_ATANH>,
      UnaryLowering<slm::CeilOp, SLM_UK_CEIL>, UnaryLowering<slm::FloorOp, SLM_UK_FLOOR>,
      UnaryLowering<slm::RoundOp, SLM_UK_ROUND>, UnaryLowering<slm::SoftplusOp, SLM_UK_SOFTPLUS>,
      UnaryLowering<slm::SoftsignOp, SLM_UK_SOFTSIGN>,
      UnaryLowering<slm::HardSwishOp, SLM_UK_HARD_SWISH>, UnaryLowering<slm::NotOp, SLM_UK_NOT>,
      UnaryLowering<slm::GeluOp, SLM_UK_GELU>, UnaryLowering<slm::LeakyReluOp, SLM_UK_LEAKY_RELU>,
      UnaryLowering<slm::EluOp, SLM_UK_ELU>, UnaryLowering<slm::CeluOp, SLM_UK_CELU>,
      UnaryLowering<slm::SeluOp, SLM_UK_SELU>,
      UnaryLowering<slm::HardSigmoidOp, SLM_UK_HARD_SIGMOID>,
      UnaryLowering<slm::ThresholdedReluOp, SLM_UK_THRESHOLDED_RELU>>(
      converter, patterns.getContext(), entry);
  patterns.add<BinaryLowering<slm::AddOp>, BinaryLowering<slm::SubOp>, BinaryLowering<slm::MulOp>,
               BinaryLowering<slm::DivOp>, BinaryLowering<slm::PowOp>, BinaryLowering<slm::MaxOp>,
               BinaryLowering<slm::MinOp>, BinaryLowering<slm::ModOp>, BinaryLowering<slm::EqualOp>,
               BinaryLowering<slm::LessOp>, BinaryLowering<slm::LessEqualOp>,
               BinaryLowering<slm::GreaterOp>, BinaryLowering<slm::GreaterEqualOp>,
               BinaryLowering<slm::AndOp>, BinaryLowering<slm::OrOp>, BinaryLowering<slm::XorOp>>(
      converter, patterns.getContext(), entry);
  patterns.add<WhereLowering, CastLowering, FusedElementwiseLowering>(converter,
                                                                      patterns.getContext(), entry);
}

} // namespace slmc::lowering
