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

/// A boolean field: `fallback` when absent or null, an error when of another
/// JSON type (a number is not a boolean).
llvm::Expected<bool> optionalBool(const llvm::json::Object &o, llvm::StringRef key, bool fallback,
                                  llvm::StringRef path) {
  const llvm::json::Value *v = o.get(key);
  if (!v || v->kind() == llvm::json::Value::Null)
    return fallback;
  if (auto b = v->getAsBoolean())
    return *b;
  return makeError("{0}: \"{1}\" must be true or false", path, key);
}

/// An integer field in [low, high]: `fallback` when absent or null, an error
/// naming the field and the range otherwise.
llvm::Expected<int64_t> optionalInteger(const llvm::json::Object &o, llvm::StringRef key,
                                        int64_t fallback, int64_t low, int64_t high,
                                        llvm::StringRef path) {
  const llvm::json::Value *v = o.get(key);
  if (!v || v->kind() == llvm::json::Value::Null)
    return fallback;
  std::optional<int64_t> n = v->getAsInteger();
  if (!n || *n < low || *n > high)
    return makeError("{0}: \"{1}\" must be an integer in [{2}, {3}]", path, key, low, high);
  return *n;
}

/// A token id field: an integer or a list of them (the first wins; Hugging
/// Face's generation stops at any), `fallback` when absent, null or empty.
llvm::Expected<int64_t> tokenId(const llvm::json::Object &o, llvm::StringRef key,
                                int64_t fallback, int64_t vocab, llvm::StringRef path) {
  const llvm::json::Value *v = o.get(key);
  if (const llvm::json::Array *list = v ? v->getAsArray() : nullptr) {
    for (const llvm::json::Value &id : *list)
      if (auto n = id.getAsInteger(); !n || *n < 0 || *n >= vocab)
        return makeError("{0}: \"{1}\" must list token ids in [0, {2})", path, key, vocab);
    return list->empty() ? fallback : *(*list)[0].getAsInteger();
  }
  return optionalInteger(o, key, fallback, 0, vocab - 1, path);
}

/// Stores a field's value in `out` (converted to its type), or returns the
/// field's error.
template <typename T, typename Out> llvm::Error store(llvm::Expected<T> value, Out &out) {
  if (!value)
    return value.takeError();
  out = static_cast<Out>(*value);
  return llvm::Error::success();
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
    // An integer in range (1e3082 parses as infinity, which is "integral").
    auto every = optionalInteger(o, "sliding_window_pattern", 6, 1, int64_t{1} << 20, path);
    if (!every)
      return every.takeError();
    for (int64_t i = 0; i < d.layers; ++i)
      c.slidingLayers[i] = (i + 1) % *every != 0;
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
  c.qkNorm = arch->qkNorm;
  c.fusedProjections = arch->fusedProjections;
  // The sizes that drive work and memory, each bounded far above any small
  // model's (so that products of them fit int64) before anything scales with
  // them; the importer checks the layer count against the tensors present.
  struct Required {
    const char *key;
    int64_t *out;
    int64_t most;
  };
  llvm::SmallVector<std::string> missing;
  for (Required r : {Required{"vocab_size", &c.model.vocabSize, int64_t{1} << 24},
                     Required{"hidden_size", &d.hiddenSize, int64_t{1} << 17},
                     Required{"intermediate_size", &c.intermediate, int64_t{1} << 19},
                     Required{"num_hidden_layers", &d.layers, int64_t{1} << 10},
                     Required{"num_attention_heads", &d.heads, int64_t{1} << 10}}) {
    const llvm::json::Value *v = o->get(r.key);
    std::optional<int64_t> n = v ? v->getAsInteger() : std::nullopt;
    if (v && (!n || *n < 1 || *n > r.most))
      return makeError("{0}: \"{1}\" must be an integer in [1, {2}]", path, r.key, r.most);
    if (n)
      *r.out = *n;
    else
      missing.push_back(r.key);
  }
  if (!missing.empty())
    return makeError("{0}: missing required fields: {1}", path, llvm::join(missing, ", "));
  // One field at a time, read, checked and stored: an error returns before
  // the next field is read (no Expected is left holding an unchecked error).
  std::optional<double> eps, theta;
  if (auto error = store(optionalInteger(*o, "num_key_value_heads", d.heads, 1, d.heads, path),
                         d.kvHeads))
    return error;
  if (auto error =
          store(optionalInteger(*o, "head_dim", d.hiddenSize / d.heads, 2, 1 << 16, path),
                d.headDim))
    return error;
  if (auto error = store(
          optionalInteger(*o, "max_position_embeddings", 2048, 1, int64_t{1} << 30, path),
          c.model.maxPositions))
    return error;
  if (auto error = store(optionalBool(*o, "attention_bias", arch->attentionBias, path),
                         c.attentionBias))
    return error;
  if (auto error = store(optionalBool(*o, "tie_word_embeddings", false, path), c.tiedEmbeddings))
    return error;
  if (auto error = store(tokenId(*o, "bos_token_id", 1, c.model.vocabSize, path),
                         c.model.bosTokenId))
    return error;
  if (auto error = store(tokenId(*o, "eos_token_id", 2, c.model.vocabSize, path),
                         c.model.eosTokenId))
    return error;
  if (auto error = store(optionalNumber(*o, "rms_norm_eps", 1e-6, path), eps))
    return error;
  if (auto error = store(
          optionalNumber(*o, "rope_theta", arch->gemma == 3 ? 1000000.0 : 10000.0, path), theta))
    return error;
  if (!eps || !(*eps > 0 && *eps < 1))
    return makeError("{0}: \"rms_norm_eps\" must be a number in (0, 1)", path);
  if (!theta || !(*theta > 0) || !std::isfinite(*theta))
    return makeError("{0}: \"rope_theta\" must be a positive number", path);
  c.rmsEps = static_cast<float>(*eps);
  c.ropeTheta = *theta;
  c.ropeLayout = slm::RotaryLayout::rotate_half;

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
  auto partialField = optionalNumber(*o, "partial_rotary_factor", 1.0, path);
  if (!partialField)
    return partialField.takeError();
  double partial = partialField->value_or(1.0);
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
  auto window = optionalInteger(*o, "sliding_window", arch->gemma ? 4096 : 0, 1,
                                int64_t{1} << 30, path);
  if (!window)
    return window.takeError();
  if (const llvm::json::Value *v = o->get("sliding_window");
      v && v->kind() == llvm::json::Value::Null)
    *window = 0; // Qwen2 and others write null for no window
  auto useWindow = optionalBool(*o, "use_sliding_window", true, path);
  if (!useWindow)
    return useWindow.takeError();
  if (*window > 0 && *useWindow && *window < c.model.maxPositions)
    c.slidingWindow = *window;
  if (arch->gemma)
    if (auto error = readGemma(*o, arch->gemma, c, path))
      return std::move(error);
  if (d.heads % d.kvHeads)
    return makeError("{0}: num_attention_heads {1} is not a multiple of num_key_value_heads {2}",
                     path, d.heads, d.kvHeads);
  return c;
}

} // namespace slmc
