//===- RopeScaling.cpp - config.json's rope_scaling -----------------------===//
//
// Each rule cites transformers' src/transformers/modeling_rope_utils.py
// (v4.45 onward). The arithmetic is f32, operation for operation, with the
// Python scalars rounded to f32 where torch promotes them (a Python float
// meeting a float32 tensor computes in float32); scalar-only expressions
// stay double as in Python.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontends/hf/RopeScaling.h"

#include "compiler/support/Error.h"

#include <cmath>

namespace slmc {
namespace {

/// _compute_default_rope_parameters:
///   inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
std::vector<float> defaultFrequencies(double theta, int64_t rotaryDim) {
  std::vector<float> inv(rotaryDim / 2);
  for (int64_t i = 0; i < rotaryDim / 2; ++i)
    inv[i] = 1.0f / std::pow(static_cast<float>(theta),
                             static_cast<float>(2 * i) / static_cast<float>(rotaryDim));
  return inv;
}

llvm::Expected<double> number(const llvm::json::Object &scaling, llvm::StringRef key,
                              llvm::StringRef type, llvm::StringRef path, bool positive = true) {
  std::optional<double> value = scaling.getNumber(key);
  if (!value || !std::isfinite(*value) || (positive && !(*value > 0)))
    return makeError("{0}: rope_scaling type '{1}' needs a positive number \"{2}\"", path, type,
                     key);
  return *value;
}

} // namespace

llvm::Expected<std::vector<float>> scaledRopeFrequencies(const llvm::json::Value &ropeScaling,
                                                         double theta, int64_t rotaryDim,
                                                         llvm::StringRef path) {
  if (ropeScaling.kind() == llvm::json::Value::Null)
    return std::vector<float>();
  const llvm::json::Object *scaling = ropeScaling.getAsObject();
  if (!scaling)
    return makeError("{0}: rope_scaling is neither null nor an object", path);
  // PretrainedConfig standardizes the legacy "type" key to "rope_type".
  std::optional<llvm::StringRef> type = scaling->getString("rope_type");
  if (!type)
    type = scaling->getString("type");
  if (!type)
    return makeError("{0}: rope_scaling has no \"rope_type\" (or \"type\")", path);
  if (*type == "default")
    return std::vector<float>();
  std::vector<float> inv = defaultFrequencies(theta, rotaryDim);

  if (*type == "linear") {
    // _compute_linear_scaling_rope_parameters: inv_freq /= factor
    auto factor = number(*scaling, "factor", *type, path);
    if (!factor)
      return factor.takeError();
    for (float &f : inv)
      f /= static_cast<float>(*factor);
    return inv;
  }

  if (*type == "llama3") {
    // _compute_llama3_parameters
    auto factor = number(*scaling, "factor", *type, path);
    auto lowFactor = number(*scaling, "low_freq_factor", *type, path);
    auto highFactor = number(*scaling, "high_freq_factor", *type, path);
    auto oldContext = number(*scaling, "original_max_position_embeddings", *type, path);
    if (!factor || !lowFactor || !highFactor || !oldContext)
      return llvm::joinErrors(
          llvm::joinErrors(factor.takeError(), lowFactor.takeError()),
          llvm::joinErrors(highFactor.takeError(), oldContext.takeError()));
    if (!(*highFactor > *lowFactor))
      return makeError("{0}: rope_scaling llama3 needs high_freq_factor > low_freq_factor", path);
    // low_freq_wavelen = old_context_len / low_freq_factor (Python floats)
    double lowWavelen = *oldContext / *lowFactor, highWavelen = *oldContext / *highFactor;
    float f32Factor = static_cast<float>(*factor), f32Low = static_cast<float>(*lowFactor);
    float f32Old = static_cast<float>(*oldContext);
    float span = static_cast<float>(*highFactor - *lowFactor); // (high - low): a Python float
    float twoPi = static_cast<float>(2 * M_PI);
    for (float &f : inv) {
      float wavelen = twoPi / f; // wavelen = 2 * math.pi / inv_freq
      // inv_freq_llama = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
      bool low = wavelen > static_cast<float>(lowWavelen);
      float llama = low ? f / f32Factor : f;
      // smooth_factor = (old_context_len / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
      float smooth = (f32Old / wavelen - f32Low) / span;
      // smoothed_inv_freq = (1 - smooth_factor) * inv_freq_llama / factor + smooth_factor * inv_freq_llama
      float smoothed = (1.0f - smooth) * llama / f32Factor + smooth * llama;
      // is_medium_freq = ~(wavelen < high_freq_wavelen) * ~(wavelen > low_freq_wavelen)
      bool medium = !(wavelen < static_cast<float>(highWavelen)) && !low;
      f = medium ? smoothed : llama;
    }
    return inv;
  }
  return makeError("{0}: rope_scaling type '{1}' is not supported (supported: default, linear, "
                   "llama3)",
                   path, *type);
}

} // namespace slmc
