//===- SynthModel.h - random-weight Hugging Face folders --------*- C++ -*-===//
#pragma once

#include "compiler/synth/SynthShapes.h"
#include "llvm/Support/Error.h"

#include <functional>

namespace slmc::synth {

enum class SynthDType { F32, BF16, F16 };

/// "f32", "bf16" or "f16".
std::optional<SynthDType> parseSynthDType(llvm::StringRef name);

struct SynthOptions {
  uint64_t seed = 0;
  SynthDType dtype = SynthDType::F32;
  /// Called now and then with the bytes of weights written so far.
  std::function<void(uint64_t written, uint64_t total)> progress;
};

struct SynthSummary {
  int64_t parameters = 0;
  uint64_t weightBytes = 0;
};

/// Writes `dir` (which must not exist yet): config.json, model.safetensors
/// and tokenizer.json of `shape`, weights drawn from N(0, 0.02) and norms
/// at identity, all from `options.seed`: the same seed gives the same bytes.
/// The folder appears whole or not at all.
llvm::Expected<SynthSummary> writeSynthModel(const SynthShape &shape, llvm::StringRef dir,
                                             const SynthOptions &options);

} // namespace slmc::synth
