//===- LanguageModel.h - what generation and evaluation run on --*- C++ -*-===//
#pragma once

#include "compiler/executor/Tensor.h"
#include "llvm/Support/Error.h"

namespace slmc {

/// A causal language model with state: each forward call appends tokens after
/// those seen since the last reset. Generation, perplexity and (later)
/// calibration are written against this, whatever runs the model.
class LanguageModel {
public:
  virtual ~LanguageModel() = default;
  virtual int64_t vocabSize() const = 0;
  /// How many positions fit before reset() is needed.
  virtual int64_t capacity() const = 0;
  /// Logits [tokens.size(), vocab] for the appended tokens.
  virtual llvm::Expected<exec::Tensor> forward(llvm::ArrayRef<int32_t> tokens) = 0;
  virtual void reset() = 0;
  /// Keeps the first `positions` positions seen and forgets the rest; false
  /// when it cannot (a windowed layer's KV cache is a ring, whose rows the
  /// later positions have overwritten): then reset() and feed them again.
  [[nodiscard]] virtual bool rewind(int64_t positions) = 0;
};

} // namespace slmc
