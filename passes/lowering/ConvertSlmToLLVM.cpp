//===- ConvertSlmToLLVM.cpp - planned slm IR -> LLVM dialect --------------===//
//
// @forward becomes the ABI entry point (runtime/include/slm_kernel_abi.h): an
// LLVM function of one pointer to its argument struct. Its body is moved into
// the entry block, whose prologue loads the struct's fields; the arguments
// become those pointers (cast back to their tensor types until their users are
// converted) and every slm op is then rewritten by the conversion patterns of
// LoweringPatterns.h into kernel calls on pointers.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "compiler/targets/ukernels/slm_ukernels.h"
#include "dialects/slm/IR/KernelVariants.h"
#include "dialects/slm/IR/SlmOps.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "passes/lowering/LoweringPatterns.h"

#include <cstddef>

namespace slmc {
#define GEN_PASS_DEF_CONVERTSLMTOLLVM
#include "passes/Passes.h.inc"
} // namespace slmc

using namespace mlir;

namespace slmc {
namespace lowering {

TensorToPointerConverter::TensorToPointerConverter(MLIRContext *context) {
  addConversion([](Type type) { return type; });
  addConversion([context](RankedTensorType) -> Type { return LLVM::LLVMPointerType::get(context); });
  auto cast = [](OpBuilder &b, Type type, ValueRange inputs, Location loc) -> std::optional<Value> {
    return b.create<UnrealizedConversionCastOp>(loc, type, inputs).getResult(0);
  };
  addSourceMaterialization(cast);
  addTargetMaterialization(cast);
}

} // namespace lowering

namespace {

using lowering::EntryState;
using lowering::I64;
using lowering::KernelBuilder;
using lowering::Ptr;

/// Decoders copy their logits out (the caches were updated in place); graphs
/// copy every result to its output buffer.
struct ReturnLowering : lowering::KernelLowering<func::ReturnOp> {
  ReturnLowering(const TypeConverter &converter, MLIRContext *context, const EntryState &entry,
                 Value args, bool decoder)
      : KernelLowering(converter, context, entry), args(args), decoder(decoder) {}

  LogicalResult matchAndRewrite(func::ReturnOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    KernelBuilder k = builder(rewriter, op);
    auto ptr = LLVM::LLVMPointerType::get(getContext());
    auto copyOut = [&](Value result, Value converted, Value destination) {
      I64 bytes = k.i64(slm::storageBytes(llvm::cast<RankedTensorType>(result.getType()), 1));
      if (llvm::cast<RankedTensorType>(result.getType()).getNumDynamicDims())
        bytes = k.mul(bytes, k.tokenCount());
      rewriter.create<LLVM::MemcpyOp>(op.getLoc(), destination, converted, bytes.value, false);
    };
    // The last entry.logitRows rows of the logits, to row 0 of the buffer
    // (static logits, a single row, as they are).
    auto copyLogitsOut = [&](Value result, Value converted, Value destination) {
      if (llvm::cast<RankedTensorType>(result.getType()).hasStaticShape())
        return copyOut(result, converted, destination);
      I64 rowBytes = k.tokenRowBytes(result.getType());
      Ptr from = k.offset(Ptr(converted),
                          k.mul(k.sub(k.tokenCount(), I64(entry.logitRows)), rowBytes));
      rewriter.create<LLVM::MemcpyOp>(op.getLoc(), destination, from.value,
                                      k.mul(I64(entry.logitRows), rowBytes).value, false);
    };
    if (decoder) {
      for (Value cache : op.getOperands().drop_front()) {
        auto attention = cache.getDefiningOp<slm::AttentionOp>();
        if (!attention || !attention.getKeyCache())
          return op.emitOpError("decoder results after the logits must be updated KV caches");
      }
      copyLogitsOut(op.getOperand(0), adaptor.getOperands()[0],
                    k.load(ptr, args, offsetof(slm_step_args, logits)));
    } else {
      Value outputs = k.load(ptr, args, offsetof(slm_graph_args, outputs));
      for (auto [i, result] : llvm::enumerate(op.getOperands()))
        copyOut(result, adaptor.getOperands()[i], k.load(ptr, outputs, 8 * i));
    }
    rewriter.replaceOpWithNewOp<LLVM::ReturnOp>(op, k.i32(0).value);
    return success();
  }

  Value args;
  bool decoder;
};

struct ConstantLowering : lowering::KernelLowering<slm::ConstantOp> {
  using KernelLowering::KernelLowering;
  LogicalResult matchAndRewrite(slm::ConstantOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto at = slm::SlmDialect::get(getContext()).getWeightOffsetAttrHelper().getAttr(op);
    KernelBuilder k = builder(rewriter, op);
    // Without a place, only compile time reads it (slm-layout-weights).
    rewriter.replaceOp(op, at ? k.offset(Ptr(entry.weights), at.getInt()).value : k.null().value);
    return success();
  }
};

struct ConvertSlmToLLVMPass : impl::ConvertSlmToLLVMBase<ConvertSlmToLLVMPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp forward = slm::getForward(module);
    slm::SlmDialect &slm = slm::SlmDialect::get(&getContext());
    if (!forward || !slm.getMemoryPlanAttrHelper().isAttrPresent(module) ||
        !slm.getWeightsSizeAttrHelper().isAttrPresent(module)) {
      module.emitError("convert-slm-to-llvm needs @forward after slm-layout-weights and "
                       "slm-plan-memory");
      return signalPassFailure();
    }
    slm::ModelAttr model = slm::getModel(module);
    bool decoder = model && model->hasKvCache();
    MLIRContext *ctx = &getContext();
    // The patterns refer to the entry point's state, filled in below.
    EntryState entry;
    lowering::TensorToPointerConverter converter(ctx);
    RewritePatternSet patterns(ctx);
    lowering::populateLinearLowerings(patterns, converter, entry);
    lowering::populateTransformerLowerings(patterns, converter, entry);
    lowering::populateElementwiseLowerings(patterns, converter, entry);
    lowering::populateDataLowerings(patterns, converter, entry);
    patterns.add<ConstantLowering>(converter, ctx, entry);
    llvm::DenseSet<OperationName> lowered;
    for (const auto &pattern : patterns.getNativePatterns())
      if (std::optional<OperationName> root = pattern->getRootKind())
        lowered.insert(*root);
    if (failed(checkPlanned(forward, decoder, lowered)))
      return signalPassFailure();

    auto ptr = LLVM::LLVMPointerType::get(ctx);
    OpBuilder b(ctx);
    b.setInsertionPointToEnd(module.getBody());
    Location loc = forward.getLoc();
    auto entryFunction = b.create<LLVM::LLVMFuncOp>(
        loc, decoder ? "slm_forward" : "slm_graph", LLVM::LLVMFunctionType::get(b.getI32Type(), {ptr}));
    Block *entryBlock = entryFunction.addEntryBlock(b);
    b.setInsertionPointToStart(entryBlock);
    Value args = entryFunction.getArgument(0);

    // The prologue: fields of slm_step_args / slm_graph_args (slm_kernel_abi.h).
    KernelBuilder k(b, loc, entry);
    Value parallelFor, pool;
    if (decoder) {
      entry.tokenCount = k.load(b.getI64Type(), args, offsetof(slm_step_args, n_tokens));
      Value flags = k.load(b.getI32Type(), args, offsetof(slm_step_args, flags));
      Value lastOnly = b.create<LLVM::ICmpOp>(
          loc, LLVM::ICmpPredicate::ne,
          b.create<LLVM::AndOp>(loc, flags, k.i32(SLM_STEP_LAST_LOGITS).value), k.i32(0).value);
      entry.logitRows = b.create<LLVM::SelectOp>(loc, lastOnly, k.i64(1).value, entry.tokenCount);
      entry.outputHead = outputHead(forward);
      entry.position = k.load(b.getI64Type(), args, offsetof(slm_step_args, position));
      entry.weights = k.load(ptr, args, offsetof(slm_step_args, weights));
      entry.arena = k.load(ptr, args, offsetof(slm_step_args, arena));
      parallelFor = k.load(ptr, args, offsetof(slm_step_args, parallel_for));
      pool = k.load(ptr, args, offsetof(slm_step_args, pool));
    } else {
      entry.weights = k.load(ptr, args, offsetof(slm_graph_args, weights));
      entry.arena = k.load(ptr, args, offsetof(slm_graph_args, arena));
      parallelFor = k.load(ptr, args, offsetof(slm_graph_args, parallel_for));
      pool = k.load(ptr, args, offsetof(slm_graph_args, pool));
    }
    entry.kernelContext = b.create<LLVM::AllocaOp>(loc, ptr, ptr, k.i64(2).value, 8);
    b.create<LLVM::StoreOp>(loc, parallelFor, entry.kernelContext);
    b.create<LLVM::StoreOp>(loc, pool, k.offset(Ptr(entry.kernelContext), 8).value);

    // The arguments as pointers, cast back to their tensor types.
    SmallVector<Value> argumentPointers =
        decoder ? decoderArguments(k, forward, args) : graphArguments(k, forward, args);
    Block &body = forward.getBody().front();
    for (auto [arg, pointer] : llvm::zip(body.getArguments(), argumentPointers)) {
      Value tensor = b.create<UnrealizedConversionCastOp>(loc, arg.getType(), pointer).getResult(0);
      if (decoder && arg.getArgNumber() == 1)
        entry.positionTensor = tensor;
      arg.replaceAllUsesWith(tensor);
    }
    entryBlock->getOperations().splice(entryBlock->end(), body.getOperations());
    forward.erase();

    patterns.add<ReturnLowering>(converter, ctx, entry, args, decoder);
    // The scalar bodies of slm.elementwise, inlined into loops.
    LLVMTypeConverter scalars(ctx);
    arith::populateArithToLLVMConversionPatterns(scalars, patterns);
    populateMathToLLVMConversionPatterns(scalars, patterns);
    ConversionTarget target(*ctx);
    target.addLegalDialect<LLVM::LLVMDialect>();
    target.addLegalOp<UnrealizedConversionCastOp>();
    target.addIllegalDialect<slm::SlmDialect, func::FuncDialect, arith::ArithDialect,
                             math::MathDialect>();
    // The casts between pointers and tensors that remain cancel in pairs
    // (reconcile-unrealized-casts, which runs next).
    if (failed(applyPartialConversion(entryFunction, target, std::move(patterns))))
      return signalPassFailure();
  }

  /// The slm.linear whose result the decoder returns as its logits, directly
  /// or through reshapes that keep a token's logits a row (an ONNX model's
  /// [1, tokens, vocab]), if that is how they are made; not, e.g., through a
  /// logit soft cap: those decoders compute every row and copy out the last.
  static Operation *outputHead(func::FuncOp forward) {
    Value logits = forward.getBody().front().getTerminator()->getOperand(0);
    // Rows of the token count: a row per token, the only dynamic dimension.
    auto tokenRows = [](Value v) {
      return llvm::cast<RankedTensorType>(v.getType()).getNumDynamicDims() == 1;
    };
    if (!tokenRows(logits))
      return nullptr;
    int64_t vocab = llvm::cast<RankedTensorType>(logits.getType()).getShape().back();
    while (auto reshape = logits.getDefiningOp<slm::ReshapeOp>()) {
      if (!logits.hasOneUse())
        return nullptr;
      logits = reshape.getInput();
      if (!tokenRows(logits) ||
          llvm::cast<RankedTensorType>(logits.getType()).getShape().back() != vocab)
        return nullptr;
    }
    auto head = logits.getDefiningOp<slm::LinearOp>();
    return head && logits.hasOneUse() && tokenRows(head.getInput()) ? head : nullptr;
  }

  /// Every op has a lowering and carries what the planning passes decided for it.
  LogicalResult checkPlanned(func::FuncOp forward, bool decoder,
                             const llvm::DenseSet<OperationName> &lowered) {
    slm::SlmDialect &slm = slm::SlmDialect::get(&getContext());
    WalkResult result = forward.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (op == forward.getOperation() || llvm::isa<func::ReturnOp>(op))
        return WalkResult::advance();
      if (op->getParentOp() != forward.getOperation())
        return WalkResult::skip(); // the scalar body of an slm.elementwise
      if (!lowered.contains(op->getName())) {
        op->emitOpError("has no micro-kernel in the code generator yet");
        return WalkResult::interrupt();
      }
      if (llvm::isa<slm::DequantizeOp, slm::WidenOp>(op)) {
        if (slm::isFusable(op))
          return WalkResult::advance();
        op->emitOpError("feeds an op other than an slm.linear weight or an slm.embedding table; "
                        "code generation fuses it only into those");
        return WalkResult::interrupt();
      }
      if (llvm::isa<slm::ConstantOp>(op))
        return WalkResult::advance();
      if (!slm.getArenaOffsetAttrHelper().isAttrPresent(op)) {
        op->emitOpError("has no slm.arena_offset; run slm-plan-memory first");
        return WalkResult::interrupt();
      }
      if (llvm::isa<slm::LinearOp, slm::EmbeddingOp>(op) &&
          !slm.getKernelAttrHelper().isAttrPresent(op)) {
        op->emitOpError("has no slm.kernel; run slm-select-kernels first");
        return WalkResult::interrupt();
      }
      if (!decoder)
        for (Type t : op->getResultTypes())
          if (auto tensor = llvm::dyn_cast<RankedTensorType>(t); tensor && !tensor.hasStaticShape()) {
            op->emitOpError("has a dynamic shape; code generation needs static shapes (or a "
                            "decoder with a KV cache)");
            return WalkResult::interrupt();
          }
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return failure();
    if (!decoder && llvm::any_of(forward.getArgumentTypes(), [](Type t) {
          return !llvm::cast<RankedTensorType>(t).hasStaticShape();
        }))
      return forward.emitError("graph inputs need static shapes for code generation");
    return success();
  }

  /// tokens (widened from the ABI's int32 into the arena), position (a stack
  /// slot, for ops that read it as a tensor), then the KV caches.
  SmallVector<Value> decoderArguments(KernelBuilder &k, func::FuncOp forward, Value args) {
    MLIRContext *ctx = &getContext();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    slm::SlmDialect &slm = slm::SlmDialect::get(ctx);
    Value tokens32 = k.load(ptr, args, offsetof(slm_step_args, tokens));
    auto tokensAt = forward.getArgAttrOfType<DenseI64ArrayAttr>(
        0, slm.getArenaOffsetAttrHelper().getName());
    Ptr tokens = k.offset(Ptr(k.entry.arena), tokensAt[0]);
    k.call(SLM_KERNEL(slm_uk_cast), k.i32(SLM_UK_I32), k.i32(SLM_UK_I64), Ptr(tokens32), tokens,
           k.tokenCount());
    Value position = k.b.create<LLVM::AllocaOp>(k.loc, ptr, k.b.getI64Type(), k.i64(1).value, 8);
    k.b.create<LLVM::StoreOp>(k.loc, k.entry.position, position);
    SmallVector<Value> pointers{tokens.value, position};
    Value cache = k.load(ptr, args, offsetof(slm_step_args, kv_cache));
    for (unsigned i = 2; i < forward.getNumArguments(); ++i) {
      auto at = forward.getArgAttrOfType<IntegerAttr>(i, slm.getCacheOffsetAttrHelper().getName());
      pointers.push_back(k.offset(Ptr(cache), at.getInt()).value);
    }
    return pointers;
  }

  SmallVector<Value> graphArguments(KernelBuilder &k, func::FuncOp forward, Value args) {
    auto ptr = LLVM::LLVMPointerType::get(&getContext());
    Value inputs = k.load(ptr, args, offsetof(slm_graph_args, inputs));
    SmallVector<Value> pointers;
    for (unsigned i = 0; i < forward.getNumArguments(); ++i)
      pointers.push_back(k.load(ptr, inputs, 8 * i));
    return pointers;
  }
};

} // namespace
} // namespace slmc
