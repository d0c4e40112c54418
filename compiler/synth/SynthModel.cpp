//===- SynthModel.cpp - random-weight Hugging Face folders ----------------===//

#include "compiler/synth/SynthModel.h"

#include "compiler/support/Error.h"
#include "compiler/synth/SynthRandom.h"
#include "compiler/synth/SynthTokenizer.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <string>
#include <vector>

namespace slmc::synth {

namespace {

/// One tensor of the checkpoint, as Hugging Face names and shapes it.
struct TensorSpec {
  std::string name;
  std::vector<int64_t> shape;
  bool norm = false; // a norm's scale: identity (1, or Gemma's offset 0)

  int64_t elements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
};

std::vector<TensorSpec> tensorsOf(const SynthShape &s) {
  std::vector<TensorSpec> t;
  int64_t q = s.heads * s.headDim, kv = s.kvHeads * s.headDim;
  t.push_back({"model.embed_tokens.weight", {s.vocabSize, s.hiddenSize}});
  for (int64_t l = 0; l < s.layers; ++l) {
    std::string p = "model.layers." + std::to_string(l) + ".";
    t.push_back({p + "input_layernorm.weight", {s.hiddenSize}, /*norm=*/true});
    if (s.fusedProjections) {
      t.push_back({p + "self_attn.qkv_proj.weight", {q + 2 * kv, s.hiddenSize}});
    } else {
      t.push_back({p + "self_attn.q_proj.weight", {q, s.hiddenSize}});
      t.push_back({p + "self_attn.k_proj.weight", {kv, s.hiddenSize}});
      t.push_back({p + "self_attn.v_proj.weight", {kv, s.hiddenSize}});
    }
    if (s.qkvBias) {
      t.push_back({p + "self_attn.q_proj.bias", {q}});
      t.push_back({p + "self_attn.k_proj.bias", {kv}});
      t.push_back({p + "self_attn.v_proj.bias", {kv}});
    }
    if (s.qkNorm) {
      t.push_back({p + "self_attn.q_norm.weight", {s.headDim}, /*norm=*/true});
      t.push_back({p + "self_attn.k_norm.weight", {s.headDim}, /*norm=*/true});
    }
    t.push_back({p + "self_attn.o_proj.weight", {s.hiddenSize, q}});
    t.push_back({p + "post_attention_layernorm.weight", {s.hiddenSize}, /*norm=*/true});
    if (s.gemma)
      t.push_back({p + "pre_feedforward_layernorm.weight", {s.hiddenSize}, /*norm=*/true});
    if (s.fusedProjections) {
      t.push_back({p + "mlp.gate_up_proj.weight", {2 * s.intermediateSize, s.hiddenSize}});
    } else {
      t.push_back({p + "mlp.gate_proj.weight", {s.intermediateSize, s.hiddenSize}});
      t.push_back({p + "mlp.up_proj.weight", {s.intermediateSize, s.hiddenSize}});
    }
    t.push_back({p + "mlp.down_proj.weight", {s.hiddenSize, s.intermediateSize}});
    if (s.gemma)
      t.push_back({p + "post_feedforward_layernorm.weight", {s.hiddenSize}, /*norm=*/true});
  }
  t.push_back({"model.norm.weight", {s.hiddenSize}, /*norm=*/true});
  if (!s.tied)
    t.push_back({"lm_head.weight", {s.vocabSize, s.hiddenSize}});
  return t;
}

/// bfloat16, rounding to nearest even (libgcc has no __bf16 conversion; the
/// values here are finite).
uint16_t toBFloat16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  bits += 0x7FFF + ((bits >> 16) & 1);
  return static_cast<uint16_t>(bits >> 16);
}

size_t elementBytes(SynthDType d) { return d == SynthDType::F32 ? 4 : 2; }
const char *safetensorsDType(SynthDType d) {
  return d == SynthDType::F32 ? "F32" : d == SynthDType::BF16 ? "BF16" : "F16";
}
const char *torchDType(SynthDType d) {
  return d == SynthDType::F32 ? "float32" : d == SynthDType::BF16 ? "bfloat16" : "float16";
}

/// The shape's rope_scaling object (a literal of the shape table), or null.
llvm::json::Value ropeScaling(const SynthShape &s) {
  if (!s.ropeScaling)
    return nullptr;
  llvm::Expected<llvm::json::Value> parsed = llvm::json::parse(s.ropeScaling);
  if (!parsed) { // the table is ours: a broken literal is a bug, caught by the synth tests
    llvm::consumeError(parsed.takeError());
    return "invalid rope_scaling literal in the shape table";
  }
  return std::move(*parsed);
}

std::string configJson(const SynthShape &s, SynthDType dtype) {
  llvm::json::Object config{
      {"architectures", llvm::json::Array{s.architecture}},
      {"model_type", s.modelType},
      {"hidden_size", s.hiddenSize},
      {"intermediate_size", s.intermediateSize},
      {"num_hidden_layers", s.layers},
      {"num_attention_heads", s.heads},
      {"num_key_value_heads", s.kvHeads},
      {"head_dim", s.headDim},
      {"vocab_size", s.vocabSize},
      {"max_position_embeddings", s.maxPositions},
      {"rope_theta", s.ropeTheta},
      {"rope_scaling", ropeScaling(s)},
      {"rms_norm_eps", s.rmsNormEps},
      {"hidden_act", "silu"},
      {"attention_bias", s.qkvBias},
      {"tie_word_embeddings", s.tied},
      {"bos_token_id", 1},
      {"eos_token_id", 2},
      {"torch_dtype", torchDType(dtype)},
      {"initializer_range", 0.02},
      {"slmc_synth", "random weights N(0, 0.02), norms at one: a shape, not a model"},
  };
  if (s.originalMaxPositions)
    config["original_max_position_embeddings"] = s.originalMaxPositions;
  if (s.slidingWindow)
    config["sliding_window"] = s.slidingWindow;
  if (s.gemma) { // Gemma2Config's and Gemma3TextConfig's published values
    config["hidden_act"] = "gelu_pytorch_tanh";
    config["hidden_activation"] = "gelu_pytorch_tanh";
    config["query_pre_attn_scalar"] = s.headDim;
    config["attn_logit_softcapping"] = s.gemma == 2 ? llvm::json::Value(50.0) : nullptr;
    config["final_logit_softcapping"] = s.gemma == 2 ? llvm::json::Value(30.0) : nullptr;
    config["slmc_synth"] = "random weights N(0, 0.02), norms at identity (offsets of 0): a "
                           "shape, not a model";
    if (s.gemma == 3) {
      config["sliding_window_pattern"] = 6;
      config["rope_local_base_freq"] = 10000.0;
    }
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(config))) << "\n";
  return text;
}

std::string formatJson(llvm::json::Value value) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv("{0:2}", value) << "\n";
  return text;
}

/// An instruction-tuned family's tokenizer_config.json: its chat template,
/// with the synth tokenizer's <s> and </s> as bos_token and eos_token.
std::string tokenizerConfigJson(const SynthShape &s) {
  return formatJson(llvm::json::Object{
      {"bos_token", "<s>"},
      {"eos_token", "</s>"},
      {"unk_token", "<unk>"},
      {"chat_template", synthChatTemplate(s.chat->templateName)},
      {"tokenizer_class", "PreTrainedTokenizerFast"},
  });
}

/// generation_config.json: a reply ends at </s> and at the family's stop tokens
/// (the last ids of the vocabulary, in the order SynthChat lists them).
std::string generationConfigJson(const SynthShape &s) {
  llvm::json::Array stops{2};
  int64_t first = s.vocabSize - static_cast<int64_t>(s.chat->specialTokens.size());
  for (size_t i = 0; i < s.chat->stops; ++i)
    stops.push_back(first + static_cast<int64_t>(i));
  return formatJson(llvm::json::Object{{"bos_token_id", 1}, {"eos_token_id", std::move(stops)}});
}

llvm::Error writeText(const llvm::Twine &path, llvm::StringRef text) {
  std::error_code ec;
  llvm::raw_fd_ostream out(path.str(), ec);
  if (ec)
    return makeError("{0}: {1}", path.str(), ec.message());
  out << text;
  out.close();
  if (out.has_error())
    return makeError("{0}: {1}", path.str(), out.error().message());
  return llvm::Error::success();
}

/// model.safetensors: the header, then every tensor's values in order.
llvm::Error writeSafetensors(const llvm::Twine &path, const std::vector<TensorSpec> &tensors,
                             double normValue, const SynthOptions &options,
                             uint64_t &weightBytes) {
  size_t width = elementBytes(options.dtype);
  std::string header;
  {
    llvm::raw_string_ostream os(header);
    llvm::json::OStream j(os);
    uint64_t offset = 0;
    j.object([&] {
      j.attributeObject("__metadata__", [&] { j.attribute("format", "pt"); });
      for (const TensorSpec &t : tensors) {
        uint64_t bytes = t.elements() * width;
        j.attributeObject(t.name, [&] {
          j.attribute("dtype", safetensorsDType(options.dtype));
          j.attributeArray("shape", [&] {
            for (int64_t d : t.shape)
              j.value(d);
          });
          j.attributeArray("data_offsets", [&] {
            j.value(offset);
            j.value(offset + bytes);
          });
        });
        offset += bytes;
      }
    });
    weightBytes = offset;
  }
  header.append((8 - header.size() % 8) % 8, ' '); // the data starts 8-byte aligned

  std::error_code ec;
  llvm::raw_fd_ostream out(path.str(), ec);
  if (ec)
    return makeError("{0}: {1}", path.str(), ec.message());
  uint64_t length = header.size();
  char prefix[8];
  std::memcpy(prefix, &length, 8); // little-endian hosts only, as the runtime
  out.write(prefix, 8);
  out << header;

  constexpr int64_t kChunk = 1 << 20; // elements per buffer: even, so pairs never split
  std::vector<char> buffer(kChunk * width);
  uint64_t written = 0;
  for (auto [index, t] : llvm::enumerate(tensors)) {
    Random random(options.seed, index);
    int64_t n = t.elements();
    for (int64_t begin = 0; begin < n; begin += kChunk) {
      int64_t count = std::min(kChunk, n - begin);
      for (int64_t i = 0; i < count; i += 2) {
        double a = normValue, b = normValue;
        if (!t.norm) {
          random.normalPair(static_cast<uint64_t>(begin + i) / 2, a, b);
          a *= 0.02, b *= 0.02;
        }
        float values[2] = {static_cast<float>(a), static_cast<float>(b)};
        for (int k = 0; k < 2 && i + k < count; ++k) {
          char *dst = buffer.data() + (i + k) * width;
          if (options.dtype == SynthDType::F32) {
            std::memcpy(dst, &values[k], 4);
          } else if (options.dtype == SynthDType::BF16) {
            uint16_t h = toBFloat16(values[k]);
            std::memcpy(dst, &h, 2);
          } else {
            _Float16 h = static_cast<_Float16>(values[k]);
            std::memcpy(dst, &h, 2);
          }
        }
      }
      out.write(buffer.data(), count * width);
      written += count * width;
      if (options.progress)
        options.progress(written, weightBytes);
    }
  }
  out.close();
  if (out.has_error())
    return makeError("{0}: {1}", path.str(), out.error().message());
  return llvm::Error::success();
}

} // namespace

std::optional<SynthDType> parseSynthDType(llvm::StringRef name) {
  if (name == "f32")
    return SynthDType::F32;
  if (name == "bf16")
    return SynthDType::BF16;
  if (name == "f16")
    return SynthDType::F16;
  return std::nullopt;
}

llvm::Expected<SynthSummary> writeSynthModel(const SynthShape &shape, llvm::StringRef dir,
                                             const SynthOptions &options) {
  if (llvm::sys::fs::exists(dir))
    return makeError("{0}: already exists; slmc synth writes a new folder", dir);
  // Everything goes to a temporary folder beside `dir`, renamed at the end
  // (absolute: createUniqueDirectory puts relative names under the system's
  // temporary folder, which is not beside it).
  llvm::SmallString<256> partial(dir);
  if (std::error_code ec = llvm::sys::fs::make_absolute(partial))
    return makeError("{0}: {1}", dir, ec.message());
  partial += ".partial"; // createUniqueDirectory adds a unique suffix
  llvm::SmallString<256> temporary;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory(partial, temporary))
    return makeError("{0}: cannot create a folder beside it: {1}", dir, ec.message());
  auto fail = [&](llvm::Error error) -> llvm::Expected<SynthSummary> {
    llvm::sys::fs::remove_directories(temporary);
    return std::move(error);
  };
  SynthSummary summary;
  summary.parameters = shape.parameters();
  if (llvm::Error e = writeText(temporary + "/config.json", configJson(shape, options.dtype)))
    return fail(std::move(e));
  llvm::ArrayRef<const char *> special = shape.chat ? shape.chat->specialTokens
                                                    : llvm::ArrayRef<const char *>();
  if (llvm::Error e = writeText(temporary + "/tokenizer.json",
                                synthTokenizerJson(shape.vocabSize, options.seed, special)))
    return fail(std::move(e));
  if (shape.chat) {
    if (llvm::Error e = writeText(temporary + "/tokenizer_config.json", tokenizerConfigJson(shape)))
      return fail(std::move(e));
    if (llvm::Error e =
            writeText(temporary + "/generation_config.json", generationConfigJson(shape)))
      return fail(std::move(e));
  }
  if (llvm::Error e = writeSafetensors(temporary + "/model.safetensors", tensorsOf(shape),
                                     shape.gemma ? 0.0 : 1.0, options,
                                       summary.weightBytes))
    return fail(std::move(e));
  if (std::error_code ec = llvm::sys::fs::rename(temporary, dir))
    return fail(makeError("{0}: cannot move the finished folder into place: {1}", dir,
                          ec.message()));
  return summary;
}

} // namespace slmc::synth
