//===- QuantizeModel.cpp - distillation-aware quantization of a student ---===//

#include "compiler/calibration/QuantizeModel.h"

#include "compiler/Version.h"
#include "compiler/calibration/CalibrationData.h"
#include "compiler/calibration/LayerHessians.h"
#include "compiler/calibration/ProgressBar.h"
#include "compiler/calibration/ReportWriter.h"
#include "compiler/driver/ModelLoader.h"
#include "compiler/driver/ReferenceModel.h"
#include "compiler/executor/Executor.h"
#include "compiler/quant/BitAllocation.h"
#include "compiler/quant/Gptq.h"
#include "compiler/quant/QuantScheme.h"
#include "compiler/quant/WeightTensors.h"
#include "compiler/support/Error.h"
#include "llvm/Support/FormatVariadic.h"

#include <chrono>

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

llvm::Expected<QuantizedWeight> roundTensor(const WeightTensor &w, const slm::WeightFormat &format,
                                            Rounding rounding, llvm::ArrayRef<double> hessian) {
  switch (rounding) {
  case Rounding::RoundToNearest:
    return quantizeRoundToNearest(w.values, w.rows, w.columns, format);
  case Rounding::ClipSearch:
    return quantizeWithClipSearch(w.values, w.rows, w.columns, format, kClipGrid);
  case Rounding::GptqClipped:
    return quantizeGptq(w.values, w.rows, w.columns, format, hessian, kClipGrid);
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
      return makeError("--bpw and --max-size budget --quant auto; --quant {0} fixes the format",
                       o.scheme);
    return std::nullopt;
  }
  if (byBits == bySize)
    return makeError("--quant auto needs one budget: --bpw X or --max-size MB");
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

} // namespace

llvm::Expected<QuantizeOutcome> quantizeStudent(mlir::ModuleOp student, const Tokenizer &tokenizer,
                                                const QuantizeOptions &o) {
  auto start = std::chrono::steady_clock::now();
  const bool automatic = o.scheme == "auto";
  std::vector<TensorFormat> candidates;
  if (automatic) {
    candidates = allocatorCandidates();
  } else {
    auto format = parseTensorFormat(o.scheme);
    if (!format)
      return makeError("--quant: {0}, or auto", llvm::toString(format.takeError()));
    candidates = {*format};
  }
  if (o.calibPath.empty()) {
    if (automatic)
      return makeError("--quant auto needs --calib TEXT: the allocation is measured on it");
    for (auto [set, flag] : {std::pair{!o.teacherPath.empty(), "--teacher"},
                             {o.maxKl.has_value(), "--max-kl"},
                             {!o.reportPath.empty(), "--report"},
                             {!o.svgPath.empty(), "--report-svg"}})
      if (set)
        return makeError("{0} needs --calib TEXT", flag);
  }
  if (o.context < 8)
    return makeError("the calibration context must be at least 8 tokens, got {0}", o.context);
  if (o.calibrationWindows < kMinCalibrationWindows)
    return makeError("--calib-windows must be at least {0}, got {1}", kMinCalibrationWindows,
                     o.calibrationWindows);

  std::vector<WeightTensor> weights = collectWeightTensors(student);
  if (weights.empty())
    return makeError("the model has no linear or embedding weights to quantize (matrix "
                     "products with constant weights and gathers from constant tables)");
  const WeightBits total = countWeightBits(student);
  int64_t floatBits = 0, cheapest = 0;
  for (const WeightTensor &w : weights) {
    floatBits += w.rows * w.columns * 32;
    int64_t least = INT64_MAX;
    for (const TensorFormat &f : candidates)
      least = std::min(least, tensorFormatBits(f, w.rows, w.columns));
    cheapest += least;
  }
  const int64_t otherBits = total.bits - floatBits; // norms and whatever is not quantizable
  auto budget = resolveBudget(o, automatic, total);
  if (!budget)
    return budget.takeError();
  if (*budget && (*budget)->bits < otherBits + cheapest)
    return makeError("the budget of {0:F3} bits per weight is below the smallest this model "
                     "allows, {1:F3} (every tensor in its cheapest format, {2})",
                     (*budget)->bitsPerWeight, double(otherBits + cheapest) / total.parameters,
                     tensorFormatName(candidates.front()));

  QuantizeOutcome outcome;
  outcome.weightFormat = o.scheme;
  if (o.calibPath.empty()) { // a fixed format with nothing to measure: plain RTN
    for (const WeightTensor &w : weights)
      if (candidates.front())
        replaceWithQuantized(w, quantizeRoundToNearest(w.values, w.rows, w.columns,
                                                       *candidates.front()));
    return outcome;
  }

  // Calibration data and the two models.
  auto text = loadCalibrationText(o.calibPath, tokenizer, o.context, o.calibrationWindows, o.seed);
  if (!text)
    return text.takeError();
  auto studentModel = createReferenceModel(student, o.context);
  if (!studentModel)
    return studentModel.takeError();
  std::optional<RunnableModel> teacherRunnable;
  std::unique_ptr<LanguageModel> selfTeacher;
  LanguageModel *teacher;
  WeightBits teacherBits = total;
  if (!o.teacherPath.empty()) {
    auto opened = openRunnable(o.teacherPath, "", o.threads, o.context, /*needsTokenizer=*/false);
    if (!opened)
      return makeError("--teacher: {0}", llvm::toString(opened.takeError()));
    teacherRunnable = std::move(*opened);
    teacher = teacherRunnable->model.get();
    teacherBits = teacherRunnable->weights;
    if (teacher->vocabSize() != (*studentModel)->vocabSize())
      return makeError("--teacher {0} has a vocabulary of {1} tokens, the student {2}: "
                       "distillation compares distributions over the same tokens",
                       o.teacherPath, teacher->vocabSize(), (*studentModel)->vocabSize());
    if (teacher->capacity() < o.context)
      return makeError("--teacher {0} holds {1} positions, calibration windows need {2}",
                       o.teacherPath, teacher->capacity(), o.context);
  } else {
    auto self = createReferenceModel(student, o.context);
    if (!self)
      return self.takeError();
    selfTeacher = std::move(*self);
    teacher = selfTeacher.get();
  }

  // a. Teacher soft targets; the float student's own KL and its layer Hessians.
  std::optional<SoftTargets> targets;
  SoftTargets::Agreement floatAgreement;
  LayerHessians hessians(weights);
  {
    ProgressBar bar("teacher", 1, o.progress);
    auto computed = SoftTargets::compute(*teacher, text->windows);
    if (!computed)
      return makeError("teacher: {0}", llvm::toString(computed.takeError()));
    targets = std::move(*computed);
    bar.advance();
  }
  {
    ProgressBar bar("hessians", text->hessianWindows.size(), o.progress);
    hessians.attach((*studentModel)->executor());
    for (const std::vector<int32_t> &window : text->hessianWindows) {
      (*studentModel)->reset();
      if (auto logits = (*studentModel)->forward(window); !logits) {
        hessians.detach((*studentModel)->executor());
        return logits.takeError();
      }
      bar.advance();
    }
    hessians.detach((*studentModel)->executor());
    auto agreement = targets->compare(**studentModel, text->windows);
    if (!agreement)
      return agreement.takeError();
    floatAgreement = *agreement;
  }

  // b. Sensitivity: ΔKL of each tensor alone in each format, for every rounding.
  TrialStudent trial(**studentModel, weights);
  auto klWith = [&](size_t i, const QuantizedWeight &q) -> llvm::Expected<double> {
    if (llvm::Error error = trial.set(i, q.dequantized()))
      return std::move(error);
    auto agreement = targets->compare(**studentModel, text->windows);
    if (llvm::Error error = trial.restore(i))
      return std::move(error);
    if (!agreement)
      return agreement.takeError();
    return agreement->kl - floatAgreement.kl;
  };
  // Plain RTN (reported beside) and the error-minimising roundings: GPTQ where
  // a linear op gives a Hessian, else the clip search; a tied embedding tries
  // both, since GPTQ serves its output-head use at its lookups' expense.
  auto roundingsFor = [&](size_t i) {
    std::vector<Rounding> roundings = {Rounding::RoundToNearest};
    if (!hessians.of(i).empty())
      roundings.push_back(Rounding::GptqClipped);
    if (hessians.of(i).empty() || weights[i].feedsEmbedding)
      roundings.push_back(Rounding::ClipSearch);
    return roundings;
  };
  std::vector<std::vector<Measurement>> measured(weights.size());
  int64_t trials = 0;
  for (size_t i = 0; i < weights.size(); ++i)
    for (const TensorFormat &f : candidates)
      trials += f ? roundingsFor(i).size() : 0;
  {
    ProgressBar bar("sensitivity", trials, o.progress);
    for (size_t i = 0; i < weights.size(); ++i) {
      const WeightTensor &w = weights[i];
      for (const TensorFormat &f : candidates) {
        Measurement m{f, tensorFormatBits(f, w.rows, w.columns)};
        if (f) {
          for (Rounding r : roundingsFor(i)) {
            auto q = roundTensor(w, *f, r, hessians.of(i));
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
            bar.advance();
          }
        }
        measured[i].push_back(m);
      }
    }
  }

  // c. Allocation: exact under the budget, or the one fixed format.
  std::vector<int> picks(weights.size(), 0);
  if (*budget) {
    std::vector<AllocationItem> items;
    for (const auto &options : measured) {
      AllocationItem item;
      for (const Measurement &m : options) {
        item.costs.push_back(m.bits);
        item.losses.push_back(m.deltaKl);
      }
      items.push_back(std::move(item));
    }
    auto allocated = allocateBits(items, (*budget)->bits - otherBits);
    if (!allocated)
      return allocated.takeError();
    picks = std::move(*allocated);
  }

  // d. The final and the RTN student, measured on held-out text before the IR
  // is rewritten (the rewritten IR decodes the same codes the same way).
  std::vector<std::optional<QuantizedWeight>> finals(weights.size()), rtns(weights.size());
  int64_t quantizedBits = otherBits;
  for (size_t i = 0; i < weights.size(); ++i) {
    const Measurement &m = measured[i][picks[i]];
    quantizedBits += m.bits;
    if (!m.format)
      continue;
    auto q = roundTensor(weights[i], *m.format, m.rounding, hessians.of(i));
    if (!q)
      return q.takeError();
    finals[i] = std::move(*q);
    rtns[i] = quantizeRoundToNearest(weights[i].values, weights[i].rows, weights[i].columns,
                                     *m.format);
  }
  struct Evaluated {
    PerplexityResult heldOut;
    double calibrationKl = 0;
  };
  ProgressBar bar("held-out", 4, o.progress);
  auto evaluate = [&](const std::vector<std::optional<QuantizedWeight>> *set)
      -> llvm::Expected<Evaluated> {
    if (set)
      for (size_t i = 0; i < weights.size(); ++i)
        if ((*set)[i])
          if (llvm::Error error = trial.set(i, (*set)[i]->dequantized()))
            return std::move(error);
    Evaluated e;
    auto calibration = targets->compare(**studentModel, text->windows);
    auto heldOut = evaluatePerplexity(**studentModel, text->heldOut, teacher);
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
  auto teacherAlone = evaluatePerplexity(*teacher, text->heldOut);
  if (!teacherAlone)
    return makeError("teacher: {0}", llvm::toString(teacherAlone.takeError()));
  bar.advance();
  auto floatStudent = evaluate(nullptr);
  if (!floatStudent)
    return floatStudent.takeError();
  auto rtnStudent = evaluate(&rtns);
  if (!rtnStudent)
    return rtnStudent.takeError();
  auto finalStudent = evaluate(&finals);
  if (!finalStudent)
    return finalStudent.takeError();

  // e. The report.
  slm::quant::QuantReport report;
  report.set_producer(std::string("slmc ") + SLMC_VERSION_STRING);
  report.set_student(o.student);
  report.set_teacher(o.teacherPath);
  report.set_scheme(o.scheme);
  if (*budget) {
    report.mutable_budget()->set_bits_per_weight((*budget)->bitsPerWeight);
    report.mutable_budget()->set_max_bytes(static_cast<uint64_t>((*budget)->bits / 8));
  }
  slm::quant::Calibration *calibration = report.mutable_calibration();
  calibration->set_text(o.calibPath);
  calibration->set_seed(o.seed);
  calibration->set_context(o.context);
  calibration->set_tokens(text->tokens);
  calibration->set_windows(text->available);
  calibration->set_windows_used(text->windows.size());
  calibration->set_held_out_tokens(text->heldOutTokens);
  for (const TensorFormat &f : candidates)
    calibration->add_candidates(tensorFormatName(f));
  for (size_t i = 0; i < weights.size(); ++i) {
    const WeightTensor &w = weights[i];
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
    if (automatic)
      for (const Measurement &c : measured[i]) {
        slm::quant::Candidate *candidate = t->add_candidates();
        candidate->set_format(tensorFormatName(c.format));
        candidate->set_bits(c.bits);
        candidate->set_delta_kl(c.deltaKl);
        candidate->set_rtn_delta_kl(c.rtnDeltaKl);
        candidate->set_rounding(c.format ? roundingName(c.rounding) : "none");
      }
  }
  fillSummary(report.add_models(), "teacher", teacherBits.bits, teacherBits.parameters,
              *teacherAlone, std::nullopt);
  fillSummary(report.add_models(), "float student", total.bits, total.parameters,
              floatStudent->heldOut, floatStudent->calibrationKl);
  fillSummary(report.add_models(), "RTN student", quantizedBits, total.parameters,
              rtnStudent->heldOut, rtnStudent->calibrationKl);
  fillSummary(report.add_models(), "final student", quantizedBits, total.parameters,
              finalStudent->heldOut, finalStudent->calibrationKl);
  double finalKl = finalStudent->heldOut.klToTeacher.value_or(0);
  slm::quant::Gate *gate = report.mutable_gate();
  gate->set_enabled(o.maxKl.has_value());
  gate->set_max_kl(o.maxKl.value_or(0));
  gate->set_kl(finalKl);
  gate->set_passed(!o.maxKl || finalKl <= *o.maxKl);
  report.set_seconds(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());

  // f. The IR as it will run, the reports, the gate.
  for (size_t i = 0; i < weights.size(); ++i)
    if (finals[i])
      replaceWithQuantized(weights[i], *finals[i]);
  printReportTable(report, llvm::outs());
  if (!o.reportPath.empty())
    if (llvm::Error error = writeReportJson(report, o.reportPath))
      return error;
  if (!o.svgPath.empty())
    if (llvm::Error error = writeReportSvg(report, o.svgPath))
      return error;
  if (automatic)
    outcome.weightFormat = llvm::formatv("auto ({0:F3} bpw)",
                                         double(quantizedBits) / total.parameters);
  outcome.gatePassed = gate->passed();
  if (!outcome.gatePassed)
    outcome.gateMessage = llvm::formatv("KL(teacher || quantized student) {0:F6} on the held-out "
                                        "calibration tail exceeds --max-kl {1}",
                                        finalKl, shortestDecimal(*o.maxKl));
  return outcome;
}

} // namespace slmc
