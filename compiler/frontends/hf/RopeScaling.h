//===- RopeScaling.h - config.json's rope_scaling --------------*- C++ -*-===//
//
// Models trained for longer contexts than their rotary base was (Llama 3.1/3.2,
// linearly interpolated fine-tunes) scale the rotary frequencies. The
// importer computes the scaled table once, in f32 as Hugging Face's
// modeling_rope_utils.py does, and the graph carries it (slm.rotary's
// `frequencies`).
//
//===----------------------------------------------------------------------===//
#pragma once

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <vector>

namespace slmc {

/// What a rope scaling changes: the frequencies (one per pair of rotary
/// dimensions; empty: theta's), the factor on cos and sin, and the positions
/// the table is right for (0: all).
struct ScaledRope {
  std::vector<float> frequencies;
  float attentionFactor = 1.0f;
  int64_t validPositions = 0;
};

/// The scaling config.json's `rope_scaling` asks for: none for null or type
/// "default"; linear, llama3 and longrope (Phi-3's, also called "su"). Other
/// types are refused by name; errors name `path`. `config` is the whole
/// config.json (longrope reads max_position_embeddings and
/// original_max_position_embeddings).
llvm::Expected<ScaledRope> scaledRope(const llvm::json::Object &config, double theta,
                                      int64_t rotaryDim, llvm::StringRef path);

} // namespace slmc
