//===- ConvertSlmToLLVM.cpp - planned slm IR -> LLVM dialect --------------===//

#include "passes/Passes.h"
#include "passes/lowering/LoweringContext.h"

#include "compiler/frontends/decoder/DecoderConfig.h"
#include "compiler/targets/ukernels/slm_ukernels.h"
#include "dialects/slm/IR/SlmOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "passes/FusedDequantize.h"

#include <cstddef>

namespace slmc {
#define GEN_PASS_DEF_CONVERTSLMTOLLVM
#include "passes/Passes.h.inc"
} // namespace slmc

using namespace mlir;

namespace slmc {
namespace {

using lowering::Buffer;
using lowering::LoweringContext;

const lowering::OpLoweringTable &opLowerings() {
  static const lowering::OpLoweringTable table = [] {
    lowering::OpLoweringTable t;
    lowering::addTransformerLowerings(t);
    lowering::addElementwiseLowerings(t);
    lowering::addDataLowerings(t);
    return t;
  }();
  return table;
}

struct ConvertSlmToLLVMPass : impl::ConvertSlmToLLVMBase<ConvertSlmToLLVMPass> {
  using ConvertSlmToLLVMBase::ConvertSlmToLLVMBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto forward = module.lookupSymbol<func::FuncOp>("forward");
    if (!forward || !module->hasAttr("slm.arena_size") || !module->hasAttr("slm.weights_size")) {
      module.emitError("convert-slm-to-llvm needs @forward after slm-layout-weights and "
                       "slm-plan-memory");
      return signalPassFailure();
    }
    bool decoder = readModelInfo(module).kvCache;
    if (!decoder && !allStatic(forward))
      return signalPassFailure();

    MLIRContext *ctx = &getContext();
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    OpBuilder b(ctx);
    b.setInsertionPointToEnd(module.getBody());
    Location loc = forward.getLoc();
    auto entry = b.create<LLVM::LLVMFuncOp>(
        loc, decoder ? "slm_forward" : "slm_graph",
        LLVM::LLVMFunctionType::get(b.getI32Type(), {ptr}));
    b.setInsertionPointToStart(entry.addEntryBlock(b));
    Value args = entry.getArgument(0);
    LoweringContext c(b, module, loc);
    c.targetFeatures = targetFeatures;

    // Field offsets of slm_step_args / slm_graph_args (slm_kernel_abi.h).
    Value parallelFor, pool;
    if (decoder) {
      c.tokenCount = c.load(b.getI64Type(), args, offsetof(slm_step_args, n_tokens));
      c.position = c.load(b.getI64Type(), args, offsetof(slm_step_args, position));
      c.weights = c.load(ptr, args, offsetof(slm_step_args, weights));
      c.arena = c.load(ptr, args, offsetof(slm_step_args, arena));
      parallelFor = c.load(ptr, args, offsetof(slm_step_args, parallel_for));
      pool = c.load(ptr, args, offsetof(slm_step_args, pool));
    } else {
      c.weights = c.load(ptr, args, offsetof(slm_graph_args, weights));
      c.arena = c.load(ptr, args, offsetof(slm_graph_args, arena));
      parallelFor = c.load(ptr, args, offsetof(slm_graph_args, parallel_for));
      pool = c.load(ptr, args, offsetof(slm_graph_args, pool));
    }
    c.kernelContext = b.create<LLVM::AllocaOp>(loc, ptr, ptr, c.i64(2), 8);
    b.create<LLVM::StoreOp>(loc, parallelFor, c.kernelContext);
    b.create<LLVM::StoreOp>(loc, pool, c.offset(c.kernelContext, 8));

    if (decoder)
      bindDecoderArguments(c, forward, args);
    else
      bindGraphArguments(c, forward, args);

    Block &body = forward.getBody().front();
    const auto &table = opLowerings();
    for (Operation &op : body) {
      if (auto constant = llvm::dyn_cast<slm::ConstantOp>(op)) {
        auto offset = constant->getAttrOfType<IntegerAttr>("slm.weight_offset");
        if (!offset) {
          constant.emitOpError("has no slm.weight_offset; run slm-layout-weights first");
          return signalPassFailure();
        }
        c.bind(constant.getResult(), {c.offset(c.weights, offset.getInt()),
                                      c.dimsOf(constant.getType()),
                                      llvm::cast<RankedTensorType>(constant.getType()).getElementType()});
        continue;
      }
      // Its readers take the packed codes and scales (lowerQuantizedLinear).
      if (auto dequantize = llvm::dyn_cast<slm::DequantizeOp>(op)) {
        if (!isFusable(dequantize)) {
          dequantize.emitOpError("feeds an op other than an slm.linear weight or an "
                                 "slm.embedding table; code generation fuses it only into those");
          return signalPassFailure();
        }
        continue;
      }
      if (auto ret = llvm::dyn_cast<func::ReturnOp>(op)) {
        if (failed(storeResults(c, ret, args, decoder)))
          return signalPassFailure();
        continue;
      }
      auto lowering = table.find(op.getName().getStringRef());
      if (lowering == table.end()) {
        op.emitOpError("has no micro-kernel in the code generator yet");
        return signalPassFailure();
      }
      if (!op.hasAttr("slm.arena_offset")) {
        op.emitOpError("has no slm.arena_offset; run slm-plan-memory first");
        return signalPassFailure();
      }
      if (failed(lowering->second(c, &op)))
        return signalPassFailure();
    }
    b.create<LLVM::ReturnOp>(loc, c.i32(0));
    forward.erase();
  }

  static bool allStatic(func::FuncOp forward) {
    WalkResult result = forward.walk([](Operation *op) {
      for (Type t : op->getResultTypes())
        if (auto tensor = llvm::dyn_cast<RankedTensorType>(t); tensor && !tensor.hasStaticShape()) {
          op->emitOpError("has a dynamic shape; code generation needs static shapes (or a "
                          "decoder with a KV cache)");
          return WalkResult::interrupt();
        }
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return false;
    for (Type t : forward.getArgumentTypes())
      if (!llvm::cast<RankedTensorType>(t).hasStaticShape()) {
        forward.emitError("graph inputs need static shapes for code generation");
        return false;
      }
    return true;
  }

  /// tokens (widened from the ABI's int32), position, then the KV caches.
  static void bindDecoderArguments(LoweringContext &c, func::FuncOp forward, Value args) {
    auto ptr = LLVM::LLVMPointerType::get(c.b.getContext());
    Block &body = forward.getBody().front();
    Value tokens32 = c.load(ptr, args, offsetof(slm_step_args, tokens));
    auto tokensAt = forward.getArgAttrOfType<IntegerAttr>(0, "slm.arena_offset");
    Buffer tokens{c.offset(c.arena, tokensAt.getInt()), {c.tokenCount}, c.b.getI64Type()};
    c.call("slm_uk_cast", {c.kernelContext, c.i32(SLM_UK_I32), c.i32(SLM_UK_I64), tokens32,
                           tokens.pointer, c.tokenCount});
    c.bind(body.getArgument(0), tokens);
    Value cache = c.load(ptr, args, offsetof(slm_step_args, kv_cache));
    for (BlockArgument arg : body.getArguments().drop_front(2)) {
      auto at = forward.getArgAttrOfType<IntegerAttr>(arg.getArgNumber(), "slm.cache_offset");
      c.bind(arg, {c.offset(cache, at.getInt()), c.dimsOf(arg.getType()), c.b.getF32Type()});
    }
  }

  static void bindGraphArguments(LoweringContext &c, func::FuncOp forward, Value args) {
    auto ptr = LLVM::LLVMPointerType::get(c.b.getContext());
    Value inputs = c.load(ptr, args, offsetof(slm_graph_args, inputs));
    for (BlockArgument arg : forward.getArguments())
      c.bind(arg, {c.load(ptr, inputs, 8 * arg.getArgNumber()), c.dimsOf(arg.getType()),
                   llvm::cast<RankedTensorType>(arg.getType()).getElementType()});
  }

  /// Decoders copy their logits out (the caches were updated in place);
  /// graphs copy every result to its output buffer.
  static LogicalResult storeResults(LoweringContext &c, func::ReturnOp ret, Value args,
                                    bool decoder) {
    auto ptr = LLVM::LLVMPointerType::get(c.b.getContext());
    auto copyOut = [&](Value result, Value destination) {
      const Buffer &buffer = c.lookup(result);
      Value bytes = c.mul(c.elementCount(buffer), c.i64(lowering::elementBytes(buffer.elementType)));
      c.b.create<LLVM::MemcpyOp>(c.loc, destination, buffer.pointer, bytes, false);
    };
    if (decoder) {
      for (Value cache : ret.getOperands().drop_front()) {
        auto attention = cache.getDefiningOp<slm::AttentionOp>();
        if (!attention || !attention.getKeyCache())
          return ret.emitOpError("decoder results after the logits must be updated KV caches");
      }
      copyOut(ret.getOperand(0), c.load(ptr, args, offsetof(slm_step_args, logits)));
      return success();
    }
    Value outputs = c.load(ptr, args, offsetof(slm_graph_args, outputs));
    for (auto [i, result] : llvm::enumerate(ret.getOperands()))
      copyOut(result, c.load(ptr, outputs, 8 * i));
    return success();
  }
};

} // namespace
} // namespace slmc
