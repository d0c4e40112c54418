//===- SynthShapes.cpp - the shape table ----------------------------------===//
//
// Figures from the models' published config.json files (Hugging Face hub,
// read for this table): Qwen/Qwen3-0.6B, Qwen/Qwen2.5-1.5B,
// meta-llama/Llama-3.2-1B, microsoft/Phi-3.5-mini-instruct, google/gemma-2-2b,
// google/gemma-3-1b-it.
// llama-0.5b is Qwen3-0.6B's widths on the Llama architecture (head_dim
// 64 = hidden / heads, no q/k norms): 506M parameters. llama-15m is
// llama2.c's stories15M: small enough for tests.
//
//===----------------------------------------------------------------------===//

#include "compiler/synth/SynthShapes.h"

namespace slmc::synth {

namespace {
// meta-llama/Llama-3.2-1B's config.json.
constexpr const char *kLlama3Scaling =
    R"({"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
        "original_max_position_embeddings": 8192, "rope_type": "llama3"})";

// Phi-3.5-mini's LongRoPE scaling with every factor 1 (48 per list, one per
// rotary pair of head_dim 96): its published short/long factors are not in
// this table, and speed does not depend on them. A literal, so that the table
// needs no initialization at run time.
#define SLMC_ONES8 "1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0"
#define SLMC_ONES48 SLMC_ONES8 ", " SLMC_ONES8 ", " SLMC_ONES8 ", " SLMC_ONES8 ", " SLMC_ONES8 ", " SLMC_ONES8
constexpr const char *kPhi35Scaling =
    "{\"type\": \"longrope\", \"short_factor\": [" SLMC_ONES48 "], \"long_factor\": [" SLMC_ONES48 "]}";
#undef SLMC_ONES48
#undef SLMC_ONES8

// The families' chat formats: each template's special tokens, stop tokens first.
constexpr const char *kQwenTokens[] = {"<|im_end|>", "<|im_start|>", "<think>", "</think>",
                                       "<tool_call>", "</tool_call>"};
constexpr SynthChat kQwen3Chat{"qwen3-0.6b", kQwenTokens, 1};
constexpr const char *kLlama3Tokens[] = {"<|eot_id|>", "<|eom_id|>", "<|start_header_id|>",
                                         "<|end_header_id|>", "<|python_tag|>"};
constexpr SynthChat kLlama3Chat{"llama-3.2-instruct", kLlama3Tokens, 2};
constexpr const char *kPhi3Tokens[] = {"<|end|>", "<|endoftext|>", "<|system|>", "<|user|>",
                                       "<|assistant|>"};
constexpr SynthChat kPhi35Chat{"phi-3.5-mini-instruct", kPhi3Tokens, 2};
constexpr const char *kGemmaTokens[] = {"<end_of_turn>", "<start_of_turn>"};
constexpr SynthChat kGemma2Chat{"gemma-2-it", kGemmaTokens, 1};
constexpr SynthChat kGemma3Chat{"gemma-3-it", kGemmaTokens, 1};

const SynthShape kShapes[] = {
    // name, architecture, model_type, hidden, ffn, layers, heads, kv, head_dim, vocab, positions,
    // rope theta, rms eps, tied, qkv bias, qk norm
    {"llama-15m", "LlamaForCausalLM", "llama", 288, 768, 6, 6, 6, 48, 32000, 256, 10000.0, 1e-5,
     true, false, false},
    {"llama-0.5b", "LlamaForCausalLM", "llama", 1024, 3072, 28, 16, 8, 64, 151936, 40960,
     1000000.0, 1e-6, true, false, false},
    {"qwen3-0.6b", "Qwen3ForCausalLM", "qwen3", 1024, 3072, 28, 16, 8, 128, 151936, 40960,
     1000000.0, 1e-6, true, false, true, nullptr, 0, false, 0, 0, &kQwen3Chat},
    {"qwen2.5-1.5b", "Qwen2ForCausalLM", "qwen2", 1536, 8960, 28, 12, 2, 128, 151936, 32768,
     1000000.0, 1e-6, true, true, false},
    {"llama-3.2-1b", "LlamaForCausalLM", "llama", 2048, 8192, 16, 32, 8, 64, 128256, 131072,
     500000.0, 1e-5, true, false, false, kLlama3Scaling, 0, false, 0, 0, &kLlama3Chat},
    {"phi-3.5-mini", "Phi3ForCausalLM", "phi3", 3072, 8192, 32, 32, 32, 96, 32064, 131072, 10000.0,
     1e-5, false, false, false, kPhi35Scaling, 4096, true, 0, 0, &kPhi35Chat},
    {"gemma-2-2b", "Gemma2ForCausalLM", "gemma2", 2304, 9216, 26, 8, 4, 256, 256000, 8192,
     10000.0, 1e-6, true, false, false, nullptr, 0, false, 2, 4096, &kGemma2Chat},
    {"gemma-3-1b", "Gemma3ForCausalLM", "gemma3_text", 1152, 6912, 26, 4, 1, 256, 262144, 32768,
     1000000.0, 1e-6, true, false, true, nullptr, 0, false, 3, 512, &kGemma3Chat},
};
} // namespace

int64_t SynthShape::parameters() const {
  int64_t q = heads * headDim, kv = kvHeads * headDim;
  int64_t attention = hiddenSize * q + 2 * hiddenSize * kv + q * hiddenSize;
  if (qkvBias)
    attention += q + 2 * kv;
  if (qkNorm)
    attention += 2 * headDim;
  int64_t mlp = 3 * hiddenSize * intermediateSize;
  int64_t layer = attention + mlp + (gemma ? 4 : 2) * hiddenSize; // Gemma: sandwich norms
  int64_t embedding = vocabSize * hiddenSize;
  return layers * layer + embedding * (tied ? 1 : 2) + hiddenSize;
}

llvm::ArrayRef<SynthShape> synthShapes() { return kShapes; }

const SynthShape *findSynthShape(llvm::StringRef name) {
  for (const SynthShape &shape : kShapes)
    if (name == shape.name)
      return &shape;
  return nullptr;
}

} // namespace slmc::synth
