//===- Compile.cpp - model -> .slmpack artifact ---------------------------===//

#include "compiler/driver/Compile.h"

#include "compiler/Version.h"
#include "compiler/calibration/ProgressBar.h"
#include "compiler/runner/Perplexity.h"
#include "compiler/runner/ModelLoader.h"
#include "compiler/quant/WeightTensors.h"
#include "compiler/support/Error.h"
#include "compiler/pipeline/Pipeline.h"
#include "passes/Passes.h"
#include "dialects/slm/IR/SlmOps.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

namespace slmc {
namespace {

void fillSignature(google::protobuf::RepeatedPtrField<slm::artifact::TensorInfo> *out,
                   const std::vector<TensorSignature> &tensors) {
  for (const TensorSignature &t : tensors) {
    slm::artifact::TensorInfo *info = out->Add();
    info->set_name(t.name);
    info->set_dtype(t.dtype);
    info->set_layout("row_major");
    for (int64_t d : t.shape)
      info->add_shape(d);
  }
}

slm::artifact::Manifest manifestFor(const CompiledModel &m, const CompileOptions &options,
                                    int64_t parameters, int64_t slidingWindow) {
  slm::artifact::Manifest manifest;
  manifest.set_producer(std::string("slmc ") + SLMC_VERSION_STRING);
  slm::artifact::Target *target = manifest.mutable_target();
  target->set_name(m.target.name);
  target->set_triple(m.target.triple);
  target->set_cpu(m.target.cpu);
  target->set_llvm_features(m.target.features);
  for (const std::string &f : m.target.requiredFeatures)
    target->add_required_features(f);

  slm::artifact::ModelConfig *model = manifest.mutable_model();
  model->set_architecture(m.model.architecture.empty() ? "graph" : m.model.architecture);
  model->set_vocab_size(m.model.vocabSize);
  if (const auto &decoder = m.model.decoder) {
    model->set_hidden_size(decoder->hiddenSize);
    model->set_layers(decoder->layers);
    model->set_heads(decoder->heads);
    model->set_kv_heads(decoder->kvHeads);
    model->set_head_dim(decoder->headDim);
    model->set_max_context(m.model.maxPositions);
  }
  model->set_bos_token_id(m.model.bosTokenId);
  model->set_eos_token_id(m.model.eosTokenId);
  model->set_parameters(parameters);
  model->set_sliding_window(slidingWindow);

  slm::artifact::EntryPoint *entry = manifest.add_entry_points();
  entry->set_name(m.entryPoint);
  entry->set_kind(m.entryKind);
  fillSignature(entry->mutable_inputs(), m.inputs);
  fillSignature(entry->mutable_outputs(), m.outputs);
  for (const KernelCalls &calls : m.kernelCalls) {
    slm::artifact::KernelCalls *recorded = entry->add_kernel_calls();
    recorded->set_kernel(calls.kernel);
    recorded->set_count(calls.count);
  }

  slm::artifact::MemoryPlan *memory = manifest.mutable_memory();
  memory->set_arena_size(m.arenaSize);
  memory->set_kv_cache_size(m.kvCacheSize);
  memory->set_max_tokens_per_call(m.maxTokensPerCall);
  memory->set_logits_size(m.logitsSize);
  // convert-slm-to-llvm gives every decoder step the flag.
  memory->set_last_logits_on_request(m.entryKind == "decoder_step");

  if (!options.tokenizer.empty()) {
    manifest.mutable_tokenizer()->set_kind(tokenizerKind(options.tokenizer).str());
    manifest.mutable_tokenizer()->set_data(options.tokenizer);
    if (options.chat) {
      slm::artifact::ChatTemplate *chat = manifest.mutable_tokenizer()->mutable_chat();
      chat->set_source(options.chat->templateSource);
      chat->set_bos_token(options.chat->bosToken);
      chat->set_eos_token(options.chat->eosToken);
      for (int32_t id : options.chat->stopIds)
        chat->add_stop_token_ids(id);
    }
  }
  slm::artifact::CompileOptions *recorded = manifest.mutable_options();
  recorded->set_max_context(m.model.decoder ? m.model.maxPositions : 0);
  recorded->set_weight_format(options.weightFormat);
  recorded->set_w8a8(options.w8a8);
  recorded->set_kv_cache(m.model.decoder && m.model.decoder->int8KvCache ? "int8" : "f32");
  recorded->set_source_model(options.sourceName);
  return manifest;
}

} // namespace

llvm::Expected<ArtifactContents> buildArtifact(mlir::ModuleOp module, const CompileOptions &options,
                                               CompiledModel &compiled) {
  auto target = resolveTarget(options.target);
  if (!target)
    return target.takeError();
  if (options.maxTokensPerCall <= 0)
    return makeError("the most tokens per call must be positive, got {0}",
                     options.maxTokensPerCall);
  int64_t parameters = countWeightBits(module).parameters;
  // Windowed layers' KV caches become rings (slm::cacheRows): the runtime's
  // sessions then cannot rewind, which the manifest tells its readers.
  int64_t slidingWindow = 0;
  slm::ModelAttr model = slm::getModel(module);
  int64_t context = options.maxContext > 0 ? options.maxContext
                    : model                ? model->maxPositions
                                           : 0;
  module.walk([&](slm::AttentionOp op) {
    auto window = op.getWindow();
    if (window && op.getKeyCache() && static_cast<int64_t>(*window) < context)
      slidingWindow = std::max<int64_t>(slidingWindow, static_cast<int64_t>(*window));
  });
  auto generated = generateCode(
      module, {*target, options.maxContext, options.maxTokensPerCall, options.w8a8,
               options.int8KvCache, options.dump});
  if (!generated)
    return generated.takeError();
  compiled = std::move(*generated);
  ArtifactContents contents;
  contents.manifest = manifestFor(compiled, options, parameters, slidingWindow);
  contents.code = compiled.code;
  for (const PlacedWeight &w : compiled.weights)
    contents.weights.push_back({w.name, w.shape, w.dtype, w.layout, w.bytes, w.offset});
  contents.signer = options.signingKey;
  return contents;
}

/// The artifact of a calibrated quantization, judged as it ships: written
/// beside `output`, scored on the held-out windows against the teacher (the
/// float model itself in self-distillation) exactly as `slmc eval ARTIFACT
/// --held-out --teacher T` scores it, the report finished and printed, and
/// renamed to `output` only when the gate passes: CI must not ship a failed one.
llvm::Error writeJudgedArtifact(const ArtifactContents &contents, llvm::StringRef modelPath,
                                const CompileOptions &options, QuantizeOutcome &outcome,
                                llvm::StringRef output) {
  const QuantizeOptions &q = *options.quantize;
  std::string unverified = (output + ".unverified").str();
  if (llvm::Error error = writeArtifact(contents, unverified))
    return error;
  auto judge = [&]() -> llvm::Error {
    auto artifact = openRunnable(unverified, "", q.threads, q.context, /*needsTokenizer=*/false);
    if (!artifact)
      return makeError("{0}: the compiled artifact: {1}", modelPath,
                       llvm::toString(artifact.takeError()));
    std::string teacherPath = q.teacherPath.empty() ? modelPath.str() : q.teacherPath;
    auto teacher = openRunnable(teacherPath, "", q.threads, q.context, /*needsTokenizer=*/false);
    if (!teacher)
      return makeError("teacher: {0}", llvm::toString(teacher.takeError()));
    ProgressBar bar("artifact", static_cast<int64_t>(outcome.heldOut.windows.size()), q.progress);
    auto shipped = evaluatePerplexity(*artifact->model, outcome.heldOut, teacher->model.get(),
                                      [&](int64_t, int64_t) { bar.advance(); });
    if (!shipped)
      return makeError("{0}: scoring the compiled artifact: {1}", modelPath,
                       llvm::toString(shipped.takeError()));
    if (llvm::Error error = finishQuantization(outcome, *shipped, q))
      return makeError("{0}: {1}", modelPath, llvm::toString(std::move(error)));
    if (options.onQuantReport)
      options.onQuantReport(*outcome.report);
    if (!outcome.gatePassed)
      return makeError("{0}: {1}", modelPath, outcome.gateMessage);
    if (std::error_code ec = llvm::sys::fs::rename(unverified, output))
      return makeError("{0}: cannot write: {1}", output, ec.message());
    return llvm::Error::success();
  };
  llvm::Error error = judge();
  if (error)
    llvm::sys::fs::remove(unverified);
  return error;
}

llvm::Error compileModelFile(llvm::StringRef modelPath, llvm::StringRef tokenizerPath,
                             const CompileOptions &requested, llvm::StringRef output) {
  // A wrong --target fails before the (possibly long) import.
  if (auto target = resolveTarget(requested.target); !target)
    return target.takeError();
  auto imported = importModel(modelPath, requested.dump);
  if (!imported)
    return imported.takeError();
  CompileOptions options = requested;
  options.sourceName = llvm::sys::path::filename(llvm::sys::path::remove_leading_dotslash(
                                                     modelPath.rtrim('/')))
                           .str();
  // The artifact carries its tokenizer so that it runs with no other file.
  std::string path = tokenizerPath.str();
  if (path.empty() && llvm::sys::fs::is_directory(modelPath))
    path = (modelPath.rtrim('/') + "/tokenizer.json").str();
  if (path.empty() && imported->contract.hasKvCache())
    return makeError("{0}: an artifact carries its tokenizer, and this model comes without one",
                     modelPath);
  if (!path.empty()) {
    auto contents = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
    if (!contents)
      return makeError("{0}: cannot read: {1}", path, contents.getError().message());
    options.tokenizer = (*contents)->getBuffer().str();
  }
  std::unique_ptr<Tokenizer> tokenizer;
  if (!path.empty()) {
    auto parsed = parseTokenizer(path, options.tokenizer, imported->contract.vocabSize);
    if (!parsed)
      return parsed.takeError();
    tokenizer = std::move(*parsed);
    tokenizer->setSpecialIds(imported->contract.bosTokenId, imported->contract.eosTokenId);
    // A Hugging Face folder's chat template travels with its tokenizer.
    if (llvm::sys::fs::is_directory(modelPath)) {
      auto chat = readChatFormat(modelPath, *tokenizer, imported->contract.eosTokenId);
      if (!chat)
        return chat.takeError();
      options.chat = std::move(*chat);
    }
  }
  if (options.rotateWeights) {
    if (llvm::Error error = runStage(
            "rotate", *imported->module,
            [](mlir::OpPassManager &pm) { pm.addPass(createRotateWeights()); }, options.dump))
      return makeError("{0}: {1}", modelPath, llvm::toString(std::move(error)));
  }
  std::optional<QuantizeOutcome> quantized;
  if (options.quantize) {
    if (!tokenizer)
      return makeError("{0}: quantization needs the model's tokenizer, and this model comes "
                       "without one",
                       modelPath);
    QuantizeOptions quantize = *options.quantize;
    quantize.student = modelPath.str();
    quantize.integerActivations = options.w8a8;
    auto outcome = quantizeStudent(*imported->module, *tokenizer, quantize);
    if (!outcome)
      return makeError("{0}: {1}", modelPath, llvm::toString(outcome.takeError()));
    options.weightFormat = outcome->weightFormat;
    quantized = std::move(*outcome);
  }
  if (options.rotateWeights)
    options.weightFormat += ", Hadamard-rotated";
  if (options.floatWeights != FloatStorage::f32) {
    const char *storage = options.floatWeights == FloatStorage::bf16 ? "bf16" : "f16";
    std::vector<WeightTensor> floats = collectWeightTensors(*imported->module);
    for (const WeightTensor &w : floats)
      replaceWithNarrowed(w, options.floatWeights);
    options.weightFormat = options.quantize
                               ? llvm::formatv("{0}, the rest {1}", options.weightFormat, storage)
                                     .str()
                               : std::string(storage);
  }
  CompiledModel compiled;
  auto contents = buildArtifact(*imported->module, options, compiled);
  if (!contents)
    return makeError("{0}: {1}", modelPath, llvm::toString(contents.takeError()));
  if (quantized && quantized->report)
    return writeJudgedArtifact(*contents, modelPath, options, *quantized, output);
  return writeArtifact(*contents, output);
}

} // namespace slmc
