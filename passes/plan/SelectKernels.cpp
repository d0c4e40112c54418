//===- SelectKernels.cpp - pick a micro-kernel variant per op -------------===//

#include "passes/Passes.h"

#include "dialects/slm/IR/KernelVariants.h"
#include "dialects/slm/IR/SlmOps.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringSet.h"

namespace slmc {
#define GEN_PASS_DEF_SELECTKERNELS
#include "passes/Passes.h.inc"
} // namespace slmc

using namespace mlir;

namespace slmc {
namespace {

struct SelectKernelsPass : impl::SelectKernelsBase<SelectKernelsPass> {
  using SelectKernelsBase::SelectKernelsBase;

  /// The f32 matrices to store as the GEMM's panels: those read by at least
  /// one slm.linear and otherwise only as linear weights or embedding tables
  /// (a tied head's table too), by value, since constants of the same value
  /// share their bytes in the artifact.
  llvm::DenseSet<Attribute> weightsStoredAsPanels() {
    llvm::DenseMap<Attribute, bool> eligible, readByLinear;
    getOperation().walk([&](slm::ConstantOp constant) {
      bool ok = slm::hasPanelsKernel(constant) && slm::isFusable(constant);
      readByLinear[constant.getValue()] |=
          llvm::any_of(constant->getUses(), slm::isLinearWeight);
      auto [it, inserted] = eligible.try_emplace(constant.getValue(), ok);
      it->second &= ok;
    });
    llvm::DenseSet<Attribute> panels;
    for (auto [value, ok] : eligible)
      if (ok && readByLinear[value])
        panels.insert(value);
    return panels;
  }

  void runOnOperation() override {
    llvm::StringSet<> features;
    llvm::SmallVector<StringRef> list;
    StringRef(targetFeatures).split(list, ',', -1, false);
    for (StringRef f : list)
      if (f.consume_front("+"))
        features.insert(f);
    bool avx512 = features.contains("avx512f") && features.contains("avx512bw") &&
                  features.contains("avx512vl");
    bool avx2 = features.contains("avx2") && features.contains("fma") && features.contains("f16c");
    bool vnni = features.contains("avx512vnni");
    bool amx = vnni && features.contains("amx-tile") && features.contains("amx-int8");
    bool dotprod = features.contains("dotprod"); // AArch64
    bool i8mm = features.contains("i8mm");
    slm::SlmDialect &slm = slm::SlmDialect::get(&getContext());
    auto select = [&](Operation *op, slm::Kernel kernel) {
      slm.getKernelAttrHelper().setAttr(op, slm::KernelAttr::get(&getContext(), kernel));
    };
    llvm::DenseSet<Attribute> panels = avx512 ? weightsStoredAsPanels() : llvm::DenseSet<Attribute>{};
    auto floatKernel = [&](Value weight) {
      auto constant = weight.getDefiningOp<slm::ConstantOp>();
      return constant && panels.contains(constant.getValue()) ? slm::Kernel::f32_panels
                                                              : slm::floatWeightKernel(weight);
    };
    getOperation().walk([&](Operation *op) {
      if (auto embedding = llvm::dyn_cast<slm::EmbeddingOp>(op))
        return select(op, slm::dequantizedWeight(embedding.getTable())
                              ? slm::Kernel::qany
                              : floatKernel(embedding.getTable()));
      auto linear = llvm::dyn_cast<slm::LinearOp>(op);
      if (!linear)
        return;
      slm::DequantizeOp weight = slm::dequantizedWeight(linear.getWeight());
      if (!weight)
        return select(op, floatKernel(linear.getWeight()));
      slm::WeightFormat format = weight.getFormat().layout();
      if (w8a8 && slm::hasInt8Kernel(format))
        return select(op, amx       ? slm::Kernel::w8a8_amx
                          : vnni    ? slm::Kernel::w8a8_vnni
                          : i8mm    ? slm::Kernel::w8a8_smmla
                          : dotprod ? slm::Kernel::w8a8_sdot
                                    : slm::Kernel::w8a8);
      if (w8a8 && slm::hasInt4ActivationKernel(format))
        return select(op, amx       ? slm::Kernel::w4a8_amx
                          : vnni    ? slm::Kernel::w4a8_vnni
                          : dotprod ? slm::Kernel::w4a8_sdot
                                    : slm::Kernel::w4a8);
      if (vnni && slm::hasInt4Kernel(format))
        return select(op, slm::Kernel::q4_vnni);
      if (avx512 && slm::hasInt4TableKernel(format))
        return select(op, slm::Kernel::q4_avx512);
      if (avx512 && slm::hasSmallCodebookTableKernel(format))
        return select(op, slm::Kernel::table_avx512);
      if ((avx512 || avx2) && slm::hasWideIntegerKernel(format))
        return select(op, avx512 ? slm::Kernel::wide_avx512 : slm::Kernel::wide_avx2);
      if (avx2 && slm::hasCodebookTableKernel(format))
        return select(op, slm::Kernel::table_avx2);
      if (slm::hasInt4Kernel(format))
        return select(op, avx2 ? slm::Kernel::q4_avx2 : slm::Kernel::q4);
      if (slm::hasInt8Kernel(format))
        return select(op, vnni     ? slm::Kernel::q8_vnni
                          : avx512 ? slm::Kernel::q8_avx512
                          : avx2   ? slm::Kernel::q8_avx2
                                   : slm::Kernel::q8);
      select(op, slm::Kernel::qany);
    });
  }
};

} // namespace
} // namespace slmc
