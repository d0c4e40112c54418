//===- CompileCommand.cpp - slmc compile ----------------------------------===//

#include "tools/slmc/Command.h"
#include "tools/slmc/CommonFlags.h"

#include "absl/flags/flag.h"
#include "compiler/calibration/CalibrationData.h"
#include "compiler/calibration/ReportWriter.h"
#include "compiler/driver/Compile.h"
#include "compiler/quant/QuantScheme.h"
#include "compiler/targets/Target.h"
#include "compiler/support/Error.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Path.h"

#include <chrono>
#include <cmath>
#include <limits>

ABSL_FLAG(std::string, target, "host",
          "the device to compile for (see slmc targets); host picks the best for this CPU");
ABSL_FLAG(int64_t, max_context, 0,
          "KV-cache capacity in positions (default: the model's context length)");
ABSL_FLAG(int64_t, max_tokens, slmc::kDefaultMaxTokensPerCall,
          "the most tokens one forward call processes (longer prompts are prefilled in chunks)");

ABSL_FLAG(std::string, quant, "",
          "quantize the weights: a format for every linear and embedding weight (int8, "
          "int4-g32, int4-g64, int4-g128, int5-g32-asym, ...; intB[-gG][-asym], B 2..8) or auto "
          "(per-tensor formats under --bpw or --max-size)");
ABSL_FLAG(std::string, calib, "",
          "calibration text (required for --quant auto): teacher soft targets, sensitivity, "
          "GPTQ Hessians; its last tenth (at most 40 windows of 128) is held out for the report and --max-kl");
ABSL_FLAG(double, bpw, 0, "--quant auto: bits per weight over all weights and scales");
ABSL_FLAG(double, max_size, 0, "--quant auto: weights in MB (10^6 bytes), scales included");
ABSL_FLAG(double, max_kl, std::numeric_limits<double>::quiet_NaN(),
          "fail (non-zero exit, no artifact, report still written) if KL(teacher || quantized "
          "student) on the held-out calibration tail exceeds this");
ABSL_FLAG(std::string, report, "", "write the quantization report as JSON (QuantReport.proto)");
ABSL_FLAG(std::string, report_svg, "", "draw per-layer bits and ΔKL as an SVG chart");
ABSL_FLAG(std::string, weights, "f32",
          "how linear and embedding weights left in float (all of them without --quant) are "
          "stored: f32, bf16 or f16 (rounded to nearest even; kernels widen them as they read)");
ABSL_FLAG(bool, w8a8, false,
          "linears with 8-bit or symmetric 4-bit weights also quantize their inputs to int8 "
          "per token (W8A8, W4A8: integer dot products, VNNI where the target has them); "
          "changes numerics slightly");
ABSL_FLAG(bool, rotate, false,
          "fold random Hadamard rotations into the linear and embedding weights before "
          "quantizing them (incoherence processing: the same function, weights without "
          "outlying columns; each rotated linear input costs one fast Walsh-Hadamard transform)");
ABSL_FLAG(std::string, kv_cache, "f32",
          "how the KV cache stores keys and values: f32, or int8 with a scale per position and "
          "head (a quarter of the memory; changes numerics slightly)");
ABSL_FLAG(std::string, sensitivity, "auto",
          "how --quant finds each tensor's KL cost per format: measure (a forward pass over the "
          "calibration windows per tensor, format and rounding), predict (the Hessian-weighted "
          "rounding error, scaled by end-to-end measurements on a few anchor layers), or auto "
          "(measure while that is estimated to take at most 45 seconds)");
ABSL_FLAG(std::string, tune_steps, "auto",
          "steps of end-to-end scale tuning after rounding: Adam on KL(float student || "
          "quantized student) over the calibration windows moves every group's scale (and minimum), codebook "
          "entries, RMSNorm weights and linear biases, codes fixed; kept only when the teacher's calibration KL drops. auto: as "
          "many (up to 200) as about 30 seconds allow, none for models too large for that; "
          "0: none");
ABSL_FLAG(int64_t, calib_windows, 32,
          "calibration windows of 128 tokens the sensitivity analysis runs on");
ABSL_FLAG(std::string, sign, "",
          "sign the artifact with this secret key (slmc keygen): devices that trust its public "
          "key run it");
ABSL_FLAG(bool, print_ir_after_all, false,
          "print the IR after the import and after every pass of every stage to stderr");
ABSL_FLAG(std::string, dump_ir, "",
          "write the IR after the import and after every pass to DIR, one numbered file each");

namespace slmc::cli {
namespace {

/// The --quant flags as QuantizeOptions, checked in the flags' own terms (the
/// library checks the options again in its own).
llvm::Expected<QuantizeOptions> quantizeOptions(llvm::StringRef model) {
  QuantizeOptions q;
  q.scheme = absl::GetFlag(FLAGS_quant);
  if (q.scheme == "bf16" || q.scheme == "f16")
    return makeError("{0}: --quant {1}: {1} is a float storage, not a quantization; use "
                     "--weights {1}",
                     model, q.scheme);
  q.bitsPerWeight = absl::GetFlag(FLAGS_bpw);
  q.maxSizeMB = absl::GetFlag(FLAGS_max_size);
  q.teacherPath = absl::GetFlag(FLAGS_teacher);
  q.calibPath = absl::GetFlag(FLAGS_calib);
  q.reportPath = absl::GetFlag(FLAGS_report);
  q.svgPath = absl::GetFlag(FLAGS_report_svg);
  q.seed = absl::GetFlag(FLAGS_seed);
  q.calibrationWindows = absl::GetFlag(FLAGS_calib_windows);
  q.threads = absl::GetFlag(FLAGS_threads);
  q.sensitivity = absl::GetFlag(FLAGS_sensitivity);
  if (q.sensitivity != "auto" && q.sensitivity != "measure" && q.sensitivity != "predict")
    return makeError("{0}: --sensitivity must be auto, measure or predict, got '{1}'", model,
                     q.sensitivity);
  if (std::string steps = absl::GetFlag(FLAGS_tune_steps); steps != "auto") {
    if (!llvm::to_integer(steps, q.tuneSteps, 10) || q.tuneSteps < 0)
      return makeError("{0}: --tune-steps must be auto or a count of steps, got '{1}'", model,
                       steps);
  }
  bool automatic = q.scheme == "auto";
  if (!automatic)
    if (auto format = parseTensorFormat(q.scheme); !format)
      return makeError("{0}: --quant: {1}, or auto", model, llvm::toString(format.takeError()));
  bool byBits = isFlagSet("bpw"), bySize = isFlagSet("max_size");
  if (!automatic && (byBits || bySize))
    return makeError("{0}: --bpw and --max-size budget --quant auto; --quant {1} fixes the format",
                     model, q.scheme);
  if (automatic && byBits == bySize)
    return makeError("{0}: --quant auto needs one budget: --bpw X or --max-size MB", model);
  if (q.bitsPerWeight < 0 || q.maxSizeMB < 0)
    return makeError("{0}: --{1} must be positive", model, byBits ? "bpw" : "max-size");
  if (isFlagSet("max_kl")) {
    double maxKl = absl::GetFlag(FLAGS_max_kl);
    if (!std::isfinite(maxKl) || maxKl < 0)
      return makeError("{0}: --max-kl must be a non-negative number, got {1}", model, maxKl);
    q.maxKl = maxKl;
  }
  if (q.calibPath.empty()) {
    if (automatic)
      return makeError("{0}: --quant auto needs --calib TEXT: the allocation is measured on it",
                       model);
    for (const char *flag : {"teacher", "max_kl", "report", "report_svg"})
      if (isFlagSet(flag))
        return makeError("{0}: --{1} needs --calib TEXT", model, dashed(flag));
  }
  if (q.calibrationWindows < kMinCalibrationWindows)
    return makeError("{0}: --calib-windows must be at least {1}, got {2}", model,
                     kMinCalibrationWindows, q.calibrationWindows);
  return q;
}

llvm::Error runCompile(const std::vector<std::string> &args) {
  if (args.size() != 1)
    return makeError("expected exactly one MODEL, got {0} arguments", args.size());
  std::string output = absl::GetFlag(FLAGS_o);
  if (output.empty())
    return makeError("-o FILE.slmpack is required");
  CompileOptions options;
  options.target = absl::GetFlag(FLAGS_target);
  options.maxContext = absl::GetFlag(FLAGS_max_context);
  options.maxTokensPerCall = absl::GetFlag(FLAGS_max_tokens);
  options.w8a8 = absl::GetFlag(FLAGS_w8a8);
  options.rotateWeights = absl::GetFlag(FLAGS_rotate);
  std::string kvCache = absl::GetFlag(FLAGS_kv_cache);
  if (kvCache != "f32" && kvCache != "int8")
    return makeError("--kv-cache must be f32 or int8, got '{0}'", kvCache);
  options.int8KvCache = kvCache == "int8";
  std::string weights = absl::GetFlag(FLAGS_weights);
  if (weights == "bf16")
    options.floatWeights = FloatStorage::bf16;
  else if (weights == "f16")
    options.floatWeights = FloatStorage::f16;
  else if (weights != "f32")
    return makeError("--weights '{0}' is not f32, bf16 or f16", weights);
  options.dump.printAfterAll = absl::GetFlag(FLAGS_print_ir_after_all);
  options.dump.directory = absl::GetFlag(FLAGS_dump_ir);
  if (options.maxContext < 0)
    return makeError("--max-context must be positive, got {0}", options.maxContext);
  if (options.maxTokensPerCall <= 0)
    return makeError("--max-tokens must be positive, got {0}", options.maxTokensPerCall);
  // A wrong --target fails first, then a missing tokenizer (an ONNX file may
  // be a plain graph, which needs none).
  if (auto target = resolveTarget(options.target); !target)
    return target.takeError();
  if (std::string keyPath = absl::GetFlag(FLAGS_sign); !keyPath.empty()) {
    auto key = readSigningKey(keyPath);
    if (!key)
      return key.takeError();
    options.signingKey = std::move(*key);
  }
  if (llvm::Error error = checkTokenizerFlag(
          args[0], !absl::GetFlag(FLAGS_quant).empty() ||
                       llvm::sys::path::extension(args[0]) != ".onnx"))
    return error;
  if (!absl::GetFlag(FLAGS_quant).empty()) {
    auto quantize = quantizeOptions(args[0]);
    if (!quantize)
      return quantize.takeError();
    options.quantize = *quantize;
    options.onQuantReport = [](const slm::quant::QuantReport &report) {
      printReportTable(report, llvm::outs());
    };
  } else {
    for (const char *flag : {"calib", "bpw", "max_size", "max_kl", "report", "report_svg",
                             "teacher", "w8a8"})
      if (isFlagSet(flag))
        return makeError("--{0} needs --quant", dashed(flag));
  }
  auto start = std::chrono::steady_clock::now();
  if (llvm::Error error =
          compileModelFile(args[0], absl::GetFlag(FLAGS_tokenizer), options, output))
    return error;
  llvm::errs() << llvm::formatv(
      "compiled {0} -> {1} in {2:F2} s\n", args[0], output,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return llvm::Error::success();
}

} // namespace

const Command &compileCommand() {
  static const Command command{
      "compile",
      "Compile a model into a device-ready .slmpack artifact",
      "slmc compile MODEL --target T [--max-context N] [--max-tokens N] [--tokenizer FILE]\n"
      "             [--weights f32|bf16|f16]\n"
      "             [--quant SCHEME [--calib TEXT] [--teacher T] [--bpw X | --max-size MB]\n"
      "              [--max-kl X] [--report FILE.json] [--report-svg FILE.svg] [--seed N]\n"
      "              [--calib-windows N] [--sensitivity auto|measure|predict]\n"
      "              [--tune-steps auto|N]]\n"
      "             [--rotate] [--w8a8] [--kv-cache f32|int8] [--sign KEY] [--print-ir-after-all]\n"
      "             [--dump-ir DIR] -o out.slmpack",
      "The artifact holds the machine code for the target, the weights laid out for its\n"
      "kernels, the memory plan and the tokenizer: the tiny runtime (libslmrt) runs it\n"
      "with no other file. Compiling the same inputs twice gives identical bytes.\n\n"
      "--quant quantizes MODEL (the student) with a teacher as the reference signal:\n"
      "KL(teacher || student) on --calib windows ranks every tensor x format, --quant auto\n"
      "picks per-tensor formats that minimise the total under the budget (exactly), and\n"
      "GPTQ rounds each weight. Without --teacher the float student is its own teacher.\n"
      "--sensitivity measure tries every tensor in every format alone; predict scales each\n"
      "tensor's Hessian-weighted rounding error by end-to-end trials on a few anchor layers\n"
      "(auto: measure while that takes at most 45 seconds). Then --tune-steps moves the\n"
      "scales, RMSNorm weights and biases, codes fixed, to lower the KL from the float student\n"
      "end to end.\n"
      "The report (stdout table, --report JSON, --report-svg) gives per tensor the format,\n"
      "bits, ΔKL and round-to-nearest ΔKL, and for teacher, float, RTN and final student:\n"
      "size, bpw, KL, perplexity and same-top-token on the held-out calibration tail. The\n"
      "final student is the artifact itself, scored as slmc eval --held-out scores it;\n"
      "--max-kl X removes it and fails when its KL exceeds X.\n\n"
      "--weights bf16|f16 stores the float weights at half width (after --quant, those it\n"
      "left in float): half the bytes to stream per token, kernels that widen as they read.\n\n"
      "--rotate multiplies each linear weight by a random Hadamard rotation R (and its\n"
      "input by R, in the compiled code): the same model, weights that round with less\n"
      "error at 3 and 4 bits.\n\n"
      "--kv-cache int8 stores the KV cache as int8 codes with an f32 scale per position and\n"
      "head: a quarter of its memory; the quantization report and --max-kl score the\n"
      "artifact with it.\n\n"
      "--print-ir-after-all and --dump-ir show the pipeline: the imported IR, then the IR\n"
      "after every pass of optimize, fuse, plan and lower (docs/ARCHITECTURE.md).",
      {"target", "max_context", "max_tokens", "tokenizer", "o", "weights", "quant", "calib",
       "teacher", "bpw", "max_size", "max_kl", "report", "report_svg", "seed", "calib_windows",
       "sensitivity", "tune_steps", "threads", "rotate", "w8a8", "kv_cache", "sign", "print_ir_after_all", "dump_ir"},
      runCompile};
  return command;
}

} // namespace slmc::cli
