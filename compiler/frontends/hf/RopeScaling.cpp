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

llvm::Expected<ScaledRope> scaledRope(const llvm::json::Object &config, double theta,
                                      int64_t rotaryDim, llvm::StringRef path) {
  const llvm::json::Value *value = config.get("rope_scaling");
  if (!value || value->kind() == llvm::json::Value::Null)
    return ScaledRope();
  const llvm::json::Object *scaling = value->getAsObject();
  if (!scaling)
    return makeError("{0}: rope_scaling is neither null nor an object", path);
  // PretrainedConfig standardizes the legacy "type" key to "rope_type".
  std::optional<llvm::StringRef> type = scaling->getString("rope_type");
  if (!type)
    type = scaling->getString("type");
  if (!type)
    return makeError("{0}: rope_scaling has no \"rope_type\" (or \"type\")", path);
  if (*type == "default")
    return ScaledRope();
  ScaledRope result;
  std::vector<float> &inv = result.frequencies;
  inv = defaultFrequencies(theta, rotaryDim);

  if (*type == "linear") {
    // _compute_linear_scaling_rope_parameters: inv_freq /= factor
    auto factor = number(*scaling, "factor", *type, path);
    if (!factor)
      return factor.takeError();
    for (float &f : inv)
      f /= static_cast<float>(*factor);
    return result;
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
    return result;
  }

  if (*type == "longrope" || *type == "su") { // Phi3Config renames "su" to "longrope"
    // _compute_longrope_parameters
    const llvm::json::Array *shortFactor = scaling->getArray("short_factor");
    if (!shortFactor || static_cast<int64_t>(shortFactor->size()) != rotaryDim / 2)
      return makeError("{0}: rope_scaling {1} needs \"short_factor\": {2} numbers (one per "
                       "rotary pair)",
                       path, *type, rotaryDim / 2);
    std::optional<int64_t> original = config.getInteger("original_max_position_embeddings");
    std::optional<int64_t> positions = config.getInteger("max_position_embeddings");
    if (!original || *original <= 0 || !positions || *positions <= 0)
      return makeError("{0}: rope_scaling {1} needs positive max_position_embeddings and "
                       "original_max_position_embeddings",
                       path, *type);
    // factor = config.max_position_embeddings / config.original_max_position_embeddings
    double factor = static_cast<double>(*positions) / static_cast<double>(*original);
    double attention;
    if (std::optional<double> given = scaling->getNumber("attention_factor"))
      attention = *given;
    else // attention_factor = math.sqrt(1 + math.log(factor) / math.log(original_max_position_embeddings))
      attention = factor <= 1.0 ? 1.0
                                : std::sqrt(1 + std::log(factor) /
                                                    std::log(static_cast<double>(*original)));
    if (!(attention > 0) || !std::isfinite(attention))
      return makeError("{0}: rope_scaling attention_factor must be positive", path);
    result.attentionFactor = static_cast<float>(attention);
    // Past original_max_position_embeddings Hugging Face switches to long_factor (and keeps the
    // keys already cached as they were): the short table is right for the positions before.
    result.validPositions = *original;
    for (int64_t i = 0; i < rotaryDim / 2; ++i) {
      std::optional<double> ext = (*shortFactor)[i].getAsNumber();
      if (!ext || !(*ext > 0))
        return makeError("{0}: rope_scaling short_factor[{1}] is not a positive number", path, i);
      // inv_freq = 1.0 / (ext_factors * base**inv_freq_shape)
      float shape = static_cast<float>(2 * i) / static_cast<float>(rotaryDim);
      inv[i] = 1.0f / (static_cast<float>(*ext) * std::pow(static_cast<float>(theta), shape));
    }
    return result;
  }
  return makeError("{0}: rope_scaling type '{1}' is not supported (supported: default, linear, "
                   "llama3, longrope)",
                   path, *type);
}

} // namespace slmc
