//===- SynthCommand.cpp - slmc synth --------------------------------------===//

#include "tools/slmc/Command.h"
#include "tools/slmc/CommonFlags.h"

#include "absl/flags/flag.h"
#include "compiler/support/Error.h"
#include "compiler/synth/SynthModel.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

ABSL_FLAG(std::string, shape, "", "the model shape to write (see the list above)");
ABSL_FLAG(std::string, dtype, "f32", "weight type in model.safetensors: f32, bf16 or f16");

namespace slmc::cli {
namespace {

std::string shapeNames() {
  std::vector<std::string> names;
  for (const synth::SynthShape &s : synth::synthShapes())
    names.push_back(s.name);
  return llvm::join(names, ", ");
}

llvm::Error runSynth(const std::vector<std::string> &args) {
  if (!args.empty())
    return makeError("slmc synth takes no model argument (got '{0}'); name a --shape", args[0]);
  std::string name = absl::GetFlag(FLAGS_shape), out = absl::GetFlag(FLAGS_o);
  if (name.empty())
    return makeError("--shape is required: one of {0}", shapeNames());
  if (out.empty())
    return makeError("-o DIR is required: the folder to write");
  const synth::SynthShape *shape = synth::findSynthShape(name);
  if (!shape)
    return makeError("--shape '{0}' is not a shape slmc synth knows: one of {1}", name,
                     shapeNames());
  std::optional<synth::SynthDType> dtype = synth::parseSynthDType(absl::GetFlag(FLAGS_dtype));
  if (!dtype)
    return makeError("--dtype '{0}' is not f32, bf16 or f16", absl::GetFlag(FLAGS_dtype));

  synth::SynthOptions options;
  options.seed = absl::GetFlag(FLAGS_seed);
  options.dtype = *dtype;
  auto start = std::chrono::steady_clock::now();
  int lastPercent = -1;
  options.progress = [&](uint64_t written, uint64_t total) {
    int percent = total ? static_cast<int>(100 * written / total) : 100;
    if (percent != lastPercent && llvm::errs().is_displayed()) {
      lastPercent = percent;
      llvm::errs() << llvm::formatv("\rsynth {0}: weights {1,3}% of {2:f2} GB", name, percent,
                                    total / 1e9);
    }
  };
  llvm::Expected<synth::SynthSummary> summary = synth::writeSynthModel(*shape, out, options);
  if (lastPercent >= 0)
    llvm::errs() << "\n";
  if (!summary)
    return summary.takeError();
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  llvm::outs() << llvm::formatv(
      "wrote {0}: {1} ({2}), {3:f1}M parameters, {4} weights {5:f2} GB, seed {6}, in {7:f1} s\n",
      out, shape->name, shape->architecture, summary->parameters / 1e6, absl::GetFlag(FLAGS_dtype),
      summary->weightBytes / 1e9, options.seed, seconds);
  return llvm::Error::success();
}

std::string details() {
  std::string text =
      "Writes a Hugging Face folder (config.json, model.safetensors, tokenizer.json) at a\n"
      "real model's shapes with random weights N(0, 0.02) and norms at one, for benchmarks\n"
      "and tests where no model hub is reachable. The same --shape, --seed and --dtype give\n"
      "the same bytes. The tokenizer has exactly the model's vocabulary (SentencePiece-style\n"
      "BPE, byte fallback). The folder must not exist; it appears whole or not at all.\n\n"
      "Shapes:\n";
  for (const synth::SynthShape &s : synth::synthShapes())
    text += llvm::formatv("  {0,-13} {1,-17} {2,6:f1}M  hidden {3}, {4} layers, {5}/{6} heads of "
                          "{7}, ffn {8}, vocab {9}\n",
                          s.name, s.architecture, s.parameters() / 1e6, s.hiddenSize, s.layers,
                          s.heads, s.kvHeads, s.headDim, s.intermediateSize, s.vocabSize)
                .str();
  return text;
}

} // namespace

const Command &synthCommand() {
  static const std::string text = details();
  static const Command command{"synth", "Write a random-weight model at a real model's shapes",
                               "slmc synth --shape NAME -o DIR [--seed S] [--dtype f32|bf16|f16]",
                               text.c_str(), {"shape", "o", "seed", "dtype"}, runSynth};
  return command;
}

} // namespace slmc::cli
