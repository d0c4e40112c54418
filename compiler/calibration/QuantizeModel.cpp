//===- QuantizeModel.cpp - distillation-aware quantization of a student ---===//

#include "compiler/calibration/QuantizeModel.h"

#include "compiler/quant/QuantScheme.h"
#include "compiler/quant/WeightTensors.h"
#include "compiler/support/Error.h"

namespace slmc {

llvm::Expected<QuantizeOutcome> quantizeStudent(mlir::ModuleOp student,
                                                const Tokenizer &tokenizer,
                                                const QuantizeOptions &options) {
  (void)tokenizer;
  auto format = parseTensorFormat(options.scheme);
  if (!format)
    return format.takeError();
  std::vector<WeightTensor> weights = collectWeightTensors(student);
  if (weights.empty())
    return makeError("the model has no linear or embedding weights to quantize");
  if (*format)
    for (const WeightTensor &w : weights)
      replaceWithQuantized(w, quantizeRoundToNearest(w.values, w.rows, w.columns, **format));
  QuantizeOutcome outcome;
  outcome.weightFormat = options.scheme;
  return outcome;
}

} // namespace slmc
