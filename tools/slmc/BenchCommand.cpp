//===- BenchCommand.cpp - slmc bench --------------------------------------===//

#include "tools/slmc/Command.h"
#include "tools/slmc/CommonFlags.h"

#include "absl/flags/flag.h"
#include "compiler/bench/Bench.h"
#include "compiler/bench/MemoryBandwidth.h"
#include "compiler/driver/Compile.h"
#include "compiler/runner/RuntimeModel.h"
#include "compiler/support/Error.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

ABSL_FLAG(int64_t, prompt_tokens, 128, "tokens in each prefill");
ABSL_FLAG(int64_t, gen_tokens, 64, "single-token decode steps after each prefill");
ABSL_FLAG(int32_t, repetitions, 5, "timed repetitions after one warm-up");
ABSL_FLAG(bool, memory, false, "only measure this machine's memory read bandwidth");

namespace slmc::cli {
namespace {

void progress(llvm::StringRef what) {
  if (llvm::errs().is_displayed())
    llvm::errs() << llvm::formatv("\r\x1b[Kbench: {0}", what);
}

void printTable(const bench::BenchResult &r) {
  llvm::outs() << llvm::formatv("{0}\n{1}, target {2}, {3} thread(s), {4} repetitions (medians)\n\n",
                                r.artifact, r.cpu, r.target, r.threads, r.repetitions);
  llvm::outs() << llvm::formatv("{0,-14} {1,12} {2,12} {3,12}\n", "test", "tokens/s", "min", "max");
  llvm::outs() << llvm::formatv("{0,-14} {1,12:f1} {2,12:f1} {3,12:f1}\n",
                                "pp" + std::to_string(r.promptTokens), r.prefill.median,
                                r.prefill.min, r.prefill.max);
  llvm::outs() << llvm::formatv("{0,-14} {1,12:f1} {2,12:f1} {3,12:f1}\n",
                                "tg" + std::to_string(r.genTokens), r.decode.median, r.decode.min,
                                r.decode.max);
  llvm::outs() << llvm::formatv(
      "\ndecode reads {0:f1} MB of weights per token: {1:f2} GB/s of the {2:f2} GB/s this machine "
      "reads with {3} thread(s) ({4:f0}%)\n",
      r.decodeWeightBytes / 1e6, r.decodeWeightGBps, r.readGBps, r.threads,
      100 * r.bandwidthShare);
  llvm::outs() << llvm::formatv(
      "peak resident memory {0:f1} MB: the runtime's {1:f1} MB over slmc's own {2:f1} MB; the "
      "runtime's bound (artifact, KV cache, arena, 64 MiB) is {3:f1} MB: {4}\n",
      r.peakRssBytes / 1e6, r.runtimeRssBytes() / 1e6, r.baselineRssBytes / 1e6,
      r.memoryBoundBytes / 1e6, r.runtimeRssBytes() <= r.memoryBoundBytes ? "within" : "OVER");
}

llvm::Error runBench(const std::vector<std::string> &args) {
  int threads = absl::GetFlag(FLAGS_threads);
  if (threads < 0)
    return makeError("--threads must be 0 (one per CPU) or more, not {0}", threads);
  if (absl::GetFlag(FLAGS_memory)) {
    if (!args.empty())
      return makeError("slmc bench --memory takes no model");
    int n = bench::resolveThreads(threads);
    progress("memory bandwidth");
    double rate = bench::measureReadBandwidth(n) / 1e9;
    progress("");
    if (absl::GetFlag(FLAGS_json))
      llvm::outs() << llvm::formatv(
          "{0}\n", llvm::json::Value(llvm::json::Object{{"read_gb_per_second", rate},
                                                        {"threads", n},
                                                        {"cpu", bench::cpuName()}}));
    else
      llvm::outs() << llvm::formatv("{0}: {1:f2} GB/s read with {2} thread(s)\n",
                                    bench::cpuName(), rate, n);
    return llvm::Error::success();
  }
  if (args.size() != 1)
    return makeError("slmc bench takes one MODEL or ARTIFACT");
  bench::BenchOptions options;
  options.promptTokens = absl::GetFlag(FLAGS_prompt_tokens);
  options.genTokens = absl::GetFlag(FLAGS_gen_tokens);
  options.repetitions = absl::GetFlag(FLAGS_repetitions);
  options.threads = threads;
  options.seed = absl::GetFlag(FLAGS_seed);
  options.progress = progress;
  if (options.promptTokens < 1 || options.genTokens < 1 || options.repetitions < 1)
    return makeError("--prompt-tokens, --gen-tokens and --repetitions must be at least 1");

  // A model is compiled for this machine first (f32), into a temporary file.
  std::string path = args[0];
  llvm::SmallString<128> temporary;
  auto cleanup = llvm::make_scope_exit([&] {
    if (!temporary.empty())
      llvm::sys::fs::remove(temporary);
  });
  if (!isArtifact(path)) {
    if (llvm::Error e = checkTokenizerFlag(path))
      return e;
    if (std::error_code ec = llvm::sys::fs::createTemporaryFile("slmc-bench", "slmpack", temporary))
      return makeError("cannot create a temporary artifact: {0}", ec.message());
    progress("compiling " + path + " for the host");
    CompileOptions compile;
    compile.maxContext = options.promptTokens + options.genTokens;
    if (llvm::Error e = compileModelFile(path, absl::GetFlag(FLAGS_tokenizer), compile, temporary))
      return e;
    path = temporary.str().str();
  }
  llvm::Expected<bench::BenchResult> result = bench::benchArtifact(path, options);
  progress("");
  if (llvm::errs().is_displayed())
    llvm::errs() << "\r";
  if (!result)
    return result.takeError();
  result->artifact = args[0];
  if (absl::GetFlag(FLAGS_json))
    llvm::outs() << llvm::formatv("{0}\n", llvm::json::Value(result->toJson()));
  else
    printTable(*result);
  return llvm::Error::success();
}

} // namespace

const Command &benchCommand() {
  static const Command command{
      "bench",
      "Measure prefill and decode speed against this machine's memory bandwidth",
      "slmc bench MODEL|ARTIFACT [--prompt-tokens 128] [--gen-tokens 64] [--threads N]\n"
      "           [--repetitions R] [--seed S] [--json]\n"
      "slmc bench --memory [--threads N] [--json]",
      "As llama.cpp's llama-bench: one warm-up, then R repetitions of a prefill of P random\n"
      "tokens (pp) and of G single-token decode steps after it (tg), on the tiny runtime;\n"
      "medians, minimums and maximums in tokens/s. In the same run it measures how fast\n"
      "this machine reads memory with the same threads (a streaming read of 1 GiB), and\n"
      "relates decode to it: a decode step reads every weight once, so weight bytes per\n"
      "token x tokens/s is at most that bandwidth (bandwidth_share <= 1). A MODEL is first\n"
      "compiled for the host (f32) into a temporary file; compile it yourself to bench\n"
      "a quantized format or another target.",
      {"prompt_tokens", "gen_tokens", "threads", "repetitions", "seed", "json", "memory",
       "tokenizer"},
      runBench};
  return command;
}

} // namespace slmc::cli
