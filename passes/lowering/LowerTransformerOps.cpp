//===- LowerTransformerOps.cpp - decoder blocks -> kernel calls -----------===//

#include "passes/lowering/LoweringPatterns.h"

#include "compiler/targets/ukernels/slm_ukernels.h"
#include "dialects/slm/IR/SlmOps.h"

using namespace mlir;

namespace slmc::lowering {
namespace {

int64_t dimOf(Value v, int64_t i) { return llvm::cast<RankedTensorType>(v.getType()).getDimSize(i); }

struct MatmulLowering : KernelLowering<slm::MatmulOp> {
  using KernelLowering::KernelLowering;
  LogicalResult matchAndRewrite(slm::MatmulOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto a = llvm::cast<RankedTensorType>(op.getLhs().getType());
    auto b = llvm::cast<RankedTensorType>(op.getRhs().getType());
    auto out = llvm::cast<RankedTensorType>(op.getType());
    if (a.getRank() < 2 || b.getRank() < 2 || !a.hasStaticShape() || !b.hasStaticShape())
      return op.emitOpError("code generation handles static matmuls of rank >= 2");
    int64_t m = a.getDimSize(a.getRank() - 2), inner = a.getShape().back(), n = b.getShape().back();
    auto batchOf = [](RankedTensorType t) {
      int64_t batch = 1;
      for (int64_t d : t.getShape().drop_back(2))
        batch *= d;
      return batch;
    };
    int64_t batch = batchOf(out);
    // One flat batch loop covers equal batches and a side broadcast whole.
    auto strideFor = [&](RankedTensorType t, int64_t matrix) -> std::optional<int64_t> {
      if (batchOf(t) == 1)
        return 0;
      if (batchOf(t) == batch && t.getShape().drop_back(2) == out.getShape().drop_back(2))
        return matrix;
      return std::nullopt;
    };
    auto aStride = strideFor(a, m * inner), bStride = strideFor(b, inner * n);
    if (!aStride || !bStride)
      return op.emitOpError("code generation does not handle this batch broadcast yet");
    KernelBuilder k = builder(rewriter, op);
    Ptr y = k.resultBuffer(op);
    k.call(SLM_KERNEL(slm_uk_matmul), pointer(adaptor.getLhs()), pointer(adaptor.getRhs()), y,
           k.i64(batch), k.i64(m), k.i64(n), k.i64(inner), k.i64(*aStride), k.i64(*bStride));
    rewriter.replaceOp(op, y.value);
    return success();
  }
};

struct RmsNormLowering : KernelLowering<slm::RmsNormOp> {
  using KernelLowering::KernelLowering;
  LogicalResult matchAndRewrite(slm::RmsNormOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    KernelBuilder k = builder(rewriter, op);
    Ptr y = k.resultBuffer(op);
    Type type = op.getInput().getType();
    k.call(SLM_KERNEL(slm_uk_rms_norm), pointer(adaptor.getInput()), pointer(adaptor.getWeight()),
           y, k.rowsOf(type), k.dimsOf(type).back(), k.f32(op.getEpsilon().convertToFloat()));
    rewriter.replaceOp(op, y.value);
    return success();
  }
};

struct AddRmsNormLowering : KernelLowering<slm::AddRmsNormOp> {
  using KernelLowering::KernelLowering;
  LogicalResult matchAndRewrite(slm::AddRmsNormOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    KernelBuilder k = builder(rewriter, op);
    Ptr sum = k.resultBuffer(op, 0), y = k.resultBuffer(op, 1);
    Type type = op.getInput().getType();
    k.call(SLM_KERNEL(slm_uk_add_rms_norm), pointer(adaptor.getInput()),
           pointer(adaptor.getResidual()), pointer(adaptor.getWeight()), sum, y, k.rowsOf(type),
           k.dimsOf(type).back(), k.f32(op.getEpsilon().convertToFloat()));
    rewriter.replaceOp(op, {sum.value, y.value});
    return success();
  }
};

struct GatedActivationLowering : KernelLowering<slm::GatedActivationOp> {
  using KernelLowering::KernelLowering;
  LogicalResult matchAndRewrite(slm::GatedActivationOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    KernelBuilder k = builder(rewriter, op);
    Ptr y = k.resultBuffer(op);
    I64 n = k.dimsOf(op.getType()).back();
    Ptr gate = pointer(adaptor.getGate());
    // One operand: its halves, gate first, rows of 2n.
    Ptr up = adaptor.getUp() ? pointer(adaptor.getUp()) : k.offset(gate, k.mul(n, k.i64(4)));
    I64 stride = adaptor.getUp() ? n : k.mul(n, k.i64(2));
    int32_t activation = op.getActivation() == slm::Activation::silu ? SLM_UK_ACT_SILU
                         : op.getActivation() == slm::Activation::gelu ? SLM_UK_ACT_GELU
                                                                       : SLM_UK_ACT_GELU_TANH;
    k.call(SLM_KERNEL(slm_uk_gated_activation), k.i32(activation), gate, up, y,
           k.rowsOf(op.getType()), n, stride);
    rewriter.replaceOp(op, y.value);
    return success();
  }
};

struct LayerNormLowering : KernelLowering<slm::LayerNormOp> {
  using KernelLowering::KernelLowering;
  LogicalResult matchAndRewrite(slm::LayerNormOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto type = llvm::cast<RankedTensorType>(op.getType());
    int64_t axis = static_cast<int64_t>(op.getAxis());
    axis = axis < 0 ? axis + type.getRank() : axis;
    // The kernel takes one scale/bias value per normalised element.
    int64_t normalized = 1;
    for (int64_t d : type.getShape().drop_front(axis))
      normalized *= d;
    for (Value param : {op.getScale(), op.getBias()})
      if (param && llvm::cast<RankedTensorType>(param.getType()).getNumElements() != normalized)
        return op.emitOpError("code generation needs scale/bias with every normalised element");
    KernelBuilder k = builder(rewriter, op);
    SmallVector<I64> all = k.dimsOf(type);
    Ptr y = k.resultBuffer(op);
    Ptr bias = adaptor.getBias() ? pointer(adaptor.getBias()) : k.null();
    k.call(SLM_KERNEL(slm_uk_layer_norm), pointer(adaptor.getInput()), pointer(adaptor.getScale()),
           bias, y, k.product(ArrayRef(all).take_front(axis)),
           k.product(ArrayRef(all).drop_front(axis)), k.f32(op.getEpsilon().convertToFloat()));
    rewriter.replaceOp(op, y.value);
    return success();
  }
};

struct RotaryLowering : KernelLowering<slm::RotaryOp> {
  using KernelLowering::KernelLowering;
  LogicalResult matchAndRewrite(slm::RotaryOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    KernelBuilder k = builder(rewriter, op);
    auto position = scalarIndex(k, op, op.getPosition());
    if (failed(position))
      return failure();
    SmallVector<I64> dims = k.dimsOf(op.getInput().getType());
    int64_t headDim = dimOf(op.getResult(), 2);
    int64_t rotaryDim = op.getRotaryDim() ? static_cast<int64_t>(*op.getRotaryDim()) : headDim;
    Ptr y = k.resultBuffer(op);
    Ptr frequencies = adaptor.getFrequencies() ? pointer(adaptor.getFrequencies()) : k.null();
    k.call(SLM_KERNEL(slm_uk_rotary), pointer(adaptor.getInput()), y, dims[0], dims[1], dims[2],
           k.i64(rotaryDim), *position, k.f32(static_cast<float>(op.getTheta().convertToDouble())),
           frequencies, k.f32(op.getScale() ? op.getScale()->convertToFloat() : 1.0f),
           k.i32(op.getLayout() == slm::RotaryLayout::interleaved));
    rewriter.replaceOp(op, y.value);
    return success();
  }
};

struct AttentionLowering : KernelLowering<slm::AttentionOp> {
  using KernelLowering::KernelLowering;
  LogicalResult matchAndRewrite(slm::AttentionOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    KernelBuilder k = builder(rewriter, op);
    Ptr keyCache = k.null(), valueCache = k.null();
    I64 position = k.i64(0), cacheRows = k.i64(0);
    if (op.getKeyCache()) {
      cacheRows = k.dimsOf(op.getKeyCache().getType())[0];
      auto pos = scalarIndex(k, op, op.getPosition());
      if (failed(pos))
        return failure();
      position = *pos;
      keyCache = pointer(adaptor.getKeyCache());
      valueCache = pointer(adaptor.getValueCache());
    }
    SmallVector<I64> q = k.dimsOf(op.getQuery().getType()), key = k.dimsOf(op.getKey().getType());
    SmallVector<I64> value = k.dimsOf(op.getValue().getType());
    Ptr out = k.resultBuffer(op);
    F32 scale = k.f32(op.getScale().convertToFloat());
    I32 causal = k.i32(op.getCausal());
    I64 window = k.i64(op.getWindow() ? static_cast<int64_t>(*op.getWindow()) : 0);
    F32 softcap = k.f32(op.getSoftcap() ? op.getSoftcap()->convertToFloat() : 0.0f);
    auto cacheType = op.getKeyCache() ? llvm::cast<RankedTensorType>(op.getKeyCache().getType())
                                      : RankedTensorType();
    if (cacheType && cacheType.getElementType().isSignlessInteger(8)) {
      // int8 rows (ModelContract.h): the kernel decodes one row at a time.
      for (Value fresh : {op.getKey(), op.getValue()})
        if (llvm::cast<RankedTensorType>(fresh.getType()).getDimSize(2) > 1024)
          return op.emitOpError("an int8 KV cache takes heads of at most 1024 values");
      k.call(SLM_KERNEL(slm_uk_attention_int8), pointer(adaptor.getQuery()),
             pointer(adaptor.getKey()), pointer(adaptor.getValue()), keyCache, valueCache, out,
             q[0], q[1], key[1], key[2], value[2], cacheRows, position, scale, causal, window,
             softcap);
    } else {
      k.call(SLM_KERNEL(slm_uk_attention), pointer(adaptor.getQuery()), pointer(adaptor.getKey()),
             pointer(adaptor.getValue()), keyCache, valueCache, out, q[0], q[1], key[1], key[2],
             value[2], key[0], cacheRows, position, scale, causal, window, softcap);
    }
    // The caches are updated in place: the results are the operands' memory.
    SmallVector<Value> results{out.value};
    if (op.getKeyCache())
      results.append({keyCache.value, valueCache.value});
    rewriter.replaceOp(op, results);
    return success();
  }
};

} // namespace

void populateTransformerLowerings(RewritePatternSet &patterns, const TypeConverter &converter,
                                  const EntryState &entry) {
  patterns.add<MatmulLowering, RmsNormLowering, AddRmsNormLowering, LayerNormLowering,
               RotaryLowering, AttentionLowering, GatedActivationLowering>(
      converter, patterns.getContext(), entry);
}

} // namespace slmc::lowering
