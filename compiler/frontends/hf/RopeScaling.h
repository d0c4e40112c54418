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

/// The frequencies `rope_scaling` (the value of that config.json field) asks
/// for, one per pair of `rotaryDim`: empty for none (null, or type "default").
/// Types other than default, linear and llama3 are refused by name; errors
/// name `path`.
llvm::Expected<std::vector<float>> scaledRopeFrequencies(const llvm::json::Value &ropeScaling,
                                                         double theta, int64_t rotaryDim,
                                                         llvm::StringRef path);

} // namespace slmc
