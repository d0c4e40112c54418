//===- HfConfig.cpp - Hugging Face config.json ----------------------------===//

#include "compiler/frontends/hf/HfConfig.h"

#include "compiler/frontends/hf/RopeScaling.h"
#include "compiler/support/Error.h"
#include "compiler/support/JsonFile.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>

namespace slmc {
namespace {

struct Architecture {
  const char *hfName;
  const char *name;
  bool attentionBias;
  bool qkNorm;
  bool fusedProjections;
  int gemma = 0; // Gemma generation (2, 3), 0 for the Llama-like ones
};

constexpr Architecture kArchitectures[] = {
    {"LlamaForCausalLM", "llama", false, false, false},
    {"Qwen2ForCausalLM", "qwen2", true, false, false},
    {"Qwen3ForCausalLM", "qwen3", false, true, false},
    {"Phi3ForCausalLM", "phi3", false, false, true},
    {"MistralForCausalLM", "mistral", false, false, false},
    {"Gemma2ForCausalLM", "gemma2", false, false, false, 2},
    {"Gemma3ForCausalLM", "gemma3", false, true, false, 3},
};

/// A number field: `fallback` when absent, nullopt when null (Gemma's
/// soft-capping off), an error when of another JSON type.
llvm::Expected<std::optional<double>> optionalNumber(const llvm::json::Object &o,
                                                     llvm::StringRef key,
                                                     std::optional<double> fallback,
                                                     llvm::StringRef path) {
  const llvm::json::Value *v = o.get(key);
  if (!v)
    return fallback;
  if (v->kind() == llvm::json::Value::Null)
    return std::nullopt;
  if (auto n = v->getAsNumber())
    return *n;
  return makeError("{0}: \"{1}\" must be a number or null", path, key);
}

/// The gate's activation named by config.json (Hugging Face's ACT2FN names).
llvm::Expected<slm::Activation> activationNamed(llvm::StringRef name, llvm::StringRef key,
                                                llvm::StringRef path) {
  if (name == "silu" || name == "swish")
    return slm::Activation::silu;
  if (name == "gelu")
    return slm::Activation::gelu;
  if (name == "gelu_pytorch_tanh" || name == "gelu_new")
    return slm::Activation::gelu_tanh;
  return makeError("{0}: {1} \"{2}\" is not supported (silu, gelu, gelu_pytorch_tanh, gelu_new)",
                   path, key, name);
}

/// Gemma 2 and 3 (modeling_gemma2.py, modeling_gemma3.py): scaled embedding,
/// (1 + w) norms around each block, GELU-tanh gate, query_pre_attn_scalar,
/// soft-capping, and windowed layers in a pattern (Gemma 3's with a rotary base
/// of their own). Defaults are Gemma2Config's and Gemma3TextConfig's.
llvm::Error readGemma(const llvm::json::Object &o, int generation, DecoderConfig &c,
                      llvm::StringRef path) {
  const slm::DecoderShape &d = c.shape();
  c.embeddingScale = static_cast<float>(std::sqrt(static_cast<double>(d.hiddenSize)));
  c.normWeightOffset = true;
  c.sandwichNorms = true;
  auto scalar = optionalNumber(o, "query_pre_attn_scalar", 256.0, path);
  if (!scalar)
    return scalar.takeError();
  if (!*scalar || !(**scalar > 0))
    return makeError("{0}: query_pre_attn_scalar must be a positive number", path);
  c.attentionScale = static_cast<float>(std::pow(**scalar, -0.5));
  std::optional<double> noCap;
  auto attnCap = optionalNumber(o, "attn_logit_softcapping", generation == 2 ? 50.0 : noCap, path);
  auto finalCap = optionalNumber(o, "final_logit_softcapping", generation == 2 ? 30.0 : noCap, path);
  if (!attnCap || !finalCap)
    return llvm::joinErrors(attnCap.takeError(), finalCap.takeError());
  for (auto [cap, key] : {std::pair{*attnCap, "attn_logit_softcapping"},
                          std::pair{*finalCap, "final_logit_softcapping"}})
    if (cap && !(*cap > 0))
      return makeError("{0}: {1} must be positive or null", path, key);
  c.attentionSoftcap = *attnCap ? static_cast<float>(**attnCap) : 0.0f;
  c.logitSoftcap = *finalCap ? static_cast<float>(**finalCap) : 0.0f;

  // Which layers are windowed: layer_types when the config lists them
  // (transformers >= 4.53), else Gemma 2's even layers and Gemma 3's all but
  // every sliding_window_pattern-th.
  c.slidingLayers.assign(d.layers, false);
  if (const llvm::json::Value *types = o.get("layer_types")) {
    const llvm::json::Array *list = types->getAsArray();
    if (!list || static_cast<int64_t>(list->size()) != d.layers)
      return makeError("{0}: layer_types must list one type per layer ({1})", path, d.layers);
    for (size_t i = 0; i < list->size(); ++i) {
      auto type = (*list)[i].getAsString();
      if (!type || (*type != "sliding_attention" && *type != "full_attention"))
        return makeError("{0}: layer_types[{1}] is not \"sliding_attention\" or "
                         "\"full_attention\"",
                         path, i);
      c.slidingLayers[i] = *type == "sliding_attention";
    }
  } else if (generation == 2) {
    for (int64_t i = 0; i < d.layers; ++i)
      c.slidingLayers[i] = i % 2 == 0;
  } else {
    auto pattern = optionalNumber(o, "sliding_window_pattern", 6.0, path);
    if (!pattern)
      return pattern.takeError();
    if (!*pattern || **pattern < 1 || **pattern != std::floor(**pattern))
      return makeError("{0}: sliding_window_pattern must be a positive integer", path);
    auto every = static_cast<int64_t>(**pattern);
    for (int64_t i = 0; i < d.layers; ++i)
      c.slidingLayers[i] = (i + 1) % every != 0;
  }
  if (generation == 3) {
    auto local = optionalNumber(o, "rope_local_base_freq", 10000.0, path);
    if (!local)
      return local.takeError();
    if (!*local || !(**local > 0))
      return makeError("{0}: rope_local_base_freq must be a positive number", path);
    c.localRopeTheta = **local;
  }
  return llvm::Error::success();
}

/// A token id field that may be a single integer or a list (first wins).
std::optional<int64_t> tokenId(const llvm::json::Object &o, llvm::StringRef key) {
  if (auto id = o.getInteger(key))
    return id;
  if (const auto *list = o.getArray(key); list && !list->empty())
    return (*list)[0].getAsInteger();
  return std::nullopt;
}

} // namespace

llvm::Expected<DecoderConfig> readHfConfig(llvm::StringRef path) {
  auto object = readJsonObject(path);
  if (!object)
    return object.takeError();
  const llvm::json::Object *o = &*object;

  const llvm::json::Array *architectures = o->getArray("architectures");
  std::optional<llvm::StringRef> hfName =
      architectures && !architectures->empty() ? (*architectures)[0].getAsString() : std::nullopt;
  if (!hfName)
    return makeError("{0}: missing \"architectures\"", path);
  const Architecture *arch = nullptr;
  for (const Architecture &a : kArchitectures)
    if (*hfName == a.hfName)
      arch = &a;
  if (!arch) {
    llvm::SmallVector<llvm::StringRef> known;
    for (const Architecture &a : kArchitectures)
      known.push_back(a.hfName);
    return makeError("{0}: unknown architecture {1} (supported: {2})", path, *hfName,
                     llvm::join(known, ", "));
  }

  DecoderConfig c;
  c.model.architecture = arch->name;
  slm::DecoderShape &d = c.model.decoder.emplace();
  c.attentionBias = o->getBoolean("attention_bias").value_or(arch->attentionBias);
  c.qkNorm = arch->qkNorm;
  c.fusedProjections = arch->fusedProjections;
  llvm::SmallVector<std::string> missing;
  auto required = [&](llvm::StringRef key, int64_t &out) {
    if (auto v = o->getInteger(key); v && *v > 0)
      out = *v;
    else
      missing.push_back(key.str());
  };
  required("vocab_size", c.model.vocabSize);
  required("hidden_size", d.hiddenSize);
  required("intermediate_size", c.intermediate);
  required("num_hidden_layers", d.layers);
  required("num_attention_heads", d.heads);
  if (!missing.empty())
    return makeError("{0}: missing or non-positive required fields: {1}", path,
                     llvm::join(missing, ", "));
  d.kvHeads = o->getInteger("num_key_value_heads").value_or(d.heads);
  d.headDim = o->getInteger("head_dim").value_or(d.hiddenSize / d.heads);
  c.model.maxPositions = o->getInteger("max_position_embeddings").value_or(2048);
  c.rmsEps = static_cast<float>(o->getNumber("rms_norm_eps").value_or(1e-6));
  c.ropeTheta = o->getNumber("rope_theta").value_or(arch->gemma == 3 ? 1000000.0 : 10000.0);
  c.ropeLayout = slm::RotaryLayout::rotate_half;
  c.tiedEmbeddings = o->getBoolean("tie_word_embeddings").value_or(false);
  c.model.bosTokenId = static_cast<int32_t>(tokenId(*o, "bos_token_id").value_or(1));
  c.model.eosTokenId = static_cast<int32_t>(tokenId(*o, "eos_token_id").value_or(2));

  // Gemma's MLP reads hidden_activation; the others hidden_act.
  llvm::StringRef activationKey = arch->gemma ? "hidden_activation" : "hidden_act";
  if (const llvm::json::Value *act = o->get(activationKey)) {
    auto name = act->getAsString();
    if (!name)
      return makeError("{0}: \"{1}\" must be a string", path, activationKey);
    auto activation = activationNamed(*name, activationKey, path);
    if (!activation)
      return activation.takeError();
    c.activation = *activation;
  } else {
    c.activation = arch->gemma ? slm::Activation::gelu_tanh : slm::Activation::silu;
  }
  // partial_rotary_factor (Phi): dim = int(head_dim * partial_rotary_factor)
  double partial = o->getNumber("partial_rotary_factor").value_or(1.0);
  if (!(partial > 0 && partial <= 1))
    return makeError("{0}: partial_rotary_factor {1} is not in (0, 1]", path, partial);
  int64_t rotaryDim = static_cast<int64_t>(static_cast<double>(d.headDim) * partial);
  if (rotaryDim < 2 || rotaryDim % 2)
    return makeError("{0}: partial_rotary_factor {1} turns {2} of head_dim {3}: not a positive "
                     "even number",
                     path, partial, rotaryDim, d.headDim);
  c.rotaryDim = rotaryDim;
  auto rope = scaledRope(*o, c.ropeTheta, rotaryDim, path);
  if (!rope)
    return rope.takeError();
  c.ropeFrequencies = std::move(rope->frequencies);
  c.ropeScale = rope->attentionFactor;
  // Positions the graph serves exactly as Hugging Face computes them: a
  // LongRoPE table holds up to original_max_position_embeddings.
  if (rope->validPositions > 0)
    c.model.maxPositions = std::min(c.model.maxPositions, rope->validPositions);
  // Sliding-window attention (Mistral, Phi-3), unless the config turns it off (Qwen2).
  // Gemma's configs default to a window of 4096.
  std::optional<int64_t> window = o->getInteger("sliding_window");
  if (!o->get("sliding_window") && arch->gemma)
    window = 4096;
  if (window && o->getBoolean("use_sliding_window").value_or(true)) {
    if (*window <= 0)
      return makeError("{0}: sliding_window {1} is not positive", path, *window);
    if (*window < c.model.maxPositions)
      c.slidingWindow = *window;
  }
  if (arch->gemma)
    if (auto error = readGemma(*o, arch->gemma, c, path))
      return std::move(error);
  if (d.kvHeads <= 0 || d.heads % d.kvHeads)
    return makeError("{0}: num_attention_heads {1} is not a multiple of num_key_value_heads {2}",
                     path, d.heads, d.kvHeads);
  return c;
}

} // namespace slmc
