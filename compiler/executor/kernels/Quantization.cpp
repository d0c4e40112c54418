//===- Quantization.cpp - the slm.dequantize and slm.widen kernels --------===//

#include "compiler/executor/kernels/KernelSupport.h"
#include "compiler/quant/QuantizedWeight.h"
#include "dialects/slm/IR/SlmOps.h"

using namespace mlir;

namespace slmc::exec {
namespace {

/// Fake quantization: the float matrix the packed storage stands for, decoded
/// by the same code that the quantizer's round trip uses.
llvm::Expected<Kernel> dequantizeKernel(Operation *op) {
  auto dequantize = llvm::cast<slm::DequantizeOp>(op);
  slm::WeightFormat format = dequantize.getFormat().layout();
  auto type = llvm::cast<RankedTensorType>(dequantize.getType());
  int64_t rows = type.getDimSize(0), columns = type.getDimSize(1);
  return Kernel([=](ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) -> llvm::Error {
    Tensor y = Tensor::zeros(DType::F32, {rows, columns});
    // Operands: codes, scales, then minimums (asymmetric) or a codebook.
    const uint16_t *minimums = format.symmetric ? nullptr : in[2].data<uint16_t>();
    const float *codebook = format.codebook ? in[2].data<float>() : nullptr;
    dequantizeRows(format, rows, columns, in[0].data<uint8_t>(), in[1].data<uint16_t>(), minimums,
                   codebook, y.data<float>());
    out[0] = std::move(y);
    return ok();
  });
}

/// A bf16 or f16 weight as the f32 tensor it stands for (exact).
llvm::Error widen(ArrayRef<Tensor> in, MutableArrayRef<Tensor> out) {
  const Tensor &stored = in[0];
  Tensor y = Tensor::zeros(DType::F32, stored.shape());
  float *values = y.data<float>();
  for (int64_t i = 0, n = y.size(); i < n; ++i)
    values[i] = stored.floatAt(i);
  out[0] = std::move(y);
  return ok();
}

} // namespace

void addQuantizationKernels(KernelTable &t) {
  t.add<slm::DequantizeOp>(dequantizeKernel);
  t.addSimple<slm::WidenOp>(widen);
}

} // namespace slmc::exec
