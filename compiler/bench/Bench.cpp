//===- Bench.cpp - prefill and decode speed of an artifact ----------------===//

#include "compiler/bench/Bench.h"

#include "compiler/artifact/ArtifactReader.h"
#include "compiler/bench/MemoryBandwidth.h"
#include "compiler/bench/ProcessMemory.h"
#include "compiler/runner/RuntimeModel.h"
#include "compiler/support/Error.h"
#include "slm_runtime.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/TargetParser/Host.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <random>
#include <thread>
#include <vector>

namespace slmc::bench {

namespace {

Rate summarize(std::vector<double> rates) {
  std::sort(rates.begin(), rates.end());
  Rate r;
  r.min = rates.front();
  r.max = rates.back();
  size_t n = rates.size();
  r.median = n % 2 ? rates[n / 2] : (rates[n / 2 - 1] + rates[n / 2]) / 2;
  return r;
}

/// Weight bytes one decode step reads: every weight, but an embedding table
/// of which only one row is read when a separate output head exists (a tied
/// table is read whole by the head).
uint64_t decodeReadBytes(const slm::artifact::Manifest &m, uint64_t weightsSize) {
  uint64_t embedding = 0;
  bool head = false;
  for (const auto &t : m.tensors()) {
    llvm::StringRef name = t.name();
    if (name.contains("embed_tokens"))
      embedding += t.size();
    head |= name.contains("lm_head");
  }
  return head ? weightsSize - std::min(embedding, weightsSize) : weightsSize;
}

double seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

} // namespace

std::string cpuName() {
  std::ifstream info("/proc/cpuinfo");
  std::string line;
  while (std::getline(info, line))
    if (llvm::StringRef(line).starts_with("model name"))
      return llvm::StringRef(line).split(':').second.trim().str();
  return llvm::sys::getHostCPUName().str();
}

int resolveThreads(int threads) {
  return threads > 0 ? threads : std::max(1u, std::thread::hardware_concurrency());
}

llvm::json::Object BenchResult::toJson() const {
  return llvm::json::Object{
      {"artifact", artifact},
      {"target", target},
      {"cpu", cpu},
      {"threads", threads},
      {"prompt_tokens", promptTokens},
      {"gen_tokens", genTokens},
      {"repetitions", repetitions},
      {"prefill_tokens_per_second", prefill.median},
      {"prefill_tokens_per_second_min", prefill.min},
      {"prefill_tokens_per_second_max", prefill.max},
      {"decode_tokens_per_second", decode.median},
      {"decode_tokens_per_second_min", decode.min},
      {"decode_tokens_per_second_max", decode.max},
      {"weight_bytes", static_cast<int64_t>(weightBytes)},
      {"decode_weight_bytes_per_token", static_cast<int64_t>(decodeWeightBytes)},
      {"decode_weight_gb_per_second", decodeWeightGBps},
      {"read_gb_per_second", readGBps},
      {"bandwidth_share", bandwidthShare},
      {"peak_rss_bytes", static_cast<int64_t>(peakRssBytes)},
      {"baseline_rss_bytes", static_cast<int64_t>(baselineRssBytes)},
      {"runtime_rss_bytes", static_cast<int64_t>(runtimeRssBytes())},
      {"memory_bound_bytes", static_cast<int64_t>(memoryBoundBytes)},
  };
}

llvm::Expected<BenchResult> benchArtifact(llvm::StringRef path, const BenchOptions &options) {
  if (options.promptTokens < 1 || options.genTokens < 1 || options.repetitions < 1)
    return makeError("prompt tokens, generated tokens and repetitions must be at least 1");
  // The memory from here on is the runtime's: the artifact mapped, its
  // session's KV cache and arena; what is resident now is slmc's own.
  resetPeakResident();
  uint64_t baseline = residentBytes();
  llvm::Expected<OpenedArtifact> opened = openArtifact(path);
  if (!opened)
    return opened.takeError();
  llvm::Expected<ArtifactManifest> manifest = manifestOf(opened->artifact.get(), path);
  if (!manifest)
    return manifest.takeError();
  slm_model_info info;
  slm_artifact_info(opened->artifact.get(), &info);
  if (opened->maxContext < options.promptTokens + options.genTokens)
    return makeError("{0}: a prefill of {1} and {2} decode steps need {3} positions; the "
                     "artifact holds {4} (compile it with a larger --max-context)",
                     path, options.promptTokens, options.genTokens,
                     options.promptTokens + options.genTokens, opened->maxContext);

  BenchResult result;
  result.artifact = path.str();
  result.target = info.target;
  result.cpu = cpuName();
  result.threads = resolveThreads(options.threads);
  result.promptTokens = options.promptTokens;
  result.genTokens = options.genTokens;
  result.repetitions = options.repetitions;
  result.weightBytes = manifest->layout.weights_size;
  result.decodeWeightBytes = decodeReadBytes(manifest->manifest, result.weightBytes);
  const auto &plan = manifest->manifest.memory();
  result.memoryBoundBytes = manifest->layout.file_size + plan.kv_cache_size() + plan.arena_size() +
                            plan.logits_size() + kMemoryAllowance;

  slm_session *session = nullptr;
  if (slm_session_create(opened->artifact.get(), result.threads, &session) != SLM_OK)
    return makeError("{0}: cannot create a session: {1}", path, slm_last_error());
  std::unique_ptr<slm_session, void (*)(slm_session *)> owner(session, slm_session_destroy);

  // Random tokens past the specials, the same for every repetition.
  std::mt19937_64 random(options.seed);
  int64_t first = std::min<int64_t>(3, info.vocab_size - 1);
  std::vector<int32_t> prompt(options.promptTokens), next(options.genTokens);
  for (int32_t &t : prompt)
    t = static_cast<int32_t>(first + random() % (info.vocab_size - first));
  for (int32_t &t : next)
    t = static_cast<int32_t>(first + random() % (info.vocab_size - first));

  std::vector<double> prefillRates, decodeRates;
  for (int rep = 0; rep <= options.repetitions; ++rep) { // rep 0: warm-up
    if (options.progress)
      options.progress(rep == 0 ? std::string("warm-up")
                                : llvm::formatv("repetition {0}/{1}", rep, options.repetitions)
                                      .str());
    slm_session_reset(session);
    auto start = std::chrono::steady_clock::now();
    if (slm_session_prefill(session, prompt.data(), options.promptTokens, 0) != SLM_OK)
      return makeError("{0}: prefill failed: {1}", path, slm_last_error());
    double prefill = seconds(start);
    start = std::chrono::steady_clock::now();
    for (int32_t token : next)
      if (slm_session_decode(session, token) != SLM_OK)
        return makeError("{0}: decode failed: {1}", path, slm_last_error());
    double decode = seconds(start);
    if (rep > 0) {
      prefillRates.push_back(options.promptTokens / prefill);
      decodeRates.push_back(options.genTokens / decode);
    }
  }
  result.prefill = summarize(prefillRates);
  result.decode = summarize(decodeRates);
  owner.reset();
  result.peakRssBytes = peakResidentBytes(); // before the bandwidth buffer
  result.baselineRssBytes = std::min(baseline, result.peakRssBytes);

  if (options.progress)
    options.progress("memory bandwidth");
  result.readGBps = measureReadBandwidth(result.threads) / 1e9;
  result.decodeWeightGBps = result.decodeWeightBytes * result.decode.median / 1e9;
  result.bandwidthShare = result.readGBps > 0 ? result.decodeWeightGBps / result.readGBps : 0;
  return result;
}

} // namespace slmc::bench
