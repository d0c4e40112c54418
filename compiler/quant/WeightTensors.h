//===- WeightTensors.h - the weights a quantizer may rewrite ----*- C++ -*-===//
#pragma once

#include "compiler/quant/QuantizedWeight.h"
#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace slm {
class ConstantOp;
} // namespace slm

namespace slmc {

/// A 2-D f32 constant read only as an slm.linear weight [out, in] or an
/// slm.embedding table [vocab, hidden] (a tied embedding is both).
struct WeightTensor {
  std::string name; // the blob's name, e.g. "model.layers.0.mlp.up_proj.weight"
  mlir::Operation *constant = nullptr;
  int64_t rows = 0, columns = 0;
  llvm::ArrayRef<float> values;
  bool feedsLinear = false, feedsEmbedding = false;
};

/// The module's quantizable weights in program order.
std::vector<WeightTensor> collectWeightTensors(mlir::ModuleOp module);

/// Replaces each weight's constant by packed codes, f16 scales (and minimums)
/// and an slm.dequantize; the codes are named NAME.codes, NAME.scales, ...
void replaceWithQuantized(const WeightTensor &weight, const QuantizedWeight &quantized);

/// Gives the f32 constant `constant` new values of the same shape, stored in
/// a blob named after its old one with ".tuned" appended.
void replaceFloatConstant(mlir::Operation *constant, llvm::ArrayRef<float> values);

/// How float weights are stored: as they are (f32), or at half width.
enum class FloatStorage { f32, bf16, f16 };

/// Replaces the weight's f32 constant by a bf16 or f16 constant (rounded to
/// nearest even) named NAME.bf16 / NAME.f16 and an slm.widen.
void replaceWithNarrowed(const WeightTensor &weight, FloatStorage storage);

/// Weight storage as the model stands: float constants count their width,
/// quantized weights their codes and scales, rotation signs (slm.hadamard)
/// and a split table's row order (TableRowClasses.h) their bytes; other
/// integer constants (shapes, indices) are not weights.
/// Parameters count dequantized and float elements.
struct WeightBits {
  int64_t parameters = 0;
  int64_t bits = 0;
  double bitsPerWeight() const { return parameters ? double(bits) / double(parameters) : 0; }
};
WeightBits countWeightBits(mlir::ModuleOp module);

} // namespace slmc
