//===- KernelCall.h - micro-kernel calls checked against their C prototypes -*- C++ -*-===//
//
// The micro-kernels are declared once, in compiler/targets/ukernels/slm_ukernels.h.
// The lowering names a kernel with SLM_KERNEL(slm_uk_linear), which takes the
// prototype from that declaration (decltype of the C function), and passes
// typed values: Ptr for any pointer parameter, I64 for int64_t, I32 for
// int32_t and F32 for float. A call with the wrong number of arguments or an
// argument of the wrong kind does not compile, and the LLVM declaration of
// the kernel is derived from the same prototype, so the emitted call always
// matches the bitcode that defines it.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "mlir/IR/Value.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <type_traits>

namespace mlir {
class OpBuilder;
} // namespace mlir

namespace slmc::lowering {

/// The kinds of values kernel parameters take.
enum class ParameterKind { Pointer, I64, I32, F32 };

/// An LLVM value of a kind a kernel parameter can take.
template <ParameterKind Kind> struct KernelValue {
  explicit KernelValue(mlir::Value value) : value(value) {}
  mlir::Value value;
};
using Ptr = KernelValue<ParameterKind::Pointer>; // !llvm.ptr
using I64 = KernelValue<ParameterKind::I64>;     // i64
using I32 = KernelValue<ParameterKind::I32>;     // i32
using F32 = KernelValue<ParameterKind::F32>;     // f32

/// The kind of value a C parameter of type T takes.
template <typename T> struct ParameterOf;
template <typename T> struct ParameterOf<T *> { static constexpr auto kind = ParameterKind::Pointer; };
template <> struct ParameterOf<int64_t> { static constexpr auto kind = ParameterKind::I64; };
template <> struct ParameterOf<int32_t> { static constexpr auto kind = ParameterKind::I32; };
template <> struct ParameterOf<float> { static constexpr auto kind = ParameterKind::F32; };
template <typename T> using ArgumentFor = KernelValue<ParameterOf<std::remove_cv_t<T>>::kind>;

/// Emits `call @name(args)`, declaring `name` with parameters of `kinds` on
/// first use.
void emitKernelCall(mlir::OpBuilder &b, mlir::Location loc, llvm::StringRef name,
                    llvm::ArrayRef<ParameterKind> kinds, llvm::ArrayRef<mlir::Value> args);

/// A micro-kernel with the C prototype `void(Params...)`.
template <typename Fn> class Kernel;
template <typename... Params> class Kernel<void(Params...)> {
public:
  constexpr explicit Kernel(llvm::StringLiteral name) : name_(name) {}
  llvm::StringRef name() const { return name_; }

  void call(mlir::OpBuilder &b, mlir::Location loc, ArgumentFor<Params>... args) const {
    emitKernelCall(b, loc, name_, {ParameterOf<std::remove_cv_t<Params>>::kind...},
                   {args.value...});
  }

private:
  llvm::StringLiteral name_;
};

} // namespace slmc::lowering

/// The kernel `fn` of slm_ukernels.h, with its prototype.
#define SLM_KERNEL(fn) ::slmc::lowering::Kernel<decltype(fn)>(#fn)
