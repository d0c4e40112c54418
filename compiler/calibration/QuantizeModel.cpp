//===- QuantizeModel.cpp - distillation-aware quantization of a student ---===//

#include "compiler/calibration/QuantizeModel.h"

#include "compiler/Version.h"
#include "compiler/calibration/CalibrationData.h"
#include "compiler/calibration/LayerHessians.h"
#include "compiler/calibration/ProgressBar.h"
#include "compiler/calibration/ReportWriter.h"
#include "compiler/calibration/ScaleTuning.h"
#include "compiler/calibration/SensitivityPredictor.h"
#include "compiler/runner/ModelLoader.h"
#include "compiler/runner/ReferenceModel.h"
#include "compiler/executor/Executor.h"
#include "compiler/quant/BitAllocation.h"
#include "compiler/quant/Codebook.h"
#include "compiler/quant/Gptq.h"
#include "compiler/quant/QuantScheme.h"
#include "compiler/quant/TableRowClasses.h"
#include "compiler/quant/WeightTensors.h"
#include "compiler/support/Error.h"
#include "compiler/support/ParallelFor.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <chrono>
#include <cmath>

namespace slmc {
namespace {

/// Per-group clip ratios GPTQ and the clip search choose among.
constexpr float kClipGrid[] = {1.0f, 0.95f, 0.9f, 0.85f, 0.8f, 0.75f, 0.7f};

/// The ways a tensor may be rounded to a format; which one is used is decided
/// per tensor and format by ΔKL on the calibration windows.
enum class Rounding { RoundToNearest, ClipSearch, GptqClipped };

const char *roundingName(Rounding r) {
  switch (r) {
  case Rounding::RoundToNearest: return "rtn";
  case Rounding::ClipSearch: return "clip";
  case Rounding::GptqClipped: return "gptq+clip";
  }
  return "";
}

/// The GPTQ factor of the Hessian (and dampening) last asked for, computed on
/// first use and kept while the same ones come back: for every format a tensor is
/// rounded in, and for the next tensors that share it (q/k/v, gate/up read
/// one input, so LayerHessians gives them the same memory).
class LazyGptqFactor {
public:
  llvm::Expected<const GptqFactor *> get(llvm::ArrayRef<double> hessian, int64_t columns,
                                         double dampening) {
    if (!factor_ || hessian.data() != key_ || dampening != dampening_) {
      factor_.reset();
      auto computed = GptqFactor::compute(hessian, columns, dampening);
      if (!computed)
        return computed.takeError();
      factor_ = std::move(*computed);
      key_ = hessian.data();
      dampening_ = dampening;
    }
    return &*factor_;
  }

private:
  const double *key_ = nullptr;
  double dampening_ = 0;
  std::optional<GptqFactor> factor_;
};

/// GPTQ's dampening (a fraction of the Hessian's mean diagonal) for a linear
/// weight, and for an embedding table tied to the output head: there the
/// Hessian is the head's, and the compensation it steers into directions the
/// head does not see lands on the lookups, which see every direction. A ridge
/// of 3x the mean diagonal trades some of the head's gain for the lookups'
/// (TinyStories-656K's table, PyTorch fake quantization on held-out text, KL
/// with both roles quantized: 4 bits g64 0.0475 at 0.01, 0.0349 at 1, 0.0334
/// at 3, round to nearest with clip-searched scales 0.0364; 3 bits 0.225,
/// 0.161, 0.152, 0.164).
constexpr double kLinearDampening = 0.01;
constexpr double kTiedEmbeddingDampening = 3.0;

/// The diagonal of a layer input's Hessian (empty without one).
std::vector<double> hessianDiagonal(llvm::ArrayRef<double> hessian, int64_t columns) {
  std::vector<double> diagonal;
  for (int64_t c = 0; !hessian.empty() && c < columns; ++c)
    diagonal.push_back(hessian[c * columns + c]);
  return diagonal;
}

/// The table a codebook format rounds `w` to, fitted under the Hessian's
/// diagonal (deterministic, so every trial and the final rounding of a tensor
/// in a format agree); empty for integer formats.
std::vector<float> codebookFor(const WeightTensor &w, const slm::WeightFormat &format,
                               llvm::ArrayRef<double> hessian) {
  if (!format.codebook)
    return {};
  return fitCodebook(w.values, w.rows, w.columns, format, kClipGrid,
                     hessianDiagonal(hessian, w.columns));
}

/// `codebook`: codebookFor(w, format, hessian), fitted once per tensor and
/// format by the sensitivity analysis.
llvm::Expected<QuantizedWeight> roundTensor(const WeightTensor &w, const slm::WeightFormat &format,
                                            llvm::ArrayRef<float> codebook, Rounding rounding,
                                            llvm::ArrayRef<double> hessian,
                                            LazyGptqFactor &gptq) {
  switch (rounding) {
  case Rounding::RoundToNearest:
    return quantizeRoundToNearest(w.values, w.rows, w.columns, format, 1.0f, codebook);
  case Rounding::ClipSearch:
    return quantizeWithClipSearch(w.values, w.rows, w.columns, format, kClipGrid, {}, codebook);
  case Rounding::GptqClipped: {
    auto factor = gptq.get(hessian, w.columns,
                           w.feedsEmbedding ? kTiedEmbeddingDampening : kLinearDampening);
    if (!factor)
      return factor.takeError();
    return quantizeGptq(w.values, w.rows, w.columns, format, **factor, kClipGrid,
                        /*blockColumns=*/128, codebook);
  }
  }
  llvm_unreachable("rounding");
}

/// What the sensitivity analysis measured for one tensor in one format.
struct Measurement {
  TensorFormat format;
  int64_t bits = 0;
  /// What the allocator weighs: measured end to end, or predicted.
  double deltaKl = 0, rtnDeltaKl = 0;
  double predictedDeltaKl = 0;
  Rounding rounding = Rounding::RoundToNearest;
  std::vector<float> codebook; // codebookFor the tensor in this format
};

/// The student with some weights swapped for fake-quantized values.
class TrialStudent {
public:
  TrialStudent(ReferenceModel &model, const std::vector<WeightTensor> &weights)
      : model_(model), weights_(weights) {}

  llvm::Error set(size_t i, const std::vector<float> &values) {
    const WeightTensor &w = weights_[i];
    return model_.executor().replaceConstant(
        w.constant, exec::Tensor::fromValues<float>(exec::DType::F32, {w.rows, w.columns}, values));
  }
  llvm::Error restore(size_t i) {
    const WeightTensor &w = weights_[i];
    return model_.executor().replaceConstant(
        w.constant,
        exec::Tensor::view(exec::DType::F32, {w.rows, w.columns}, w.values.data(), nullptr));
  }
  llvm::Error restoreAll() {
    for (size_t i = 0; i < weights_.size(); ++i)
      if (llvm::Error error = restore(i))
        return error;
    return llvm::Error::success();
  }

private:
  ReferenceModel &model_;
  const std::vector<WeightTensor> &weights_;
};

struct Budget {
  int64_t bits = 0;
  double bitsPerWeight = 0;
};

llvm::Expected<std::optional<Budget>> resolveBudget(const QuantizeOptions &o, bool automatic,
                                                    const WeightBits &total) {
  bool byBits = o.bitsPerWeight != 0, bySize = o.maxSizeMB != 0;
  if (!automatic) {
    if (byBits || bySize)
      return makeError("a budget chooses formats; the format {0} is fixed", o.scheme);
    return std::nullopt;
  }
  if (byBits == bySize)
    return makeError("an automatic choice of formats needs one budget: bits per weight or a size");
  if (o.bitsPerWeight < 0 || o.maxSizeMB < 0)
    return makeError("the budget must be positive, got {0}",
                     byBits ? o.bitsPerWeight : o.maxSizeMB);
  Budget budget;
  budget.bits = byBits ? static_cast<int64_t>(o.bitsPerWeight * total.parameters)
                       : static_cast<int64_t>(o.maxSizeMB * 8e6);
  budget.bitsPerWeight = double(budget.bits) / total.parameters;
  return std::optional<Budget>(budget);
}

void fillSummary(slm::quant::ModelSummary *s, llvm::StringRef name, int64_t bits,
                 int64_t parameters, const PerplexityResult &heldOut,
                 std::optional<double> calibrationKl) {
  s->set_name(name.str());
  s->set_size_bytes(static_cast<uint64_t>((bits + 7) / 8));
  s->set_bits_per_weight(double(bits) / parameters);
  s->set_kl_to_teacher(heldOut.klToTeacher.value_or(0));
  s->set_perplexity(heldOut.perplexity);
  s->set_top1_agreement(heldOut.top1Agreement.value_or(1));
  if (calibrationKl)
    s->set_calibration_kl(*calibrationKl);
}

/// Whether `format` is weighed for `w`: allocatorOffers for --quant auto, a
/// fixed scheme's one format everywhere.
bool offered(const QuantizeOptions &o, const TensorFormat &format, const WeightTensor &w) {
  return o.scheme != "auto" || allocatorOffers(format, w.columns);
}

/// The candidate formats: one fixed format, or every format the allocator
/// may choose from.
llvm::Expected<std::vector<TensorFormat>> candidateFormats(const QuantizeOptions &o) {
  if (o.scheme == "auto")
    return allocatorCandidates(o.integerActivations);
  auto format = parseTensorFormat(o.scheme);
  if (!format)
    return makeError("{0}, or auto", llvm::toString(format.takeError()));
  return std::vector<TensorFormat>{*format};
}

/// The options a caller may get wrong, in the options' own terms (a command
/// line checks its flags first and words them its way).
llvm::Error checkOptions(const QuantizeOptions &o) {
  if (o.calibPath.empty()) {
    if (o.scheme == "auto")
      return makeError("an automatic choice of formats is measured on calibration text; "
                       "there is none");
    if (!o.teacherPath.empty() || o.maxKl || !o.reportPath.empty() || !o.svgPath.empty())
      return makeError("a teacher, a gate and reports are measured on calibration text; "
                       "there is none");
  }
  if (o.context < 8)
    return makeError("the calibration context must be at least 8 tokens, got {0}", o.context);
  if (o.calibrationWindows < kMinCalibrationWindows)
    return makeError("calibration needs at least {0} windows, got {1}", kMinCalibrationWindows,
                     o.calibrationWindows);
  if (o.sensitivity != "auto" && o.sensitivity != "measure" && o.sensitivity != "predict")
    return makeError("the sensitivity is found by auto, measure or predict, not '{0}'",
                     o.sensitivity);
  if (o.maxKl && (!std::isfinite(*o.maxKl) || *o.maxKl < 0))
    return makeError("the gate's KL limit must be a non-negative number, got {0}", *o.maxKl);
  return llvm::Error::success();
}

/// The quantizable weights, their budget and what the smallest formats cost.
struct WeightPlan {
  std::vector<WeightTensor> weights;
  WeightBits total;
  int64_t otherBits = 0; // norms and whatever is not quantizable
  std::optional<Budget> budget;
};

llvm::Expected<WeightPlan> planWeights(mlir::ModuleOp student, const QuantizeOptions &o,
                                       const std::vector<TensorFormat> &candidates) {
  WeightPlan plan;
  plan.weights = collectWeightTensors(student);
  if (plan.weights.empty())
    return makeError("the model has no linear or embedding weights to quantize (matrix "
                     "products with constant weights and gathers from constant tables)");
  plan.total = countWeightBits(student);
  int64_t floatBits = 0, cheapest = 0;
  std::vector<std::string> cheapestFormats; // each tensor's, once each
  for (const WeightTensor &w : plan.weights) {
    floatBits += w.rows * w.columns * 32;
    int64_t least = INT64_MAX;
    TensorFormat leastFormat;
    for (const TensorFormat &f : candidates) {
      int64_t bits = tensorFormatBits(f, w.rows, w.columns);
      if (offered(o, f, w) && bits < least) {
        least = bits;
        leastFormat = f;
      }
    }
    cheapest += least;
    if (!llvm::is_contained(cheapestFormats, tensorFormatName(leastFormat)))
      cheapestFormats.push_back(tensorFormatName(leastFormat));
  }
  plan.otherBits = plan.total.bits - floatBits;
  auto budget = resolveBudget(o, o.scheme == "auto", plan.total);
  if (!budget)
    return budget.takeError();
  plan.budget = *budget;
  if (plan.budget && plan.budget->bits < plan.otherBits + cheapest)
    return makeError("the budget of {0:F3} bits per weight is below the smallest this model "
                     "allows, {1:F3} (every tensor in its cheapest format, {2})",
                     plan.budget->bitsPerWeight,
                     double(plan.otherBits + cheapest) / plan.total.parameters,
                     llvm::join(cheapestFormats, ", "));
  return plan;
}

/// Nominal seconds end-to-end tuning may take when its steps are not given:
/// a step is a forward and a backward pass (about three forward passes) over
/// kTuningWindowsPerStep windows.
constexpr double kTuningSeconds = 30;
constexpr int64_t kMaxTuningSteps = 200, kMinTuningSteps = 20;
constexpr int64_t kTuningWindowsPerStep = 8;
/// Codes move in tuning at this rate (ScaleTuningOptions::codeRate) in models
/// of at most kMaxCodeTunedWeights weights (their offsets and Adam state, 24
/// bytes a weight, stay under 1.6 GB). TinyStories-656K, held-out KL, seed 0: codes
/// fixed 0.120, 0.0278, 0.00353 at 3.5, 4.5, 6.125 bpw; rate 5: 0.0253 at
/// 4.5; rate 7: 0.101 at 3.5; rate 10: 0.0987, 0.0232, 0.00305; rate 15 or
/// more moves a quarter of the codes or more and the KL rises.
constexpr double kTuningCodeRate = 10;
constexpr int64_t kMaxCodeTunedWeights = int64_t(64) << 20;

/// A tuning step's nominal seconds on `windows` windows available.
double tuningStepSeconds(const WeightPlan &plan, const QuantizeOptions &o, int64_t windows) {
  return 3 * nominalPassSeconds(plan.total.parameters,
                                std::min(kTuningWindowsPerStep, windows) * o.context);
}

/// The steps scale tuning runs: --tune-steps, or what kTuningSeconds allow
/// (none below kMinTuningSteps).
int64_t tuningSteps(const WeightPlan &plan, const QuantizeOptions &o, int64_t windows) {
  if (o.tuneSteps >= 0)
    return o.tuneSteps;
  int64_t steps = std::min<int64_t>(
      kMaxTuningSteps, int64_t(kTuningSeconds / tuningStepSeconds(plan, o, windows)));
  return steps < kMinTuningSteps ? 0 : steps;
}

/// Calibration windows, the student and its teacher on them: the teacher's
/// soft targets, the float student's agreement with them and its layer
/// Hessians.
struct Calibration {
  CalibrationText text;
  std::unique_ptr<ReferenceModel> student;
  std::optional<RunnableModel> teacherRunnable;
  /// The float student the self-distilling teacher runs: a copy, since the
  /// student's IR changes under it (splitByTokenImportance).
  mlir::OwningOpRef<mlir::ModuleOp> selfTeacherIR;
  std::unique_ptr<LanguageModel> selfTeacher;
  LanguageModel *teacher = nullptr;
  WeightBits teacherBits;
  WeightBits floatStudentBits; // as imported, before splitByTokenImportance
  std::optional<SoftTargets> targets;
  SoftTargets::Agreement floatAgreement;
  std::unique_ptr<LayerHessians> hessians;
  int64_t hessianWindows = 0;
  /// The windows the Hessians ran on and the float student's distributions
  /// there (taken from the same passes; top-k beyond kTopTargets tokens):
  /// what scale tuning trains on. With a teacher of its own too: tuned on
  /// the teacher, the scales also fit part of the student's own distance
  /// from it on these windows, which held-out text does not reward (the
  /// distilled student, three seeds, held-out KL to the teacher, guided
  /// minus self-distillation: +0.0062 and +0.0039 at 3.5 and 4.5 bpw when
  /// tuned on the teacher, +0.0014 and +0.0009, within the seed noise, when
  /// tuned on the float student).
  std::vector<std::vector<int32_t>> tuningWindows;
  std::optional<SoftTargets> tuningTargets;
  /// One pass of the float student over the windows, nominally
  /// (nominalPassSeconds: the same on every machine and load).
  double compareSeconds = 0;
};

/// A forward pass over this many parameter-tokens is what the Hessians may
/// cost: every window (up to kMaxHessianWindows) of a model of a few million
/// parameters, 46 windows of 128 tokens (two minutes on 2 cores) for
/// a 0.5B one.
constexpr double kHessianParameterTokens = 3e12;

/// How many of the Hessian windows to run: what the work allows, but never
/// fewer tokens than the widest linear input has columns (a Hessian of lower
/// rank leaves GPTQ only the dampening to go on).
int64_t hessianWindowCount(const WeightPlan &plan, int64_t context, int64_t available) {
  int64_t widest = 0;
  for (const WeightTensor &w : plan.weights)
    if (w.feedsLinear)
      widest = std::max(widest, w.columns);
  double affordable = kHessianParameterTokens / (double(plan.total.parameters) * context);
  int64_t wanted = std::max<int64_t>((widest + context - 1) / context,
                                     static_cast<int64_t>(std::min(affordable, 1e9)));
  return std::clamp<int64_t>(wanted, 1, available);
}

/// --quant auto cuts each vocabulary table into classes of rows by token
/// importance (TableRowClasses.h), most important first: these fractions of
/// the rows, then the rest. A few classes take most of what a format per
/// row would: TinyStories-656K's tied table alone (PyTorch, round to nearest
/// with a clip search, groups of 64, 4 bits a weight on average, held-out
/// KL) gives 0.039 in one format, 0.020 with a format per row and 0.023 in
/// classes of 20%, 60% and 20% of the rows. Whole compiles of it (held-out
/// KL at 3.5 / 4.5 / 6.125 bpw): 0.138 / 0.0334 / 0.00373 in one class,
/// 0.120 / 0.0283 / 0.00366 in three (20/60/20%), 0.120 / 0.0278 / 0.00353
/// in these five.
constexpr double kRowClassFractions[] = {0.1, 0.2, 0.4, 0.2};

/// The most of the budget the row orders may take (32 bits a row each). On
/// the distilled student (64-wide rows, its table 57% of its weights) a
/// row order is 8% of a 3.5 bpw budget and the classes lost more than they
/// gained (held-out KL to the teacher 0.976 -> 1.003); on TinyStories-656K
/// (128-wide, 2.9% of 3.5 bpw) and stories260K (1.4% of 4.5 bpw) they win;
/// on a 0.5B model it is 0.2%.
constexpr double kMaxRowOrderShare = 0.04;

/// Splits every table of `vocab` rows (an embedding, an output head) into
/// row classes, unless their row orders would take more than
/// kMaxRowOrderShare of `budgetBits`. A token's importance is the teacher's
/// mean probability for it plus its share of the calibration input: what
/// its row costs in KL when wrong, as the head's weight and as the
/// embedding's. Returns the tables split.
int splitByTokenImportance(mlir::ModuleOp student, const SoftTargets &targets,
                            const std::vector<std::vector<int32_t>> &windows, int64_t vocab,
                            int64_t budgetBits) {
  int64_t tables = llvm::count_if(collectWeightTensors(student),
                                  [&](const WeightTensor &w) { return w.rows == vocab; });
  if (double(tables * vocab * 32) > kMaxRowOrderShare * double(budgetBits))
    return 0;
  std::vector<double> importance = targets.meanProbabilities();
  importance.resize(vocab, 0.0);
  std::vector<double> inputs(vocab, 0.0);
  double count = 0;
  for (const std::vector<int32_t> &window : windows)
    for (int32_t token : window)
      if (token >= 0 && token < vocab) {
        inputs[token] += 1;
        count += 1;
      }
  for (int64_t v = 0; v < vocab; ++v)
    importance[v] += count > 0 ? inputs[v] / count : 0.0;
  return splitVocabularyTables(student, rankRows(importance, kRowClassFractions));
}

llvm::Expected<Calibration> calibrate(mlir::ModuleOp studentIR, const Tokenizer &tokenizer,
                                      const QuantizeOptions &o,
                                      const std::vector<TensorFormat> &candidates,
                                      WeightPlan &plan) {
  Calibration c;
  auto text = loadCalibrationText(o.calibPath, tokenizer, o.context, o.calibrationWindows, o.seed);
  if (!text)
    return text.takeError();
  c.text = std::move(*text);
  auto student = createReferenceModel(studentIR, o.context);
  if (!student)
    return student.takeError();
  c.student = std::move(*student);
  c.teacherBits = c.floatStudentBits = plan.total;
  if (!o.teacherPath.empty()) {
    auto opened = openRunnable(o.teacherPath, "", o.threads, o.context, /*needsTokenizer=*/false);
    if (!opened)
      return makeError("teacher: {0}", llvm::toString(opened.takeError()));
    c.teacherRunnable = std::move(*opened);
    c.teacher = c.teacherRunnable->model.get();
    c.teacherBits = c.teacherRunnable->weights;
    if (c.teacher->vocabSize() != c.student->vocabSize())
      return makeError("the teacher {0} has a vocabulary of {1} tokens, the student {2}: "
                       "distillation compares distributions over the same tokens",
                       o.teacherPath, c.teacher->vocabSize(), c.student->vocabSize());
    if (c.teacher->capacity() < o.context)
      return makeError("the teacher {0} holds {1} positions, calibration windows need {2}",
                       o.teacherPath, c.teacher->capacity(), o.context);
  } else {
    c.selfTeacherIR = studentIR.clone();
    auto self = createReferenceModel(*c.selfTeacherIR, o.context);
    if (!self)
      return self.takeError();
    c.selfTeacher = std::move(*self);
    c.teacher = c.selfTeacher.get();
  }
  {
    ProgressBar bar("teacher", 1, o.progress);
    int64_t positions = 0;
    for (const std::vector<int32_t> &window : c.text.windows)
      positions += static_cast<int64_t>(window.size());
    auto computed = SoftTargets::compute(*c.teacher, c.text.windows,
                                         SoftTargets::topKFor(positions, c.teacher->vocabSize()));
    if (!computed)
      return makeError("teacher: {0}", llvm::toString(computed.takeError()));
    c.targets = std::move(*computed);
    bar.advance();
  }
  if (o.scheme == "auto" && plan.budget) {
    // The student's executor goes before the IR it ran changes.
    int64_t vocab = c.student->vocabSize();
    c.student.reset();
    if (splitByTokenImportance(studentIR, *c.targets, c.text.hessianWindows, vocab,
                               plan.budget->bits) > 0) {
      auto replanned = planWeights(studentIR, o, candidates);
      if (!replanned)
        return replanned.takeError();
      plan = std::move(*replanned);
    }
    auto split = createReferenceModel(studentIR, o.context);
    if (!split)
      return split.takeError();
    c.student = std::move(*split);
  }
  c.hessians = std::make_unique<LayerHessians>(plan.weights);
  int64_t hessianWindows = hessianWindowCount(plan, o.context, c.text.hessianWindows.size());
  ProgressBar bar("hessians", hessianWindows, o.progress);
  c.hessians->attach(c.student->executor());
  // The targets scale tuning trains on, when it will run.
  if (tuningSteps(plan, o, hessianWindows) > 0)
    c.tuningTargets.emplace(c.student->vocabSize(), kTopTargets);
  for (int64_t h = 0; h < hessianWindows; ++h) {
    const std::vector<int32_t> &window =
        c.text.hessianWindows[h * c.text.hessianWindows.size() / hessianWindows];
    c.student->reset();
    auto logits = c.student->forward(window);
    llvm::Error error = logits ? llvm::Error::success() : logits.takeError();
    if (!error && c.tuningTargets)
      error = c.tuningTargets->append(*logits, static_cast<int64_t>(window.size()));
    if (error) {
      llvm::consumeError(c.hessians->detach(c.student->executor()));
      return std::move(error);
    }
    if (c.tuningTargets)
      c.tuningWindows.push_back(window);
    bar.advance();
  }
  if (llvm::Error error = c.hessians->detach(c.student->executor()))
    return std::move(error);
  c.hessianWindows = hessianWindows;
  auto agreement = c.targets->compare(*c.student, c.text.windows);
  if (!agreement)
    return agreement.takeError();
  c.compareSeconds = nominalPassSeconds(plan.total.parameters,
                                        static_cast<int64_t>(c.text.windows.size()) * o.context);
  c.floatAgreement = *agreement;
  return c;
}

/// Plain RTN (reported beside) and the error-minimising roundings: GPTQ where
/// a linear op gives a Hessian, else the clip search; a tied embedding tries
/// both, since GPTQ serves its output-head use at its lookups' expense.
std::vector<Rounding> roundingsFor(const WeightTensor &w, llvm::ArrayRef<double> hessian) {
  std::vector<Rounding> roundings = {Rounding::RoundToNearest};
  if (!hessian.empty())
    roundings.push_back(Rounding::GptqClipped);
  if (hessian.empty() || w.feedsEmbedding)
    roundings.push_back(Rounding::ClipSearch);
  return roundings;
}

/// What the sensitivity analysis found, and how.
struct Sensitivity {
  /// [tensor][candidate offered for it]: a format not offered for a tensor
  /// is neither measured, allocated nor reported.
  std::vector<std::vector<Measurement>> measured;
  bool predicted = false;                         // deltaKl is the predictor's
  size_t anchors = 0;
  int64_t anchorWindows = 0;
  std::string anchorFormat;
  std::optional<double> spearman; // measured: the predictor's rank correlation with it
  int64_t trials = 0;             // end-to-end forward passes over the windows
};

/// Anchors of the predictor: every tensor of this many layers (and those
/// outside the layers), measured in one format.
constexpr int kAnchorLayers = 3;
/// The predictor's rounding errors are estimated on about this many weights
/// of a tensor (all of TinyStories-656K's; 1 of 150 rows of a 0.5B model's
/// embedding): ranks need the error's size, not its last digit.
constexpr int64_t kErrorSampleWeights = int64_t(1) << 20;
/// What the anchors' trials may cost when predicting; fewer windows then.
constexpr double kAnchorSeconds = 180;

/// cb4-g32 or int4-g32, whichever is a candidate (budgets are usually set
/// around 4 to 5 bits), else the first quantized candidate.
size_t anchorFormatIndex(const std::vector<TensorFormat> &candidates) {
  for (const char *name : {"cb4-g32", "int4-g32"})
    for (size_t f = 0; f < candidates.size(); ++f)
      if (candidates[f] && tensorFormatName(candidates[f]) == name)
        return f;
  for (size_t f = 0; f < candidates.size(); ++f)
    if (candidates[f])
      return f;
  return 0;
}

/// The rounding whose error the predictor weighs: the clip search under the
/// Hessian's diagonal (no Hessian: plain squared error).
QuantizedWeight predictorRounding(const WeightTensor &w, const slm::WeightFormat &format,
                                  llvm::ArrayRef<float> codebook, llvm::ArrayRef<double> hessian) {
  return quantizeWithClipSearch(w.values, w.rows, w.columns, format, kClipGrid,
                                hessianDiagonal(hessian, w.columns), codebook);
}

/// ΔKL of every tensor alone in every candidate format: measured end to end
/// for every rounding while that is affordable (the predictor is then fitted
/// too and its rank correlation reported), else predicted from each
/// tensor's weighted rounding error and the anchors' measurements.
llvm::Expected<Sensitivity> measureSensitivity(Calibration &c, const WeightPlan &plan,
                                               const std::vector<TensorFormat> &candidates,
                                               const QuantizeOptions &o) {
  const std::vector<WeightTensor> &weights = plan.weights;
  const size_t formats = candidates.size();
  Sensitivity s;
  TrialStudent trial(*c.student, weights);
  auto klWith = [&](size_t i, const QuantizedWeight &q,
                    llvm::ArrayRef<std::vector<int32_t>> windows) -> llvm::Expected<double> {
    if (llvm::Error error = trial.set(i, q.dequantized()))
      return std::move(error);
    auto agreement = c.targets->compare(*c.student, windows);
    ++s.trials;
    if (llvm::Error error = trial.restore(i))
      return std::move(error);
    if (!agreement)
      return agreement.takeError();
    return agreement->kl;
  };

  // Every tensor's weighted rounding error in every format, over threads;
  // the codebooks fitted here are the ones every later rounding uses.
  std::vector<std::vector<double>> errors(weights.size(), std::vector<double>(formats, 0.0));
  std::vector<std::vector<std::vector<float>>> codebooks(
      weights.size(), std::vector<std::vector<float>>(formats));
  {
    ProgressBar bar("errors", weights.size(), o.progress);
    parallelFor(static_cast<int64_t>(weights.size()), o.threads, [&](int64_t i) {
      const WeightTensor &w = weights[i];
      std::vector<double> diagonal = hessianDiagonal(c.hessians->of(i), w.columns);
      for (size_t f = 0; f < formats; ++f)
        if (candidates[f] && offered(o, candidates[f], w)) {
          codebooks[i][f] = codebookFor(w, *candidates[f], c.hessians->of(i));
          errors[i][f] = clipSearchError(w.values, w.rows, w.columns, *candidates[f], kClipGrid,
                                         diagonal, codebooks[i][f], kErrorSampleWeights);
        }
      bar.advance(1, w.name);
    });
  }

  int64_t fullTrials = 0;
  for (size_t i = 0; i < weights.size(); ++i)
    for (const TensorFormat &f : candidates)
      fullTrials += f && offered(o, f, weights[i])
                        ? roundingsFor(weights[i], c.hessians->of(i)).size()
                        : 0;
  bool measure = o.sensitivity == "measure" ||
                 (o.sensitivity == "auto" &&
                  fullTrials * c.compareSeconds <= kMeasuredSensitivitySeconds);
  s.predicted = !measure;

  // The anchors, on a prefix of the windows when predicting a large model.
  std::vector<std::string> names;
  for (const WeightTensor &w : weights)
    names.push_back(w.name);
  SensitivityPredictor predictor(names, kAnchorLayers);
  s.anchors = predictor.anchorCount();
  const size_t anchorFormat = anchorFormatIndex(candidates);
  s.anchorFormat = tensorFormatName(candidates[anchorFormat]);
  const int64_t windows = static_cast<int64_t>(c.text.windows.size());
  s.anchorWindows = windows;
  if (!measure && s.anchors > 0) {
    double perWindow = c.compareSeconds / windows;
    s.anchorWindows = std::clamp<int64_t>(
        static_cast<int64_t>(kAnchorSeconds / (s.anchors * std::max(perWindow, 1e-9))),
        kMinCalibrationWindows, windows);
  }
  auto anchorText = llvm::ArrayRef(c.text.windows).take_front(s.anchorWindows);
  double anchorBaseline = c.floatAgreement.kl;
  if (s.anchorWindows < windows) {
    auto baseline = c.targets->compare(*c.student, anchorText);
    if (!baseline)
      return baseline.takeError();
    anchorBaseline = baseline->kl;
  }
  if (candidates[anchorFormat]) {
    ProgressBar bar("anchors", s.anchors, o.progress);
    for (size_t i = 0; i < weights.size(); ++i) {
      if (!predictor.isAnchor(i))
        continue;
      auto kl = klWith(i, predictorRounding(weights[i], *candidates[anchorFormat],
                                            codebooks[i][anchorFormat], c.hessians->of(i)),
                       anchorText);
      if (!kl)
        return kl.takeError();
      predictor.measure(i, *kl - anchorBaseline, errors[i][anchorFormat]);
      bar.advance(1, weights[i].name);
    }
  }
  predictor.fit();

  s.measured.resize(weights.size());
  for (size_t i = 0; i < weights.size(); ++i)
    for (size_t f = 0; f < formats; ++f) {
      const WeightTensor &w = weights[i];
      if (!offered(o, candidates[f], w))
        continue;
      Measurement m;
      m.format = candidates[f];
      m.bits = tensorFormatBits(candidates[f], w.rows, w.columns);
      m.codebook = std::move(codebooks[i][f]);
      if (candidates[f]) {
        m.predictedDeltaKl = predictor.predict(i, errors[i][f]);
        m.deltaKl = m.predictedDeltaKl;
        // Predicted: GPTQ where there is a Hessian (for a table tied to
        // the head, damped as kTiedEmbeddingDampening says: measured on
        // TinyStories-656K it beats the clip search there), else the clip
        // search (an embedding table alone).
        m.rounding = c.hessians->of(i).empty() ? Rounding::ClipSearch : Rounding::GptqClipped;
      }
      s.measured[i].push_back(m);
    }
  if (!measure)
    return s;

  ProgressBar bar("sensitivity", fullTrials, o.progress);
  LazyGptqFactor gptq;
  std::vector<double> measuredKl, predictedKl;
  for (size_t i = 0; i < weights.size(); ++i) {
    const WeightTensor &w = weights[i];
    for (Measurement &m : s.measured[i]) {
      if (!m.format)
        continue;
      for (Rounding r : roundingsFor(w, c.hessians->of(i))) {
        auto q = roundTensor(w, *m.format, m.codebook, r, c.hessians->of(i), gptq);
        if (!q)
          return makeError("{0}: {1}", w.name, llvm::toString(q.takeError()));
        auto kl = klWith(i, *q, c.text.windows);
        if (!kl)
          return kl.takeError();
        double delta = *kl - c.floatAgreement.kl;
        if (r == Rounding::RoundToNearest) {
          m.rtnDeltaKl = m.deltaKl = delta;
          m.rounding = r;
        } else if (delta < m.deltaKl) {
          m.deltaKl = delta;
          m.rounding = r;
        }
        bar.advance(1, w.name);
      }
      measuredKl.push_back(m.deltaKl);
      predictedKl.push_back(m.predictedDeltaKl);
    }
  }
  s.spearman = spearmanCorrelation(measuredKl, predictedKl);
  return s;
}

/// One format per tensor: exact under the budget, or the one fixed format.
llvm::Expected<std::vector<int>> allocate(const std::vector<std::vector<Measurement>> &measured,
                                          const WeightPlan &plan) {
  if (!plan.budget)
    return std::vector<int>(measured.size(), 0);
  std::vector<AllocationItem> items;
  for (const auto &options : measured) {
    AllocationItem item;
    for (const Measurement &m : options) {
      item.costs.push_back(m.bits);
      item.losses.push_back(m.deltaKl);
    }
    items.push_back(std::move(item));
  }
  return allocateBits(items, plan.budget->bits - plan.otherBits);
}

/// The chosen roundings of the chosen formats, and round-to-nearest of the
/// same formats for comparison (when the RTN student is run).
struct Quantized {
  std::vector<std::optional<QuantizedWeight>> finals, rtns;
  int64_t bits = 0;
  /// What end-to-end tuning did to the finals (their scales) and to float
  /// constants (RMSNorm weights, biases), which the final student takes too.
  std::optional<ScaleTuningResult> tuning;
  std::string tuningSkipped; // why there is no tuning
};

llvm::Expected<Quantized> roundChosen(const WeightPlan &plan, const Calibration &c,
                                      const std::vector<std::vector<Measurement>> &measured,
                                      const std::vector<int> &picks, bool withRtn,
                                      const QuantizeOptions &o) {
  const size_t n = plan.weights.size();
  Quantized q;
  q.finals.resize(n);
  q.rtns.resize(n);
  q.bits = plan.otherBits;
  for (size_t i = 0; i < n; ++i)
    q.bits += measured[i][picks[i]].bits;
  // Tensors that share a Hessian (q/k/v, gate/up) go together, with one
  // factor; the groups over threads.
  std::vector<std::vector<size_t>> groups;
  llvm::DenseMap<const double *, size_t> groupOf;
  for (size_t i = 0; i < n; ++i) {
    const double *key = c.hessians->of(i).data();
    if (!key) {
      groups.push_back({i});
      continue;
    }
    auto [it, inserted] = groupOf.try_emplace(key, groups.size());
    if (inserted)
      groups.emplace_back();
    groups[it->second].push_back(i);
  }
  std::vector<std::string> errors(n);
  ProgressBar bar("rounding", n, o.progress);
  parallelFor(static_cast<int64_t>(groups.size()), o.threads, [&](int64_t g) {
    LazyGptqFactor gptq;
    for (size_t i : groups[g]) {
      const WeightTensor &w = plan.weights[i];
      const Measurement &m = measured[i][picks[i]];
      if (m.format) {
        auto rounded =
            roundTensor(w, *m.format, m.codebook, m.rounding, c.hessians->of(i), gptq);
        if (!rounded)
          errors[i] = llvm::formatv("{0}: {1}", w.name, llvm::toString(rounded.takeError()));
        else
          q.finals[i] = std::move(*rounded);
        if (withRtn)
          q.rtns[i] = quantizeRoundToNearest(w.values, w.rows, w.columns, *m.format, 1.0f,
                                             codebookFor(w, *m.format, {}));
      }
      bar.advance(1, w.name);
    }
  });
  for (const std::string &error : errors)
    if (!error.empty())
      return makeError("{0}", error);
  return q;
}

/// End-to-end tuning of the finals' scales and the RMSNorm weights
/// (ScaleTuning.h), for as many steps as asked or kTuningSeconds allow
/// nominally. Records in q why it did not run when it did not: a graph the
/// reverse mode cannot go through keeps its rounded scales.
llvm::Error tuneQuantized(Calibration &c, const WeightPlan &plan, Quantized &q,
                          mlir::ModuleOp student, const QuantizeOptions &o) {
  auto start = std::chrono::steady_clock::now();
  const int64_t windows = c.hessianWindows; // the windows tuning trains on, when it runs
  ScaleTuningOptions options;
  options.seed = o.seed;
  options.threads = o.threads;
  options.progress = o.progress;
  options.windowsPerStep = std::min(kTuningWindowsPerStep, windows);
  options.steps = tuningSteps(plan, o, windows);
  if (plan.total.parameters <= kMaxCodeTunedWeights)
    options.codeRate = kTuningCodeRate;
  if (o.tuneSteps == 0) {
    q.tuningSkipped = "--tune-steps 0";
    return llvm::Error::success();
  }
  if (options.steps == 0) {
    q.tuningSkipped = llvm::formatv("a step would take about {0:F1} s (nominally), {1} steps "
                                    "more than the {2} s it is given; --tune-steps N runs N",
                                    tuningStepSeconds(plan, o, windows), kMinTuningSteps,
                                    kTuningSeconds);
    return llvm::Error::success();
  }
  if (llvm::none_of(q.finals, [](const auto &f) { return f.has_value(); })) {
    q.tuningSkipped = "no weight is quantized";
    return llvm::Error::success();
  }
  if (!c.tuningTargets) {
    q.tuningSkipped = "no targets were kept for it";
    return llvm::Error::success();
  }
  auto result = tuneScales(*c.student, *c.tuningTargets, c.tuningWindows, *c.targets,
                           c.text.windows, plan.weights, q.finals, tunableFloatConstants(student),
                           options);
  if (!result) {
    q.tuningSkipped = llvm::toString(result.takeError());
    llvm::errs() << "slmc: scale tuning skipped: " << q.tuningSkipped << "\n";
    return llvm::Error::success();
  }
  q.tuning = std::move(*result);
  q.tuning->windows = windows;
  q.tuning->windowsPerStep = options.windowsPerStep;
  q.tuning->seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return llvm::Error::success();
}

/// The teacher, float, RTN and final student on the held-out text, measured
/// before the IR is rewritten (the rewritten IR decodes the same codes the
/// same way).
struct HeldOut {
  /// The teacher's perplexity, from the first student scored against it;
  /// unmeasured when no student is scored here (then the artifact's scoring
  /// supplies it: finishQuantization).
  std::optional<PerplexityResult> teacher;
  struct Student {
    bool measured = false;
    PerplexityResult heldOut;
    double calibrationKl = 0;
  } floatStudent, rtnStudent, finalStudent;
};

/// The teacher's row of a held-out scoring that ran it beside a student.
PerplexityResult teacherRow(const PerplexityResult &scored) {
  PerplexityResult teacher = scored;
  teacher.perplexity = scored.teacherPerplexity.value_or(0);
  teacher.nllMean = std::log(teacher.perplexity);
  teacher.klToTeacher = 0;
  teacher.top1Agreement = 1;
  teacher.teacherPerplexity.reset();
  return teacher;
}

/// With `quantizedStudents` false (a large model, whose sensitivity was
/// predicted) the RTN and final students are not run by the reference
/// executor: each costs a pass over the calibration windows and one over the
/// held-out ones beside the teacher, and the final student is scored as an
/// artifact anyway. The teacher runs only beside a student.
llvm::Expected<HeldOut> evaluateHeldOut(Calibration &c, const WeightPlan &plan,
                                        const Quantized &q, bool quantizedStudents,
                                        bool progress) {
  TrialStudent trial(*c.student, plan.weights);
  const int64_t students = (c.selfTeacher ? 0 : 1) + (quantizedStudents ? 2 : 0);
  std::optional<ProgressBar> bar; // none when no student runs here
  if (students > 0)
    bar.emplace("held-out", students, progress);
  HeldOut h;
  auto evaluate = [&](const std::vector<std::optional<QuantizedWeight>> *set)
      -> llvm::Expected<HeldOut::Student> {
    if (set)
      for (size_t i = 0; i < plan.weights.size(); ++i)
        if ((*set)[i])
          if (llvm::Error error = trial.set(i, (*set)[i]->dequantized()))
            return std::move(error);
    // The final student's tuned float constants (RMSNorm weights).
    std::vector<TunedConstant> tuned;
    if (set == &q.finals && q.tuning)
      tuned = q.tuning->constants;
    auto install = [&](bool tunedValues) -> llvm::Error {
      for (const TunedConstant &t : tuned) {
        auto type = llvm::cast<mlir::RankedTensorType>(t.constant->getResult(0).getType());
        if (llvm::Error error = c.student->executor().replaceConstant(
                t.constant, exec::Tensor::fromValues<float>(exec::DType::F32, type.getShape(),
                                                            tunedValues ? t.values : t.initial)))
          return error;
      }
      return llvm::Error::success();
    };
    if (llvm::Error error = install(true))
      return std::move(error);
    HeldOut::Student e;
    e.measured = true;
    auto calibration = c.targets->compare(*c.student, c.text.windows);
    auto heldOut = evaluatePerplexity(*c.student, c.text.heldOut, c.teacher);
    if (llvm::Error error = trial.restoreAll())
      return std::move(error);
    if (llvm::Error error = install(false))
      return std::move(error);
    if (!calibration)
      return calibration.takeError();
    if (!heldOut)
      return heldOut.takeError();
    e.calibrationKl = calibration->kl;
    e.heldOut = *heldOut;
    if (!h.teacher)
      h.teacher = teacherRow(*heldOut);
    bar->advance();
    return e;
  };
  for (auto [set, out] : {std::pair{(const std::vector<std::optional<QuantizedWeight>> *)nullptr,
                                    &h.floatStudent},
                          {&q.rtns, &h.rtnStudent},
                          {&q.finals, &h.finalStudent}}) {
    if (set && !quantizedStudents)
      continue;
    if (!set && c.selfTeacher)
      continue; // the float student is its own teacher: filled in below
    auto student = evaluate(set);
    if (!student)
      return student.takeError();
    *out = *student;
  }
  if (c.selfTeacher && h.teacher) {
    h.floatStudent.measured = true;
    h.floatStudent.heldOut = *h.teacher;
    h.floatStudent.calibrationKl = c.floatAgreement.kl;
  }
  return h;
}

slm::quant::QuantReport buildReport(const QuantizeOptions &o, const WeightPlan &plan,
                                    const Calibration &c,
                                    const std::vector<TensorFormat> &candidates,
                                    const Sensitivity &sensitivity,
                                    const std::vector<int> &picks, const Quantized &q,
                                    const HeldOut &h) {
  const std::vector<std::vector<Measurement>> &measured = sensitivity.measured;
  slm::quant::QuantReport report;
  report.set_producer(std::string("slmc ") + SLMC_VERSION_STRING);
  report.set_student(o.student);
  report.set_teacher(o.teacherPath);
  report.set_scheme(o.scheme);
  if (plan.budget) {
    report.mutable_budget()->set_bits_per_weight(plan.budget->bitsPerWeight);
    report.mutable_budget()->set_max_bytes(static_cast<uint64_t>(plan.budget->bits / 8));
  }
  slm::quant::Calibration *calibration = report.mutable_calibration();
  calibration->set_text(o.calibPath);
  calibration->set_seed(o.seed);
  calibration->set_context(o.context);
  calibration->set_tokens(c.text.tokens);
  calibration->set_windows(c.text.available);
  calibration->set_windows_used(c.text.windows.size());
  calibration->set_held_out_tokens(c.text.heldOutTokens);
  calibration->set_soft_targets_top_k(c.targets->topK());
  calibration->set_soft_targets_tail_mass(c.targets->meanTailMass());
  calibration->set_float_kl(c.floatAgreement.kl);
  calibration->set_float_kl_upper_bound(c.floatAgreement.klUpperBound);
  calibration->set_hessian_windows(c.hessianWindows);
  calibration->set_sensitivity(sensitivity.predicted ? "predicted" : "measured");
  calibration->set_trials(sensitivity.trials);
  calibration->set_anchor_tensors(sensitivity.anchors);
  calibration->set_anchor_windows(sensitivity.anchorWindows);
  calibration->set_anchor_format(sensitivity.anchorFormat);
  if (sensitivity.spearman)
    calibration->set_predictor_spearman(*sensitivity.spearman);
  for (const TensorFormat &f : candidates)
    calibration->add_candidates(tensorFormatName(f));
  for (size_t i = 0; i < plan.weights.size(); ++i) {
    const WeightTensor &w = plan.weights[i];
    const Measurement &m = measured[i][picks[i]];
    slm::quant::TensorReport *t = report.add_tensors();
    t->set_name(w.name);
    t->set_layer(layerOf(w.name));
    t->add_shape(w.rows);
    t->add_shape(w.columns);
    t->set_format(tensorFormatName(m.format));
    t->set_bits(m.bits);
    t->set_bits_per_weight(double(m.bits) / (w.rows * w.columns));
    t->set_delta_kl(m.deltaKl);
    t->set_rtn_delta_kl(m.rtnDeltaKl);
    t->set_predicted_delta_kl(m.predictedDeltaKl);
    t->set_rounding(m.format ? roundingName(m.rounding) : "none");
    if (o.scheme == "auto")
      for (const Measurement &candidate : measured[i]) {
        slm::quant::Candidate *out = t->add_candidates();
        out->set_format(tensorFormatName(candidate.format));
        out->set_bits(candidate.bits);
        out->set_delta_kl(candidate.deltaKl);
        out->set_rtn_delta_kl(candidate.rtnDeltaKl);
        out->set_predicted_delta_kl(candidate.predictedDeltaKl);
        out->set_rounding(candidate.format ? roundingName(candidate.rounding) : "none");
      }
  }
  const WeightBits &total = plan.total;
  // Unmeasured teacher and (self-distilled) float student rows get their
  // perplexity from the artifact's scoring (finishQuantization).
  fillSummary(report.add_models(), "teacher", c.teacherBits.bits, c.teacherBits.parameters,
              h.teacher.value_or(teacherRow({})), std::nullopt);
  fillSummary(report.add_models(), "float student", c.floatStudentBits.bits,
              c.floatStudentBits.parameters,
              c.selfTeacher && !h.floatStudent.measured ? teacherRow({})
                                                        : h.floatStudent.heldOut,
              c.selfTeacher ? std::optional(c.floatAgreement.kl)
                            : std::optional(h.floatStudent.calibrationKl));
  if (h.rtnStudent.measured)
    fillSummary(report.add_models(), "RTN student", q.bits, total.parameters,
                h.rtnStudent.heldOut, h.rtnStudent.calibrationKl);
  // Its held-out figures are the artifact's (finishQuantization).
  fillSummary(report.add_models(), "final student", q.bits, total.parameters,
              h.finalStudent.heldOut,
              h.finalStudent.measured ? std::optional(h.finalStudent.calibrationKl)
                                      : std::nullopt);
  for (slm::quant::ModelSummary &m : *report.mutable_models())
    m.set_numerics("reference");
  slm::quant::Tuning *tuning = report.mutable_tuning();
  tuning->set_skipped(q.tuningSkipped);
  if (const std::optional<ScaleTuningResult> &t = q.tuning) {
    tuning->set_steps(t->steps);
    tuning->set_windows(t->windows);
    tuning->set_windows_per_step(t->windowsPerStep);
    tuning->set_parameters(t->parameters);
    tuning->set_codes(t->codes);
    tuning->set_codes_changed(t->codesChanged);
    tuning->set_calibration_kl_before(t->klBefore);
    tuning->set_calibration_kl_after(t->klAfter);
    tuning->set_kept(t->kept);
    tuning->set_seconds(t->seconds);
  }
  // The gate's KL is the artifact's (finishQuantization); the fake-quantized
  // reference's is kept beside it.
  slm::quant::Gate *gate = report.mutable_gate();
  gate->set_enabled(o.maxKl.has_value());
  gate->set_max_kl(o.maxKl.value_or(0));
  if (h.finalStudent.measured)
    gate->set_reference_kl(h.finalStudent.heldOut.klToTeacher.value_or(0));
  return report;
}

} // namespace

llvm::Expected<QuantizeOutcome> quantizeStudent(mlir::ModuleOp student, const Tokenizer &tokenizer,
                                                const QuantizeOptions &o) {
  auto start = std::chrono::steady_clock::now();
  auto candidates = candidateFormats(o);
  if (!candidates)
    return candidates.takeError();
  if (auto error = checkOptions(o))
    return std::move(error);
  auto plan = planWeights(student, o, *candidates);
  if (!plan)
    return plan.takeError();

  QuantizeOutcome outcome;
  outcome.weightFormat = o.scheme;
  if (o.calibPath.empty()) { // a fixed format with nothing to measure: plain RTN
    for (const WeightTensor &w : plan->weights)
      if (candidates->front())
        replaceWithQuantized(w, quantizeRoundToNearest(w.values, w.rows, w.columns,
                                                       *candidates->front(), 1.0f,
                                                       codebookFor(w, *candidates->front(), {})));
    return outcome;
  }

  auto calibration = calibrate(student, tokenizer, o, *candidates, *plan);
  if (!calibration)
    return calibration.takeError();
  auto sensitivity = measureSensitivity(*calibration, *plan, *candidates, o);
  if (!sensitivity)
    return sensitivity.takeError();
  const std::vector<std::vector<Measurement>> &measured = sensitivity->measured;
  auto picks = allocate(measured, *plan);
  if (!picks)
    return picks.takeError();
  // The RTN student is only run when the sensitivity was measured.
  auto quantized = roundChosen(*plan, *calibration, measured, *picks,
                               !sensitivity->predicted, o);
  if (!quantized)
    return quantized.takeError();
  if (llvm::Error error = tuneQuantized(*calibration, *plan, *quantized, student, o))
    return std::move(error);
  auto heldOut = evaluateHeldOut(*calibration, *plan, *quantized, !sensitivity->predicted,
                                 o.progress);
  if (!heldOut)
    return heldOut.takeError();
  slm::quant::QuantReport report = buildReport(o, *plan, *calibration, *candidates,
                                               *sensitivity, *picks, *quantized, *heldOut);
  report.set_seconds(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());

  // The IR as it will run; the artifact built from it is judged by
  // finishQuantization.
  for (size_t i = 0; i < plan->weights.size(); ++i)
    if (quantized->finals[i])
      replaceWithQuantized(plan->weights[i], *quantized->finals[i]);
  if (quantized->tuning)
    for (const TunedConstant &t : quantized->tuning->constants)
      replaceFloatConstant(t.constant, t.values);
  if (o.scheme == "auto")
    outcome.weightFormat = llvm::formatv("auto ({0:F3} bpw)",
                                         double(quantized->bits) / plan->total.parameters);
  outcome.heldOut = calibration->text.heldOut;
  outcome.teacherFromArtifact = !heldOut->teacher;
  outcome.report = std::move(report);
  return outcome;
}

llvm::Error finishQuantization(QuantizeOutcome &outcome, const PerplexityResult &shipped,
                               const QuantizeOptions &o) {
  if (!outcome.report)
    return llvm::Error::success();
  slm::quant::QuantReport &report = *outcome.report;
  for (slm::quant::ModelSummary &m : *report.mutable_models()) {
    if (outcome.teacherFromArtifact && (m.name() == "teacher" || m.name() == "float student"))
      m.set_perplexity(shipped.teacherPerplexity.value_or(0));
    if (m.name() != "final student")
      continue;
    m.set_kl_to_teacher(shipped.klToTeacher.value_or(0));
    m.set_perplexity(shipped.perplexity);
    m.set_top1_agreement(shipped.top1Agreement.value_or(1));
    m.set_numerics("artifact");
  }
  double kl = shipped.klToTeacher.value_or(0);
  slm::quant::Gate *gate = report.mutable_gate();
  gate->set_kl(kl);
  gate->set_passed(!o.maxKl || kl <= *o.maxKl);
  outcome.gatePassed = gate->passed();
  if (!outcome.gatePassed)
    outcome.gateMessage = llvm::formatv("KL(teacher || quantized student) {0:F6} on the held-out "
                                        "calibration tail exceeds the gate's limit of {1}",
                                        kl, shortestDecimal(*o.maxKl));
  if (!o.reportPath.empty())
    if (llvm::Error error = writeReportJson(report, o.reportPath))
      return error;
  if (!o.svgPath.empty())
    if (llvm::Error error = writeReportSvg(report, o.svgPath))
      return error;
  return llvm::Error::success();
}

} // namespace slmc
