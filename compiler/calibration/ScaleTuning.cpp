//===- ScaleTuning.cpp - end-to-end tuning of quantization scales ---------===//

#include "compiler/calibration/ScaleTuning.h"

#include "compiler/calibration/ProgressBar.h"
#include "compiler/executor/Executor.h"
#include "compiler/support/Error.h"
#include "compiler/support/ParallelFor.h"
#include "compiler/weights/WeightBlob.h"
#include "dialects/slm/IR/SlmDialect.h"
#include "dialects/slm/IR/SlmOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cmath>
#include <numeric>
#include <random>
#include <thread>

using namespace mlir;

namespace slmc {
namespace {

using exec::DType;
using exec::Tensor;

/// Adam (Kingma & Ba) over one array of parameters, bias-corrected.
class Adam {
public:
  explicit Adam(size_t n) : m_(n, 0.0), v_(n, 0.0) {}
  /// params -= rate * m̂ / (sqrt(v̂) + eps), at step t (from 1).
  void step(double *params, const double *gradient, double rate, int64_t t) {
    const double b1 = 0.9, b2 = 0.999, eps = 1e-12;
    double c1 = 1 - std::pow(b1, double(t)), c2 = 1 - std::pow(b2, double(t));
    for (size_t i = 0; i < m_.size(); ++i) {
      m_[i] = b1 * m_[i] + (1 - b1) * gradient[i];
      v_[i] = b2 * v_[i] + (1 - b2) * gradient[i] * gradient[i];
      params[i] -= rate * (m_[i] / c1) / (std::sqrt(v_[i] / c2) + eps);
    }
  }

private:
  std::vector<double> m_, v_;
};

double rms(llvm::ArrayRef<float> values) {
  double sum = 0;
  for (float v : values)
    sum += double(v) * v;
  return values.empty() ? 0 : std::sqrt(sum / values.size());
}

/// One quantized tensor's tunable scales: w = s_g unit + m_g with s_g =
/// s0_g e^{u_g} stored in f16, unit the code's value at scale 1 (the integer
/// code, or the codebook entry e[code], itself tuned), m_g the group's
/// minimum (asymmetric), as slm.dequantize decodes them.
struct TunedTensor {
  size_t index = 0;
  const WeightTensor *weight = nullptr;
  int64_t groups = 0, groupSize = 0;
  std::vector<int32_t> codes; // each weight's, as codeAt reads it
  std::vector<float> scale0;
  std::vector<double> logScale, minimum;
  double minimumRate = 0; // minimums move in units of the tensor's mean |scale|
  Adam scaleAdam{0}, minimumAdam{0};
  std::vector<double> entries; // codebook formats only
  double entryRate = 0;        // in units of the entries' RMS
  Adam entryAdam{0};
  /// When codes move too (else empty): each weight's position at scale 1 is
  /// z = unit + offset, trained by the straight-through gradient dL/dz =
  /// s_g dW, and its code is the level nearest to z. Kept as an offset from
  /// the code's level, z follows its entry when a codebook moves.
  std::vector<double> offset;
  double offsetRate = 0; // the levels' mean spacing: z's unit of step
  Adam offsetAdam{0};
  int32_t minCode = 0, maxCode = 0;

  float unitAt(int64_t i) const {
    return entries.empty() ? static_cast<float>(codes[i]) : float(entries[codes[i]]);
  }
  /// Every group's scale and minimum as stored (f16).
  std::vector<float> scales() const {
    std::vector<float> s(logScale.size());
    for (size_t g = 0; g < s.size(); ++g)
      s[g] = fromHalf(toHalf(float(scale0[g] * std::exp(logScale[g]))));
    return s;
  }
  std::vector<float> minimums() const {
    std::vector<float> m(minimum.size());
    for (size_t g = 0; g < m.size(); ++g)
      m[g] = fromHalf(toHalf(float(minimum[g])));
    return m;
  }

  std::vector<float> values() const {
    std::vector<float> w(codes.size());
    std::vector<float> s = scales(), m = minimums();
    int64_t columns = weight->columns;
    for (int64_t r = 0; r < weight->rows; ++r)
      for (int64_t c = 0; c < columns; ++c) {
        int64_t g = r * groups + c / groupSize;
        w[r * columns + c] = s[g] * unitAt(r * columns + c) + (m.empty() ? 0.0f : m[g]);
      }
    return w;
  }

  /// dL/du_g = s_g Σ dW unit, dL/dm_g = Σ dW, dL/de_k = Σ_{code k} dW s_g,
  /// dL/dz = s_g dW, and one Adam step each (z's at `codeRate`).
  void step(const float *dW, double rate, double codeRate, int64_t t) {
    int64_t columns = weight->columns;
    std::vector<float> s = scales();
    std::vector<double> dScale(logScale.size(), 0.0), dMinimum(minimum.size(), 0.0);
    std::vector<double> dEntry(entries.size(), 0.0), dOffset(offset.size(), 0.0);
    for (int64_t r = 0; r < weight->rows; ++r)
      for (int64_t c = 0; c < columns; ++c) {
        int64_t g = r * groups + c / groupSize, i = r * columns + c;
        if (!offset.empty())
          dOffset[i] = double(dW[i]) * s[g];
        dScale[g] += double(dW[i]) * unitAt(i);
        if (!minimum.empty())
          dMinimum[g] += dW[i];
        if (!entries.empty())
          dEntry[codes[i]] += double(dW[i]) * s[g];
      }
    for (size_t g = 0; g < dScale.size(); ++g)
      dScale[g] *= scale0[g] * std::exp(logScale[g]);
    scaleAdam.step(logScale.data(), dScale.data(), rate, t);
    if (!offset.empty()) {
      offsetAdam.step(offset.data(), dOffset.data(), codeRate * offsetRate, t);
      std::vector<float> levels(entries.begin(), entries.end()); // as nearestEntry takes them
      for (size_t i = 0; i < offset.size(); ++i) {
        double z = unitAt(static_cast<int64_t>(i)) + offset[i];
        int32_t code =
            entries.empty()
                ? std::clamp(static_cast<int32_t>(std::nearbyint(z)), minCode, maxCode)
                : nearestEntry(levels, static_cast<float>(z));
        if (code != codes[i]) {
          codes[i] = code;
          offset[i] = z - unitAt(static_cast<int64_t>(i));
        }
      }
    }
    if (!minimum.empty())
      minimumAdam.step(minimum.data(), dMinimum.data(), rate * minimumRate, t);
    if (!entries.empty()) {
      entryAdam.step(entries.data(), dEntry.data(), rate * entryRate, t);
      // Entries stay ascending (Codebook.h): neighbours that crossed meet
      // at their mean, until none cross.
      for (bool crossed = true; crossed;) {
        crossed = false;
        for (size_t k = 1; k < entries.size(); ++k)
          if (entries[k] < entries[k - 1]) {
            entries[k] = entries[k - 1] = 0.5 * (entries[k] + entries[k - 1]);
            crossed = true;
          }
      }
    }
  }

  /// Stores the tuned values in q; returns how many codes differ from q's.
  int64_t store(QuantizedWeight &q) const {
    int64_t changed = 0;
    if (!offset.empty())
      for (int64_t r = 0; r < weight->rows; ++r)
        for (int64_t c = 0; c < weight->columns; ++c) {
          int32_t code = codes[r * weight->columns + c];
          changed += codeAt(q.row(r), c, q.format) != code;
          putCode(q.row(r), c, code, q.format);
        }
    for (size_t k = 0; k < entries.size(); ++k)
      q.codebook[k] = static_cast<float>(entries[k]);
    std::vector<float> s = scales(), m = minimums();
    for (size_t g = 0; g < s.size(); ++g)
      q.scales[g] = toHalf(s[g]);
    for (size_t g = 0; g < m.size(); ++g)
      q.minimums[g] = toHalf(m[g]);
    return changed;
  }
};

TunedTensor tunedTensor(size_t index, const WeightTensor &w, const QuantizedWeight &q,
                        bool moveCodes) {
  TunedTensor t;
  t.index = index;
  t.weight = &w;
  t.groups = q.format.groupsPerRow(w.columns);
  t.groupSize = q.format.groupSize(w.columns);
  t.codes.resize(w.rows * w.columns);
  for (int64_t r = 0; r < w.rows; ++r)
    for (int64_t c = 0; c < w.columns; ++c)
      t.codes[r * w.columns + c] =
          codeAt(q.codes.data() + r * q.format.packedRowBytes(w.columns), c, q.format);
  double meanScale = 0;
  for (uint16_t s : q.scales) {
    t.scale0.push_back(fromHalf(s));
    meanScale += std::fabs(fromHalf(s));
  }
  if (!q.codebook.empty()) {
    t.entries.assign(q.codebook.begin(), q.codebook.end());
    t.entryRate = rms(q.codebook);
    t.entryAdam = Adam(q.codebook.size());
  }
  t.logScale.assign(q.scales.size(), 0.0);
  t.scaleAdam = Adam(q.scales.size());
  if (moveCodes) {
    t.offset.assign(t.codes.size(), 0.0);
    t.offsetAdam = Adam(t.offset.size());
    t.offsetRate = t.entries.empty() ? 1.0
                                     : (t.entries.back() - t.entries.front()) /
                                           double(t.entries.size() - 1);
    t.minCode = q.format.minCode();
    t.maxCode = q.format.maxCode();
  }
  if (!q.format.symmetric) {
    for (uint16_t m : q.minimums)
      t.minimum.push_back(fromHalf(m));
    t.minimumRate = q.scales.empty() ? 0 : meanScale / q.scales.size();
    t.minimumAdam = Adam(q.minimums.size());
  }
  return t;
}

/// A float constant tuned as it is, in units of its own RMS.
struct TunedFloat {
  Operation *constant = nullptr;
  exec::Shape shape;
  std::vector<float> initial;
  std::vector<double> values;
  double rate = 0;
  Adam adam{0};
};

llvm::Expected<std::vector<float>> constantValues(Operation *op) {
  auto constant = llvm::dyn_cast<slm::ConstantOp>(op);
  if (!constant || !llvm::cast<RankedTensorType>(constant.getType()).getElementType().isF32())
    return makeError("only f32 slm.constant values can be tuned");
  std::vector<float> values;
  if (auto dense = llvm::dyn_cast<DenseElementsAttr>(constant.getValue())) {
    for (float v : dense.getValues<float>())
      values.push_back(v);
    return values;
  }
  llvm::ArrayRef<char> bytes = weightBytes(constant.getValue());
  values.resize(bytes.size() / sizeof(float));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
  return values;
}

Tensor tensorOf(llvm::ArrayRef<int64_t> shape, llvm::ArrayRef<float> values) {
  return Tensor::fromValues<float>(DType::F32, shape, values);
}

} // namespace

std::vector<Operation *> tunableFloatConstants(ModuleOp module) {
  std::vector<Operation *> constants;
  func::FuncOp forward = slm::getForward(module);
  if (!forward)
    return constants;
  auto add = [&](Value value) {
    auto constant = value ? value.getDefiningOp<slm::ConstantOp>() : slm::ConstantOp();
    if (constant && llvm::cast<RankedTensorType>(constant.getType()).getElementType().isF32() &&
        !llvm::is_contained(constants, constant.getOperation()))
      constants.push_back(constant);
  };
  forward.walk([&](Operation *op) {
    if (auto norm = llvm::dyn_cast<slm::RmsNormOp>(op))
      add(norm.getWeight());
    else if (auto linear = llvm::dyn_cast<slm::LinearOp>(op))
      add(linear.getBias());
  });
  return constants;
}

llvm::Expected<ScaleTuningResult>
tuneScales(ReferenceModel &student, const SoftTargets &targets,
           const std::vector<std::vector<int32_t>> &windows, const SoftTargets &checkTargets,
           const std::vector<std::vector<int32_t>> &checkWindows,
           const std::vector<WeightTensor> &weights,
           std::vector<std::optional<QuantizedWeight>> &quantized,
           llvm::ArrayRef<Operation *> floatConstants, const ScaleTuningOptions &o) {
  ScaleTuningResult result;
  if (windows.empty() || checkWindows.empty())
    return makeError("scale tuning needs calibration windows");
  std::vector<TunedTensor> tensors;
  for (size_t i = 0; i < weights.size(); ++i)
    if (quantized[i])
      tensors.push_back(tunedTensor(i, weights[i], *quantized[i], o.codeRate > 0));
  std::vector<TunedFloat> floats;
  for (Operation *op : floatConstants) {
    auto values = constantValues(op);
    if (!values)
      return values.takeError();
    TunedFloat f;
    f.constant = op;
    f.shape = exec::Shape(llvm::cast<RankedTensorType>(op->getResult(0).getType()).getShape());
    f.initial = *values;
    f.values.assign(values->begin(), values->end());
    // All zeros (a bias) would never move in units of its RMS.
    f.rate = std::max(rms(*values), 1e-2);
    f.adam = Adam(values->size());
    floats.push_back(std::move(f));
  }
  for (const TunedTensor &t : tensors) {
    result.parameters += t.logScale.size() + t.minimum.size() + t.entries.size();
    result.codes += t.offset.size();
  }
  for (const TunedFloat &f : floats)
    result.parameters += f.values.size();
  std::vector<Operation *> constants;
  for (const TunedTensor &t : tensors)
    constants.push_back(t.weight->constant);
  for (const TunedFloat &f : floats)
    constants.push_back(f.constant);

  exec::Executor &executor = student.executor();
  auto install = [&]() -> llvm::Error {
    for (const TunedTensor &t : tensors)
      if (auto error = executor.replaceConstant(
              t.weight->constant, tensorOf({t.weight->rows, t.weight->columns}, t.values())))
        return error;
    for (const TunedFloat &f : floats) {
      std::vector<float> v(f.values.begin(), f.values.end());
      if (auto error = executor.replaceConstant(f.constant, tensorOf(f.shape, v)))
        return error;
    }
    return llvm::Error::success();
  };
  auto restore = [&]() -> llvm::Error {
    for (const TunedTensor &t : tensors)
      if (auto error = executor.replaceConstant(
              t.weight->constant, Tensor::view(DType::F32, {t.weight->rows, t.weight->columns},
                                               t.weight->values.data(), nullptr)))
        return error;
    for (const TunedFloat &f : floats)
      if (auto error = executor.replaceConstant(f.constant, tensorOf(f.shape, f.initial)))
        return error;
    return llvm::Error::success();
  };
  auto calibrationKl = [&]() -> llvm::Expected<double> {
    if (auto error = install())
      return std::move(error);
    auto agreement = checkTargets.compare(student, checkWindows);
    if (!agreement)
      return agreement.takeError();
    return agreement->kl;
  };

  // Everything below runs with tuned values installed; the float values go
  // back on every way out.
  auto tune = [&]() -> llvm::Error {
    auto before = calibrationKl();
    if (!before)
      return before.takeError();
    result.klBefore = *before;

    const int64_t perStep = std::min<int64_t>(o.windowsPerStep, windows.size());
    // Windows run `concurrent` at a time, and their gradients are added in
    // the batch's order: the sums do not depend on the thread count, and
    // memory holds `concurrent` recordings and gradients at once.
    const int64_t concurrent = std::min<int64_t>(
        perStep, o.threads > 0 ? o.threads
                               : std::max(1u, std::thread::hardware_concurrency()));
    std::mt19937_64 random(o.seed);
    std::vector<size_t> order(windows.size());
    std::iota(order.begin(), order.end(), 0);
    size_t next = order.size(); // reshuffled when used up
    ProgressBar bar("tuning", o.steps, o.progress);
    for (int64_t step = 1; step <= o.steps; ++step) {
      if (auto error = install())
        return error;
      std::vector<size_t> batch;
      for (int64_t b = 0; b < perStep; ++b) {
        if (next == order.size()) {
          std::shuffle(order.begin(), order.end(), random);
          next = 0;
        }
        batch.push_back(order[next++]);
      }
      std::vector<std::vector<double>> sums(constants.size());
      int64_t positions = 0;
      for (size_t first = 0; first < batch.size(); first += concurrent) {
        size_t count = std::min<size_t>(concurrent, batch.size() - first);
        std::vector<std::vector<Tensor>> gradients(count);
        std::vector<std::string> errors(count);
        parallelFor(static_cast<int64_t>(count), o.threads, [&](int64_t b) {
          size_t window = batch[first + b];
          auto g = student.gradient(
              windows[window],
              [&](const Tensor &logits) -> llvm::Expected<Tensor> {
                Tensor seed;
                auto kl = targets.klGradient(window, logits, seed);
                if (!kl)
                  return kl.takeError();
                return seed;
              },
              constants);
          if (!g)
            errors[b] = llvm::toString(g.takeError());
          else
            gradients[b] = std::move(*g);
        });
        for (const std::string &error : errors)
          if (!error.empty())
            return makeError("{0}", error);
        for (size_t b = 0; b < count; ++b) {
          positions += static_cast<int64_t>(windows[batch[first + b]].size());
          for (size_t c = 0; c < constants.size(); ++c) {
            const Tensor &g = gradients[b][c];
            sums[c].resize(g.size(), 0.0);
            for (int64_t i = 0; i < g.size(); ++i)
              sums[c][i] += g.data<float>()[i];
          }
        }
      }
      // Mean KL per position; the rate decays along a half cosine to a tenth.
      double progress = double(step - 1) / std::max<int64_t>(1, o.steps);
      double rate = o.learningRate * (0.55 + 0.45 * std::cos(M_PI * progress));
      // The codes' step decays along a half cosine to nothing: the last steps
      // tune the scales of the codes that ship.
      double codeRate = o.learningRate * o.codeRate * 0.5 * (1 + std::cos(M_PI * progress));
      for (size_t c = 0; c < constants.size(); ++c) {
        std::vector<float> g(sums[c].size());
        for (size_t i = 0; i < g.size(); ++i)
          g[i] = static_cast<float>(sums[c][i] / positions);
        if (c < tensors.size()) {
          tensors[c].step(g.data(), rate, codeRate, step);
        } else {
          TunedFloat &f = floats[c - tensors.size()];
          std::vector<double> mean(g.begin(), g.end());
          f.adam.step(f.values.data(), mean.data(), rate * f.rate, step);
        }
      }
      bar.advance();
    }
    result.steps = o.steps;
    auto after = calibrationKl();
    if (!after)
      return after.takeError();
    result.klAfter = *after;
    result.kept = result.klAfter < result.klBefore;
    return llvm::Error::success();
  };
  llvm::Error error = tune();
  llvm::Error restored = restore();
  if (error) {
    llvm::consumeError(std::move(restored));
    return std::move(error);
  }
  if (restored)
    return std::move(restored);
  if (result.kept) {
    for (const TunedTensor &t : tensors) {
      result.codesChanged += t.store(*quantized[t.index]);
    }
    for (const TunedFloat &f : floats)
      result.constants.push_back(
          {f.constant, std::vector<float>(f.values.begin(), f.values.end()), f.initial});
  }
  return result;
}

} // namespace slmc
