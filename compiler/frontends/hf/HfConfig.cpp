//===- HfConfig.cpp - Hugging Face config.json ----------------------------===//

#include "compiler/frontends/hf/HfConfig.h"

#include "compiler/frontends/hf/RopeScaling.h"
#include "compiler/support/Error.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

namespace slmc {
namespace {

struct Architecture {
  const char *hfName;
  const char *name;
  bool attentionBias;
  bool qkNorm;
  bool fusedProjections;
};

constexpr Architecture kArchitectures[] = {
    {"LlamaForCausalLM", "llama", false, false, false},
    {"Qwen2ForCausalLM", "qwen2", true, false, false},
    {"Qwen3ForCausalLM", "qwen3", false, true, false},
    {"Phi3ForCausalLM", "phi3", false, false, true},
    {"MistralForCausalLM", "mistral", false, false, false},
};

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
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return makeError("{0}: cannot read: {1}", path, buffer.getError().message());
  auto json = llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return makeError("{0}: not valid JSON: {1}", path, llvm::toString(json.takeError()));
  const llvm::json::Object *o = json->getAsObject();
  if (!o)
    return makeError("{0}: not a JSON object", path);

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
  c.ropeTheta = o->getNumber("rope_theta").value_or(10000.0);
  c.ropeLayout = slm::RotaryLayout::rotate_half;
  c.tiedEmbeddings = o->getBoolean("tie_word_embeddings").value_or(false);
  c.model.bosTokenId = static_cast<int32_t>(tokenId(*o, "bos_token_id").value_or(1));
  c.model.eosTokenId = static_cast<int32_t>(tokenId(*o, "eos_token_id").value_or(2));

  if (auto act = o->getString("hidden_act"); act && *act != "silu")
    return makeError("{0}: hidden_act \"{1}\" is not supported (only silu)", path, *act);
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
  if (auto window = o->getInteger("sliding_window");
      window && o->getBoolean("use_sliding_window").value_or(true)) {
    if (*window <= 0)
      return makeError("{0}: sliding_window {1} is not positive", path, *window);
    if (*window < c.model.maxPositions)
      c.slidingWindow = *window;
  }
  if (d.kvHeads <= 0 || d.heads % d.kvHeads)
    return makeError("{0}: num_attention_heads {1} is not a multiple of num_key_value_heads {2}",
                     path, d.heads, d.kvHeads);
  return c;
}

} // namespace slmc
