//===- SynthShapes.h - the real model shapes slmc synth writes --*- C++ -*-===//
//
// The shapes of the models people run on laptops and phones, as their
// config.json files give them, for random-weight stand-ins: no model hub is
// reachable where slmc is benchmarked. A shape whose architecture the
// importer cannot take yet carries the reason, and is refused rather than
// faked with another architecture.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "compiler/synth/SynthChat.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>

namespace slmc::synth {

struct SynthShape {
  const char *name;
  const char *architecture; // config.json "architectures"[0]
  const char *modelType;    // config.json "model_type"
  int64_t hiddenSize, intermediateSize, layers, heads, kvHeads, headDim, vocabSize;
  int64_t maxPositions;
  double ropeTheta, rmsNormEps;
  bool tied;        // the output head is the embedding
  bool qkvBias;     // Qwen2: biases on q/k/v projections
  bool qkNorm;      // Qwen3: per-head RMSNorm of q and k
  const char *ropeScaling = nullptr; // config.json's rope_scaling object as JSON; null: none
  int64_t originalMaxPositions = 0;  // config.json's original_max_position_embeddings (0: none)
  bool fusedProjections = false;     // Phi-3: qkv_proj and gate_up_proj
  int gemma = 0;                     // Gemma generation (2, 3): its norms, gate and caps
  int64_t slidingWindow = 0;         // config.json's sliding_window (0: none)
  const SynthChat *chat = nullptr;   // instruction-tuned families: their chat format

  /// Parameters, biases and norms included; the head counted once if tied.
  int64_t parameters() const;
};

/// Every shape slmc synth knows, in the order `slmc synth --help` lists them.
llvm::ArrayRef<SynthShape> synthShapes();
/// The shape named `name`, or null.
const SynthShape *findSynthShape(llvm::StringRef name);

} // namespace slmc::synth
