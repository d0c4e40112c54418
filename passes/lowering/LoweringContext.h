//===- LoweringContext.h - state of slm -> LLVM lowering --------*- C++ -*-===//
//
// The lowering walks @forward in order and emits, into one LLVM function, a
// call to a micro-kernel per slm op. This context maps each tensor value to
// its pointer and dimensions and offers the few builders every op lowering
// needs. After slm-specialize-shapes the only dynamic dimension left is the
// token count of the step, so every `?` in a type stands for that count.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include <functional>

namespace slmc::lowering {

/// A tensor as the emitted code sees it.
struct Buffer {
  mlir::Value pointer;                    // !llvm.ptr
  llvm::SmallVector<mlir::Value, 4> dims; // i64
  mlir::Type elementType;
};

/// Element type codes of the micro-kernels (enum slm_uk_dtype).
std::optional<int32_t> ukernelDType(mlir::Type elementType);
/// Bytes per element as buffers store them (i1: one byte).
int64_t elementBytes(mlir::Type elementType);

class LoweringContext {
public:
  LoweringContext(mlir::OpBuilder &builder, mlir::ModuleOp module, mlir::Location loc)
      : b(builder), module(module), loc(loc) {}

  mlir::OpBuilder &b;
  mlir::ModuleOp module;
  mlir::Location loc;
  mlir::Value tokenCount;      // i64: the step's tokens (decoders)
  mlir::Value position;        // i64: the step's first position (decoders)
  mlir::Value weights, arena;  // !llvm.ptr bases
  mlir::Value kernelContext;   // !llvm.ptr to slm_uk_ctx
  llvm::StringRef targetFeatures; // LLVM's feature string: "+avx2,+fma,..."

  /// Whether the target has LLVM feature `name` ("avx512vnni").
  bool hasFeature(llvm::StringRef name) const;

  mlir::Value i64(int64_t v);
  mlir::Value i32(int32_t v);
  mlir::Value f32(float v);
  mlir::Value null();
  mlir::Value mul(mlir::Value a, mlir::Value b);
  mlir::Value product(llvm::ArrayRef<mlir::Value> values);
  /// base + bytes.
  mlir::Value offset(mlir::Value base, mlir::Value bytes);
  mlir::Value offset(mlir::Value base, int64_t bytes) { return offset(base, i64(bytes)); }
  /// A stack array holding `values` (i64), for shapes and strides.
  mlir::Value array(llvm::ArrayRef<mlir::Value> values);
  mlir::Value array(llvm::ArrayRef<int64_t> values);
  /// Loads a field of the ABI argument struct at `byteOffset`.
  mlir::Value load(mlir::Type type, mlir::Value base, int64_t byteOffset);
  /// Emits `void name(args...)`, declaring it on first use.
  void call(llvm::StringRef name, llvm::ArrayRef<mlir::Value> args);

  /// Dimensions of `type`: constants, and the token count for dynamic ones.
  llvm::SmallVector<mlir::Value, 4> dimsOf(mlir::Type type);
  mlir::Value elementCount(const Buffer &buffer) { return product(buffer.dims); }

  const Buffer &lookup(mlir::Value v) const;
  void bind(mlir::Value v, Buffer buffer) { buffers[v] = std::move(buffer); }
  /// The arena buffer that slm-plan-memory assigned to result `index` of `op`.
  Buffer resultBuffer(mlir::Operation *op, unsigned index = 0);

private:
  llvm::DenseMap<mlir::Value, Buffer> buffers;
};

/// Lowers one op; fails with a diagnostic on the op.
using OpLowering = std::function<mlir::LogicalResult(LoweringContext &, mlir::Operation *)>;
using OpLoweringTable = llvm::StringMap<OpLowering>;

void addTransformerLowerings(OpLoweringTable &table);
void addElementwiseLowerings(OpLoweringTable &table);
void addDataLowerings(OpLoweringTable &table);

/// slm.linear and slm.embedding reading an slm.dequantize (LowerQuantizedOps).
mlir::LogicalResult lowerQuantizedLinear(LoweringContext &c, mlir::Operation *linear);
mlir::LogicalResult lowerQuantizedEmbedding(LoweringContext &c, mlir::Operation *embedding);

} // namespace slmc::lowering
