//===- KernelBuilder.cpp - building the LLVM values of kernel calls -------===//

#include "passes/lowering/KernelBuilder.h"

#include "dialects/slm/IR/SlmOps.h"

using namespace mlir;

namespace slmc::lowering {

void emitKernelCall(OpBuilder &b, Location loc, StringRef name, ArrayRef<ParameterKind> kinds,
                    ArrayRef<Value> args) {
  auto module = b.getInsertionBlock()->getParentOp()->getParentOfType<ModuleOp>();
  auto callee = module.lookupSymbol<LLVM::LLVMFuncOp>(name);
  if (!callee) {
    SmallVector<Type> parameters;
    for (ParameterKind kind : kinds)
      switch (kind) {
      case ParameterKind::Pointer:
        parameters.push_back(LLVM::LLVMPointerType::get(b.getContext()));
        break;
      case ParameterKind::I64:
        parameters.push_back(b.getI64Type());
        break;
      case ParameterKind::I32:
        parameters.push_back(b.getI32Type());
        break;
      case ParameterKind::F32:
        parameters.push_back(b.getF32Type());
        break;
      }
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(module.getBody());
    callee = b.create<LLVM::LLVMFuncOp>(
        loc, name, LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(b.getContext()), parameters));
  }
  b.create<LLVM::CallOp>(loc, callee, args);
}

I64 KernelBuilder::i64(int64_t v) {
  return I64(b.create<LLVM::ConstantOp>(loc, b.getI64Type(), b.getI64IntegerAttr(v)));
}
I32 KernelBuilder::i32(int32_t v) {
  return I32(b.create<LLVM::ConstantOp>(loc, b.getI32Type(), b.getI32IntegerAttr(v)));
}
F32 KernelBuilder::f32(float v) {
  return F32(b.create<LLVM::ConstantOp>(loc, b.getF32Type(), b.getF32FloatAttr(v)));
}
Ptr KernelBuilder::null() {
  return Ptr(b.create<LLVM::ZeroOp>(loc, LLVM::LLVMPointerType::get(b.getContext())));
}

I64 KernelBuilder::mul(I64 a, I64 c) { return I64(b.create<LLVM::MulOp>(loc, a.value, c.value)); }
I64 KernelBuilder::sub(I64 a, I64 c) { return I64(b.create<LLVM::SubOp>(loc, a.value, c.value)); }

I64 KernelBuilder::tokenRowBytes(Type type) {
  return i64(slm::storageBytes(llvm::cast<RankedTensorType>(type), /*dynamicExtent=*/1));
}

I64 KernelBuilder::product(ArrayRef<I64> values) {
  // Constant factors fold here, so that [1, tokens, n] and [tokens, n] give
  // the same IR.
  int64_t known = 1;
  SmallVector<I64> unknown;
  for (I64 v : values) {
    IntegerAttr constant;
    if (auto op = v.value.getDefiningOp<LLVM::ConstantOp>())
      constant = llvm::dyn_cast<IntegerAttr>(op.getValue());
    if (constant)
      known *= constant.getInt();
    else
      unknown.push_back(v);
  }
  if (unknown.empty())
    return i64(known);
  I64 result = unknown.front();
  for (I64 v : ArrayRef(unknown).drop_front())
    result = mul(result, v);
  return known == 1 ? result : mul(result, i64(known));
}

Ptr KernelBuilder::offset(Ptr base, I64 bytes) {
  auto ptr = LLVM::LLVMPointerType::get(b.getContext());
  return Ptr(b.create<LLVM::GEPOp>(loc, ptr, b.getI8Type(), base.value, ValueRange{bytes.value}));
}

Ptr KernelBuilder::array(ArrayRef<I64> values) {
  auto ptr = LLVM::LLVMPointerType::get(b.getContext());
  Ptr memory(b.create<LLVM::AllocaOp>(loc, ptr, b.getI64Type(),
                                      i64(std::max<int64_t>(1, values.size())).value, 8));
  for (auto [i, v] : llvm::enumerate(values))
    b.create<LLVM::StoreOp>(loc, v.value, offset(memory, static_cast<int64_t>(8 * i)).value);
  return memory;
}

Ptr KernelBuilder::array(ArrayRef<Ptr> pointers) {
  auto ptr = LLVM::LLVMPointerType::get(b.getContext());
  Ptr memory(b.create<LLVM::AllocaOp>(loc, ptr, ptr,
                                      i64(std::max<int64_t>(1, pointers.size())).value, 8));
  for (auto [i, p] : llvm::enumerate(pointers))
    b.create<LLVM::StoreOp>(loc, p.value, offset(memory, static_cast<int64_t>(8 * i)).value);
  return memory;
}

Ptr KernelBuilder::array(ArrayRef<int64_t> values) {
  SmallVector<I64> constants;
  for (int64_t v : values)
    constants.push_back(i64(v));
  return array(constants);
}

Value KernelBuilder::load(Type type, Value base, int64_t byteOffset) {
  return b.create<LLVM::LoadOp>(loc, type, offset(Ptr(base), byteOffset).value);
}

SmallVector<I64> KernelBuilder::dimsOf(Type type) {
  SmallVector<I64> dims;
  for (int64_t d : llvm::cast<RankedTensorType>(type).getShape())
    dims.push_back(ShapedType::isDynamic(d) ? tokenCount() : i64(d));
  return dims;
}

I64 KernelBuilder::rowsOf(Type type) { return product(ArrayRef(dimsOf(type)).drop_back()); }

Ptr KernelBuilder::resultBuffer(Operation *op, unsigned index) {
  auto offsets = slm::SlmDialect::get(op->getContext()).getArenaOffsetAttrHelper().getAttr(op);
  return offset(Ptr(entry.arena), offsets[index]);
}

Ptr KernelBuilder::scratchBuffer(Operation *op) {
  auto at = slm::SlmDialect::get(op->getContext()).getScratchOffsetAttrHelper().getAttr(op);
  return offset(Ptr(entry.arena), at.getInt());
}

FailureOr<I64> scalarIndex(KernelBuilder &k, Operation *op, Value index) {
  if (index == k.entry.positionTensor && k.entry.position)
    return I64(k.entry.position);
  DenseIntElementsAttr value;
  if (auto constant = index.getDefiningOp<slm::ConstantOp>())
    value = llvm::dyn_cast<DenseIntElementsAttr>(constant.getValue());
  if (!value)
    return op->emitOpError("needs its position to be the step's position or a constant");
  return k.i64((*value.begin()).getSExtValue());
}

} // namespace slmc::lowering
