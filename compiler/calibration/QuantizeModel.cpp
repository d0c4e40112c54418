//===- QuantizeModel.cpp - distillation-aware quantization of a student ---===//

#include "compiler/calibration/QuantizeModel.h"

#include "compiler/Version.h"
#include "compiler/calibration/CalibrationData.h"
#include "compiler/calibration/LayerHessians.h"
#include "compiler/calibration/ProgressBar.h"
#include "compiler/calibration/ReportWriter.h"
#include "compiler/runner/ModelLoader.h"
#include "compiler/runner/ReferenceModel.h"
#include "compiler/executor/Executor.h"
#include "compiler/quant/BitAllocation.h"
#include "compiler/quant/Gptq.h"
#include "compiler/quant/QuantScheme.h"
#include "compiler/quant/WeightTensors.h"
#include "compiler/support/Error.h"
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

/// The GPTQ factor of the Hessian last asked for, computed on first use and
/// kept while the same Hessian comes back: for every format a tensor is
/// rounded in, and for the next tensors that share it (q/k/v, gate/up read
/// one input, so LayerHessians gives them the same memory).
class LazyGptqFactor {
public:
  llvm::Expected<const GptqFactor *> get(llvm::ArrayRef<double> hessian, int64_t columns) {
    if (!factor_ || hessian.data() != key_) {
      factor_.reset();
      auto computed = GptqFactor::compute(hessian, columns);
      if (!computed)
        return computed.takeError();
      factor_ = std::move(*computed);
      key_ = hessian.data();
    }
    return &*factor_;
  }

private:
  const double *key_ = nullptr;
  std::optional<GptqFactor> factor_;
};

llvm::Expected<QuantizedWeight> roundTensor(const WeightTensor &w, const slm::WeightFormat &format,
                                            Rounding rounding, llvm::ArrayRef<double> hessian,
                                            LazyGptqFactor &gptq) {
  switch (rounding) {
  case Rounding::RoundToNearest:
    return quantizeRoundToNearest(w.values, w.rows, w.columns, format);
  case Rounding::ClipSearch:
    return quantizeWithClipSearch(w.values, w.rows, w.columns, format, kClipGrid);
  case Rounding::GptqClipped: {
    auto factor = gptq.get(hessian, w.columns);
    if (!factor)
      return factor.takeError();
    return quantizeGptq(w.values, w.rows, w.columns, format, **factor, kClipGrid);
  }
  }
  llvm_unreachable("rounding");
}

/// What the sensitivity analysis measured for one tensor in one format.
struct Measurement {
  TensorFormat format;
  int64_t bits = 0;
  double deltaKl = 0, rtnDeltaKl = 0;
  Rounding rounding = Rounding::RoundToNearest;
};

int64_t layerOf(llvm::StringRef name) {
  size_t at = name.find("layers.");
  int64_t layer;
  if (at == llvm::StringRef::npos ||
      name.substr(at + 7).take_until([](char c) { return c == '.'; }).getAsInteger(10, layer))
    return -1;
  return layer;
}

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

/// The candidate formats: one fixed format, or every format the allocator
/// may choose from.
llvm::Expected<std::vector<TensorFormat>> candidateFormats(const QuantizeOptions &o) {
  if (o.scheme == "auto")
    return allocatorCandidates();
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
  for (const WeightTensor &w : plan.weights) {
    floatBits += w.rows * w.columns * 32;
    int64_t least = INT64_MAX;
    for (const TensorFormat &f : candidates)
      least = std::min(least, tensorFormatBits(f, w.rows, w.columns));
    cheapest += least;
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
                     tensorFormatName(candidates.front()));
  return plan;
}

/// Calibration windows, the student and its teacher on them: the teacher's
/// soft targets, the float student's agreement with them and its layer
/// Hessians.
struct Calibration {
  CalibrationText text;
  std::unique_ptr<ReferenceModel> student;
  std::optional<RunnableModel> teacherRunnable;
  std::unique_ptr<LanguageModel> selfTeacher;
  LanguageModel *teacher = nullptr;
  WeightBits teacherBits;
  std::optional<SoftTargets> targets;
  SoftTargets::Agreement floatAgreement;
  std::unique_ptr<LayerHessians> hessians;
};

llvm::Expected<Calibration> calibrate(mlir::ModuleOp studentIR, const Tokenizer &tokenizer,
                                      const QuantizeOptions &o, const WeightPlan &plan) {
  Calibration c;
  auto text = loadCalibrationText(o.calibPath, tokenizer, o.context, o.calibrationWindows, o.seed);
  if (!text)
    return text.takeError();
  c.text = std::move(*text);
  auto student = createReferenceModel(studentIR, o.context);
  if (!student)
    return student.takeError();
  c.student = std::move(*student);
  c.teacherBits = plan.total;
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
    auto self = createReferenceModel(studentIR, o.context);
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
  c.hessians = std::make_unique<LayerHessians>(plan.weights);
  ProgressBar bar("hessians", c.text.hessianWindows.size(), o.progress);
  c.hessians->attach(c.student->executor());
  for (const std::vector<int32_t> &window : c.text.hessianWindows) {
    c.student->reset();
    if (auto logits = c.student->forward(window); !logits) {
      c.hessians->detach(c.student->executor());
      return logits.takeError();
    }
    bar.advance();
  }
  c.hessians->detach(c.student->executor());
  auto agreement = c.targets->compare(*c.student, c.text.windows);
  if (!agreement)
    return agreement.takeError();
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

/// ΔKL of every tensor alone in every candidate format, for every rounding.
llvm::Expected<std::vector<std::vector<Measurement>>>
measureSensitivity(Calibration &c, const WeightPlan &plan,
                   const std::vector<TensorFormat> &candidates, bool progress) {
  const std::vector<WeightTensor> &weights = plan.weights;
  TrialStudent trial(*c.student, weights);
  auto klWith = [&](size_t i, const QuantizedWeight &q) -> llvm::Expected<double> {
    if (llvm::Error error = trial.set(i, q.dequantized()))
      return std::move(error);
    auto agreement = c.targets->compare(*c.student, c.text.windows);
    if (llvm::Error error = trial.restore(i))
      return std::move(error);
    if (!agreement)
      return agreement.takeError();
    return agreement->kl - c.floatAgreement.kl;
  };
  int64_t trials = 0;
  for (size_t i = 0; i < weights.size(); ++i)
    for (const TensorFormat &f : candidates)
      trials += f ? roundingsFor(weights[i], c.hessians->of(i)).size() : 0;
  std::vector<std::vector<Measurement>> measured(weights.size());
  ProgressBar bar("sensitivity", trials, progress);
  LazyGptqFactor gptq;
  for (size_t i = 0; i < weights.size(); ++i) {
    const WeightTensor &w = weights[i];
    for (const TensorFormat &f : candidates) {
      Measurement m{f, tensorFormatBits(f, w.rows, w.columns)};
      if (f) {
        for (Rounding r : roundingsFor(w, c.hessians->of(i))) {
          auto q = roundTensor(w, *f, r, c.hessians->of(i), gptq);
          if (!q)
            return makeError("{0}: {1}", w.name, llvm::toString(q.takeError()));
          auto delta = klWith(i, *q);
          if (!delta)
            return delta.takeError();
          if (r == Rounding::RoundToNearest)
            m.rtnDeltaKl = m.deltaKl = *delta;
          else if (*delta < m.deltaKl) {
            m.deltaKl = *delta;
            m.rounding = r;
          }
          bar.advance(1, w.name);
        }
      }
      measured[i].push_back(m);
    }
  }
  return measured;
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
/// same formats for comparison.
struct Quantized {
  std::vector<std::optional<QuantizedWeight>> finals, rtns;
  int64_t bits = 0;
};

llvm::Expected<Quantized> roundChosen(const WeightPlan &plan, const Calibration &c,
                                      const std::vector<std::vector<Measurement>> &measured,
                                      const std::vector<int> &picks) {
  Quantized q;
  q.finals.resize(plan.weights.size());
  q.rtns.resize(plan.weights.size());
  q.bits = plan.otherBits;
  LazyGptqFactor gptq;
  for (size_t i = 0; i < plan.weights.size(); ++i) {
    const WeightTensor &w = plan.weights[i];
    const Measurement &m = measured[i][picks[i]];
    q.bits += m.bits;
    if (!m.format)
      continue;
    auto rounded = roundTensor(w, *m.format, m.rounding, c.hessians->of(i), gptq);
    if (!rounded)
      return rounded.takeError();
    q.finals[i] = std::move(*rounded);
    q.rtns[i] = quantizeRoundToNearest(w.values, w.rows, w.columns, *m.format);
  }
  return q;
}

/// The teacher, float, RTN and final student on the held-out text, measured
/// before the IR is rewritten (the rewritten IR decodes the same codes the
/// same way).
struct HeldOut {
  PerplexityResult teacher;
  struct Student {
    PerplexityResult heldOut;
    double calibrationKl = 0;
  } floatStudent, rtnStudent, finalStudent;
};

llvm::Expected<HeldOut> evaluateHeldOut(Calibration &c, const WeightPlan &plan,
                                        const Quantized &q, bool progress) {
  TrialStudent trial(*c.student, plan.weights);
  ProgressBar bar("held-out", 4, progress);
  auto evaluate = [&](const std::vector<std::optional<QuantizedWeight>> *set)
      -> llvm::Expected<HeldOut::Student> {
    if (set)
      for (size_t i = 0; i < plan.weights.size(); ++i)
        if ((*set)[i])
          if (llvm::Error error = trial.set(i, (*set)[i]->dequantized()))
            return std::move(error);
    HeldOut::Student e;
    auto calibration = c.targets->compare(*c.student, c.text.windows);
    auto heldOut = evaluatePerplexity(*c.student, c.text.heldOut, c.teacher);
    if (llvm::Error error = trial.restoreAll())
      return std::move(error);
    if (!calibration)
      return calibration.takeError();
    if (!heldOut)
      return heldOut.takeError();
    e.calibrationKl = calibration->kl;
    e.heldOut = *heldOut;
    bar.advance();
    return e;
  };
  HeldOut h;
  auto teacher = evaluatePerplexity(*c.teacher, c.text.heldOut);
  if (!teacher)
    return makeError("teacher: {0}", llvm::toString(teacher.takeError()));
  h.teacher = *teacher;
  bar.advance();
  for (auto [set, out] : {std::pair{(const std::vector<std::optional<QuantizedWeight>> *)nullptr,
                                    &h.floatStudent},
                          {&q.rtns, &h.rtnStudent},
                          {&q.finals, &h.finalStudent}}) {
    auto student = evaluate(set);
    if (!student)
      return student.takeError();
    *out = *student;
  }
  return h;
}

slm::quant::QuantReport buildReport(const QuantizeOptions &o, const WeightPlan &plan,
                                    const Calibration &c,
                                    const std::vector<TensorFormat> &candidates,
                                    const std::vector<std::vector<Measurement>> &measured,
                                    const std::vector<int> &picks, const Quantized &q,
                                    const HeldOut &h) {
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
    t->set_rounding(m.format ? roundingName(m.rounding) : "none");
    if (o.scheme == "auto")
      for (const Measurement &candidate : measured[i]) {
        slm::quant::Candidate *out = t->add_candidates();
        out->set_format(tensorFormatName(candidate.format));
        out->set_bits(candidate.bits);
        out->set_delta_kl(candidate.deltaKl);
        out->set_rtn_delta_kl(candidate.rtnDeltaKl);
        out->set_rounding(candidate.format ? roundingName(candidate.rounding) : "none");
      }
  }
  const WeightBits &total = plan.total;
  fillSummary(report.add_models(), "teacher", c.teacherBits.bits, c.teacherBits.parameters,
              h.teacher, std::nullopt);
  fillSummary(report.add_models(), "float student", total.bits, total.parameters,
              h.floatStudent.heldOut, h.floatStudent.calibrationKl);
  fillSummary(report.add_models(), "RTN student", q.bits, total.parameters, h.rtnStudent.heldOut,
              h.rtnStudent.calibrationKl);
  fillSummary(report.add_models(), "final student", q.bits, total.parameters,
              h.finalStudent.heldOut, h.finalStudent.calibrationKl);
  double finalKl = h.finalStudent.heldOut.klToTeacher.value_or(0);
  slm::quant::Gate *gate = report.mutable_gate();
  gate->set_enabled(o.maxKl.has_value());
  gate->set_max_kl(o.maxKl.value_or(0));
  gate->set_kl(finalKl);
  gate->set_passed(!o.maxKl || finalKl <= *o.maxKl);
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
                                                       *candidates->front()));
    return outcome;
  }

  auto calibration = calibrate(student, tokenizer, o, *plan);
  if (!calibration)
    return calibration.takeError();
  auto measured = measureSensitivity(*calibration, *plan, *candidates, o.progress);
  if (!measured)
    return measured.takeError();
  auto picks = allocate(*measured, *plan);
  if (!picks)
    return picks.takeError();
  auto quantized = roundChosen(*plan, *calibration, *measured, *picks);
  if (!quantized)
    return quantized.takeError();
  auto heldOut = evaluateHeldOut(*calibration, *plan, *quantized, o.progress);
  if (!heldOut)
    return heldOut.takeError();
  slm::quant::QuantReport report = buildReport(o, *plan, *calibration, *candidates, *measured,
                                               *picks, *quantized, *heldOut);
  report.set_seconds(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());

  // The IR as it will run, the reports, the gate.
  for (size_t i = 0; i < plan->weights.size(); ++i)
    if (quantized->finals[i])
      replaceWithQuantized(plan->weights[i], *quantized->finals[i]);
  if (!o.reportPath.empty())
    if (llvm::Error error = writeReportJson(report, o.reportPath))
      return error;
  if (!o.svgPath.empty())
    if (llvm::Error error = writeReportSvg(report, o.svgPath))
      return error;
  if (o.scheme == "auto")
    outcome.weightFormat = llvm::formatv("auto ({0:F3} bpw)",
                                         double(quantized->bits) / plan->total.parameters);
  outcome.gatePassed = report.gate().passed();
  if (!outcome.gatePassed)
    outcome.gateMessage = llvm::formatv("KL(teacher || quantized student) {0:F6} on the held-out "
                                        "calibration tail exceeds the gate's limit of {1}",
                                        report.gate().kl(), shortestDecimal(*o.maxKl));
  outcome.report = std::move(report);
  return outcome;
}

} // namespace slmc
