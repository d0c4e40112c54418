//===- TransformerAttributes.h - what rotary and attention read -*- C++ -*-===//
//
// The attributes of slm.rotary and slm.attention, read once per op for its
// kernel (kernels/Transformer.cpp) and its gradient (gradients/Transformer.cpp)
// alike, so that both compute with the same numbers.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "dialects/slm/IR/SlmOps.h"

#include <cmath>
#include <optional>

namespace slmc::exec {

struct RotaryAttributes {
  float theta = 0; // angles in f32, as llama2.c and Hugging Face compute them
  bool interleaved = false;
  std::optional<int64_t> rotaryDim; // all of head_dim when absent
  float scale = 1;

  static RotaryAttributes of(slm::RotaryOp rotary) {
    RotaryAttributes a;
    a.theta = static_cast<float>(rotary.getTheta().convertToDouble());
    a.interleaved = rotary.getLayout() == slm::RotaryLayout::interleaved;
    if (auto dim = rotary.getRotaryDim())
      a.rotaryDim = static_cast<int64_t>(*dim);
    a.scale = rotary.getScale() ? rotary.getScale()->convertToFloat() : 1.0f;
    return a;
  }
  /// Pair i's angle per position: frequencies[i] when given, else theta^(-2i / rotaryDim).
  float frequency(int64_t i, int64_t dim, const float *frequencies) const {
    return frequencies ? frequencies[i] : 1.0f / std::pow(theta, static_cast<float>(2 * i) / dim);
  }
};

struct AttentionAttributes {
  float scale = 1;
  bool causal = false;
  int64_t window = 0;  // 0: none
  float softcap = 0;   // 0: none
  bool cached = false; // the op reads and updates KV caches
  bool int8Cache = false;

  static AttentionAttributes of(slm::AttentionOp attention) {
    AttentionAttributes a;
    a.scale = attention.getScale().convertToFloat();
    a.causal = attention.getCausal();
    a.window = attention.getWindow() ? static_cast<int64_t>(*attention.getWindow()) : 0;
    a.softcap = attention.getSoftcap() ? attention.getSoftcap()->convertToFloat() : 0.0f;
    a.cached = attention.getKeyCache() != nullptr;
    a.int8Cache = a.cached && llvm::cast<mlir::RankedTensorType>(attention.getKeyCache().getType())
                                  .getElementType()
                                  .isSignlessInteger(8);
    return a;
  }
};

} // namespace slmc::exec
