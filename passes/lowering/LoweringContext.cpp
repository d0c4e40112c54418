//===- LoweringContext.cpp - state of slm -> LLVM lowering ----------------===//

#include "passes/lowering/LoweringContext.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

namespace slmc::lowering {

std::optional<int32_t> ukernelDType(Type t) {
  if (t.isF32())
    return 0;
  if (t.isSignlessInteger(64))
    return 1;
  if (t.isSignlessInteger(32))
    return 2;
  if (t.isSignlessInteger(1))
    return 3;
  return std::nullopt;
}

int64_t elementBytes(Type t) { return std::max(1u, t.getIntOrFloatBitWidth() / 8); }

bool LoweringContext::hasFeature(StringRef name) const {
  SmallVector<StringRef> features;
  targetFeatures.split(features, ',', -1, false);
  return llvm::is_contained(features, ("+" + name).str());
}

Value LoweringContext::i64(int64_t v) {
  return b.create<LLVM::ConstantOp>(loc, b.getI64Type(), b.getI64IntegerAttr(v));
}
Value LoweringContext::i32(int32_t v) {
  return b.create<LLVM::ConstantOp>(loc, b.getI32Type(), b.getI32IntegerAttr(v));
}
Value LoweringContext::f32(float v) {
  return b.create<LLVM::ConstantOp>(loc, b.getF32Type(), b.getF32FloatAttr(v));
}
Value LoweringContext::null() {
  return b.create<LLVM::ZeroOp>(loc, LLVM::LLVMPointerType::get(b.getContext()));
}
Value LoweringContext::mul(Value a, Value c) { return b.create<LLVM::MulOp>(loc, a, c); }

Value LoweringContext::product(ArrayRef<Value> values) {
  Value result = i64(1);
  for (Value v : values)
    result = mul(result, v);
  return result;
}

Value LoweringContext::offset(Value base, Value bytes) {
  auto ptr = LLVM::LLVMPointerType::get(b.getContext());
  return b.create<LLVM::GEPOp>(loc, ptr, b.getI8Type(), base, ValueRange{bytes});
}

Value LoweringContext::array(ArrayRef<Value> values) {
  auto ptr = LLVM::LLVMPointerType::get(b.getContext());
  Value memory = b.create<LLVM::AllocaOp>(loc, ptr, b.getI64Type(),
                                          i64(std::max<int64_t>(1, values.size())), 8);
  for (auto [i, v] : llvm::enumerate(values))
    b.create<LLVM::StoreOp>(loc, v, offset(memory, static_cast<int64_t>(8 * i)));
  return memory;
}

Value LoweringContext::array(ArrayRef<int64_t> values) {
  SmallVector<Value> constants;
  for (int64_t v : values)
    constants.push_back(i64(v));
  return array(constants);
}

Value LoweringContext::load(Type type, Value base, int64_t byteOffset) {
  return b.create<LLVM::LoadOp>(loc, type, offset(base, byteOffset));
}

void LoweringContext::call(StringRef name, ArrayRef<Value> args) {
  auto callee = module.lookupSymbol<LLVM::LLVMFuncOp>(name);
  if (!callee) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(module.getBody());
    SmallVector<Type> types;
    for (Value v : args)
      types.push_back(v.getType());
    callee = b.create<LLVM::LLVMFuncOp>(
        loc, name, LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(b.getContext()), types));
  }
  b.create<LLVM::CallOp>(loc, callee, args);
}

SmallVector<Value, 4> LoweringContext::dimsOf(Type type) {
  SmallVector<Value, 4> dims;
  for (int64_t d : llvm::cast<RankedTensorType>(type).getShape())
    dims.push_back(ShapedType::isDynamic(d) ? tokenCount : i64(d));
  return dims;
}

const Buffer &LoweringContext::lookup(Value v) const {
  auto it = buffers.find(v);
  assert(it != buffers.end() && "operand lowered before its use");
  return it->second;
}

Buffer LoweringContext::resultBuffer(Operation *op, unsigned index) {
  auto offsets = op->getAttrOfType<DenseI64ArrayAttr>("slm.arena_offset");
  Value result = op->getResult(index);
  return {offset(arena, offsets[index]), dimsOf(result.getType()),
          llvm::cast<RankedTensorType>(result.getType()).getElementType()};
}

} // namespace slmc::lowering
