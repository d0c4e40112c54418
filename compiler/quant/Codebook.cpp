//===- Codebook.cpp - non-uniform grids fitted to a weight matrix ---------===//

#include "compiler/quant/Codebook.h"

#include "compiler/quant/QuantizedWeight.h"

#include <algorithm>
#include <cmath>

namespace slmc {
namespace {

constexpr int64_t kSampleWeights = int64_t(1) << 16;
constexpr int kRounds = 3;            // scale choices and refits per start
constexpr int64_t kBins = 2048;       // of the scaled values, over the clip grid's reach
constexpr int kLloydIterations = 300; // per round, on the bins

/// The fit's data: the sampled rows of the matrix and what it weighs.
struct Sample {
  llvm::ArrayRef<float> weights;
  int64_t columns, size, groups;
  const slm::WeightFormat &format;
  llvm::ArrayRef<float> clipGrid;
  llvm::ArrayRef<double> importance;
  std::vector<int64_t> rows;

  const float *group(int64_t r, int64_t g) const { return weights.data() + r * columns + g * size; }
  int64_t length(int64_t g) const { return std::min(size, columns - g * size); }
  const double *groupImportance(int64_t g) const {
    return importance.empty() ? nullptr : &importance[g * size];
  }
};

/// Quantiles (at (j + 1/2) / entries, weighted by the sample's importance)
/// of the values over minus their group's value of largest magnitude, which
/// a scale of clip 1 maps to [-1, 1] with the extreme at -1 (the codebook's
/// negative side is the longer one, as for integer codes); empty when every
/// value is 0.
std::vector<float> quantileStart(const Sample &s, int64_t entries) {
  std::vector<std::pair<float, double>> normalized;
  for (int64_t r : s.rows)
    for (int64_t g = 0; g < s.groups; ++g) {
      const float *w = s.group(r, g);
      int64_t n = s.length(g);
      float extreme = 0;
      for (int64_t i = 0; i < n; ++i)
        if (std::fabs(w[i]) > std::fabs(extreme))
          extreme = w[i];
      const double *importance = s.groupImportance(g);
      if (extreme != 0)
        for (int64_t i = 0; i < n; ++i)
          normalized.push_back(
              {-w[i] / extreme, (importance ? importance[i] : 1.0) + 1e-30});
    }
  std::vector<float> codebook(entries);
  if (normalized.empty())
    return {};
  std::sort(normalized.begin(), normalized.end());
  double total = 0, seen = 0;
  for (auto &[value, weight] : normalized)
    total += weight;
  int64_t j = 0;
  for (auto &[value, weight] : normalized) {
    seen += weight;
    while (j < entries && seen >= (j + 0.5) / entries * total)
      codebook[j++] = value;
  }
  for (; j < entries; ++j)
    codebook[j] = normalized.back().first;
  // Equal quantiles (many equal values) would leave entries unused.
  for (int64_t k = 1; k < entries; ++k)
    if (!(codebook[k] > codebook[k - 1]))
      codebook[k] = std::nextafter(codebook[k - 1], INFINITY);
  return codebook;
}

/// Refines `codebook` from its start for `rounds` rounds (0: only measures
/// it); `best` and `bestError` keep the table of least sampled error seen.
/// Each round: the groups' scales and the error
/// for the current table (the clip search), then the table refitted to the
/// values those scales give, u = w / s with weight importance * s^2 (so that
/// importance * (w - s e)^2 = weight * (u - e)^2), by Lloyd-Max run to
/// convergence on a fine histogram of u: one-dimensional k-means converges
/// slowly, and on 2^11 bins its iterations cost nothing next to a pass over
/// the weights.
void refine(const Sample &s, std::vector<float> codebook, std::vector<float> &best,
            double &bestError, int rounds) {
  const int64_t entries = static_cast<int64_t>(codebook.size());
  std::vector<double> binWeight(kBins), binMoment(kBins);
  const double lo = -1.0 / s.clipGrid.back() - 1e-6, width = -2.0 * lo / kBins;
  for (int round = 0; round <= rounds; ++round) {
    std::fill(binWeight.begin(), binWeight.end(), 0.0);
    std::fill(binMoment.begin(), binMoment.end(), 0.0);
    double error = 0;
    for (int64_t r : s.rows)
      for (int64_t g = 0; g < s.groups; ++g) {
        const float *w = s.group(r, g);
        int64_t n = s.length(g);
        const double *importance = s.groupImportance(g);
        double groupError = 0;
        GroupScale scale =
            GroupScale::search(w, n, s.format, s.clipGrid, importance, &groupError, codebook);
        error += groupError;
        double factor = scale.decodedScale;
        if (factor == 0)
          continue;
        for (int64_t i = 0; i < n; ++i) {
          double u = w[i] / factor, weight = (importance ? importance[i] : 1.0) * factor * factor;
          int64_t bin = std::clamp<int64_t>(static_cast<int64_t>((u - lo) / width), 0, kBins - 1);
          binWeight[bin] += weight;
          binMoment[bin] += weight * u;
        }
      }
    if (error < bestError) {
      bestError = error;
      best = codebook;
    }
    if (round == rounds)
      break;
    std::vector<double> position, mass;
    for (int64_t b = 0; b < kBins; ++b)
      if (binWeight[b] > 0) {
        position.push_back(binMoment[b] / binWeight[b]);
        mass.push_back(binWeight[b]);
      }
    std::vector<double> entry(codebook.begin(), codebook.end()), numerator(entries),
        denominator(entries);
    for (int iteration = 0; iteration < kLloydIterations; ++iteration) {
      std::fill(numerator.begin(), numerator.end(), 0.0);
      std::fill(denominator.begin(), denominator.end(), 0.0);
      int64_t k = 0; // positions ascend, so their nearest entries do too
      for (size_t p = 0; p < position.size(); ++p) {
        while (k + 1 < entries && position[p] > 0.5 * (entry[k] + entry[k + 1]))
          ++k;
        numerator[k] += mass[p] * position[p];
        denominator[k] += mass[p];
      }
      double moved = 0;
      for (int64_t e = 0; e < entries; ++e)
        if (denominator[e] > 0) { // an entry nothing maps to keeps its value
          double updated = numerator[e] / denominator[e];
          moved = std::max(moved, std::fabs(updated - entry[e]));
          entry[e] = updated;
        }
      std::sort(entry.begin(), entry.end());
      if (moved < 1e-7)
        break;
    }
    for (int64_t e = 0; e < entries; ++e)
      codebook[e] = static_cast<float>(entry[e]);
  }
}

} // namespace

std::vector<float> fitCodebook(llvm::ArrayRef<float> weights, int64_t rows, int64_t columns,
                               const slm::WeightFormat &format, llvm::ArrayRef<float> clipGrid,
                               llvm::ArrayRef<double> importance) {
  const int64_t entries = int64_t(1) << format.bits;
  Sample s{weights, columns, format.groupSize(columns), format.groupsPerRow(columns),
           format,  clipGrid, importance, {}};
  const int64_t stride = std::max<int64_t>(1, rows * columns / kSampleWeights);
  for (int64_t r = 0; r < rows; r += stride)
    s.rows.push_back(r);

  // Lloyd-Max finds a local optimum. The integer grid (-2^(b-1) .. 2^(b-1) -
  // 1 over 2^(b-1), which the integer format is) is a candidate, so the
  // fitted table is never worse than it on the sample. The plain fit starts
  // from the quantiles; under an importance, weighted rounds converge slowly,
  // so they start from the plain fit and from the weighted quantiles.
  std::vector<float> uniform(entries);
  for (int64_t k = 0; k < entries; ++k)
    uniform[k] = static_cast<float>(k - entries / 2) / static_cast<float>(entries / 2);
  Sample plain = s;
  plain.importance = {};
  std::vector<float> start = quantileStart(plain, entries);
  if (start.empty()) // an all-zero matrix: any grid is exact
    return uniform;
  std::vector<float> unweighted;
  double unweightedError = INFINITY;
  refine(plain, uniform, unweighted, unweightedError, /*rounds=*/0);
  refine(plain, start, unweighted, unweightedError, kRounds);
  if (importance.empty())
    return unweighted;
  std::vector<float> best;
  double bestError = INFINITY;
  refine(s, uniform, best, bestError, /*rounds=*/0);
  refine(s, unweighted, best, bestError, kRounds);
  refine(s, quantileStart(s, entries), best, bestError, kRounds);
  return best;
}

} // namespace slmc
