//===- KernelBuilder.h - building the LLVM values of kernel calls -*- C++ -*-===//
//
// Every op lowering turns one slm op into kernel calls on pointers into the
// weights section, the arena, the KV cache or the entry point's inputs, with
// dimensions as constants or, for the dynamic ones, the step's token count.
// After slm-specialize-shapes the token count is the only dynamic dimension,
// so every `?` in a type stands for it.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "passes/lowering/KernelCall.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/Transforms/DialectConversion.h"

namespace slmc::lowering {

/// What the entry point loads from its argument struct before the first op.
struct EntryState {
  mlir::Value tokenCount;      // i64: the step's tokens (decoders)
  mlir::Value position;        // i64: the step's first position (decoders)
  mlir::Value positionTensor;  // the tensor<i64> value that stands for it in slm IR
  mlir::Value weights, arena;  // !llvm.ptr bases
  mlir::Value kernelContext;   // !llvm.ptr to slm_uk_ctx
  // Decoders: the rows of logits the step writes, the last of its tokens' (1
  // with SLM_STEP_LAST_LOGITS, else the token count), and the slm.linear
  // (the output head) whose result is the logits, if one is: it runs on
  // those rows alone.
  mlir::Value logitRows;
  mlir::Operation *outputHead = nullptr;
};

class KernelBuilder {
public:
  KernelBuilder(mlir::OpBuilder &b, mlir::Location loc, const EntryState &entry)
      : b(b), loc(loc), entry(entry) {}

  mlir::OpBuilder &b;
  mlir::Location loc;
  const EntryState &entry;

  I64 i64(int64_t v);
  I32 i32(int32_t v);
  F32 f32(float v);
  Ptr null();
  Ptr context() const { return Ptr(entry.kernelContext); }
  I64 tokenCount() const { return I64(entry.tokenCount); }

  I64 mul(I64 a, I64 c);
  I64 sub(I64 a, I64 c);
  I64 product(llvm::ArrayRef<I64> values);
  /// base + bytes.
  Ptr offset(Ptr base, I64 bytes);
  Ptr offset(Ptr base, int64_t bytes) { return offset(base, i64(bytes)); }
  /// A stack array holding `values`, for shapes and strides.
  Ptr array(llvm::ArrayRef<I64> values);
  Ptr array(llvm::ArrayRef<int64_t> values);
  /// A stack array of pointers.
  Ptr array(llvm::ArrayRef<Ptr> pointers);
  /// Loads a field of the entry point's argument struct at `byteOffset`.
  mlir::Value load(mlir::Type type, mlir::Value base, int64_t byteOffset);

  /// Dimensions of `type` (a ranked tensor): constants, and the token count
  /// for dynamic ones.
  llvm::SmallVector<I64> dimsOf(mlir::Type type);
  I64 elementCount(mlir::Type type) { return product(dimsOf(type)); }
  /// Bytes of one token's part of `type` (a ranked tensor whose only dynamic
  /// dimension is the token count): a row of a [tokens, n] or [1, tokens, n].
  I64 tokenRowBytes(mlir::Type type);
  /// The product of all dimensions but the last: rows of a row-wise kernel.
  I64 rowsOf(mlir::Type type);
  /// The arena buffer slm-plan-memory assigned to result `index` of `op`.
  Ptr resultBuffer(mlir::Operation *op, unsigned index = 0);
  /// The arena scratch slm-plan-memory assigned to `op`.
  Ptr scratchBuffer(mlir::Operation *op);

  /// Emits a call of `kernel`; the arguments are checked against its C prototype.
  template <typename Fn, typename... Args> void call(const Kernel<Fn> &kernel, Args... args) {
    kernel.call(b, loc, context(), args...);
  }
};

/// A converted operand as a pointer.
inline Ptr pointer(mlir::Value converted) { return Ptr(converted); }

/// The i64 value of a 0-d index operand (the step's position or a constant),
/// or failure with a diagnostic on `op`.
mlir::FailureOr<I64> scalarIndex(KernelBuilder &k, mlir::Operation *op, mlir::Value index);

/// Base of the op lowerings: an OpConversionPattern that has the entry
/// point's state at hand.
template <typename Op> class KernelLowering : public mlir::OpConversionPattern<Op> {
public:
  KernelLowering(const mlir::TypeConverter &converter, mlir::MLIRContext *context,
                 const EntryState &entry)
      : mlir::OpConversionPattern<Op>(converter, context), entry(entry) {}

protected:
  KernelBuilder builder(mlir::OpBuilder &b, Op op) const { return {b, op.getLoc(), entry}; }
  const EntryState &entry;
};

} // namespace slmc::lowering
