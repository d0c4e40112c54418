//===- CollectLogits.h - a model's logits, fed in chunks --------*- C++ -*-===//
#pragma once

#include "compiler/runner/LanguageModel.h"

#include <gtest/gtest.h>

#include <vector>

namespace slmc {

/// The logits of `tokens` from a fresh state, fed `step` tokens per forward
/// call (prefill, chunked prefill or decode), concatenated.
inline std::vector<float> collectLogits(LanguageModel &model, llvm::ArrayRef<int32_t> tokens,
                                        size_t step) {
  std::vector<float> logits;
  model.reset();
  for (size_t i = 0; i < tokens.size(); i += step) {
    auto out = model.forward(tokens.slice(i, std::min(step, tokens.size() - i)));
    EXPECT_TRUE(static_cast<bool>(out)) << llvm::toString(out.takeError());
    if (!out)
      return logits;
    logits.insert(logits.end(), out->data<float>(), out->data<float>() + out->size());
  }
  return logits;
}

} // namespace slmc
