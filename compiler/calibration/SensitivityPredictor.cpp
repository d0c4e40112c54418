//===- SensitivityPredictor.cpp - ΔKL from weighted rounding error --------===//

#include "compiler/calibration/SensitivityPredictor.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

namespace slmc {

int64_t layerOf(llvm::StringRef name) {
  size_t at = name.find("layers.");
  int64_t layer;
  if (at == llvm::StringRef::npos ||
      name.substr(at + 7).take_until([](char c) { return c == '.'; }).getAsInteger(10, layer))
    return -1;
  return layer;
}

namespace {

std::vector<double> ranks(llvm::ArrayRef<double> values) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] < values[b]; });
  std::vector<double> rank(values.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]])
      ++j;
    for (size_t k = i; k <= j; ++k)
      rank[order[k]] = (i + j) / 2.0;
    i = j + 1;
  }
  return rank;
}

/// The name with its layer index removed: "model.layers.*.mlp.up_proj.weight".
std::string roleOf(llvm::StringRef name) {
  size_t at = name.find("layers.");
  if (at == llvm::StringRef::npos)
    return name.str();
  llvm::StringRef rest = name.substr(at + 7).drop_while([](char c) { return c != '.'; });
  return (name.take_front(at + 7).str() + "*" + rest.str());
}

} // namespace

double spearmanCorrelation(llvm::ArrayRef<double> a, llvm::ArrayRef<double> b) {
  if (a.size() != b.size() || a.size() < 2)
    return 0;
  std::vector<double> ra = ranks(a), rb = ranks(b);
  double n = a.size(), mean = (n - 1) / 2;
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ab += (ra[i] - mean) * (rb[i] - mean);
    aa += (ra[i] - mean) * (ra[i] - mean);
    bb += (rb[i] - mean) * (rb[i] - mean);
  }
  return aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : 0;
}

SensitivityPredictor::SensitivityPredictor(llvm::ArrayRef<std::string> names, int anchorLayers)
    : anchor_(names.size(), false), measured_(names.size(), false), alpha_(names.size(), 0.0) {
  int64_t layers = 0;
  for (const std::string &name : names) {
    roles_.push_back(roleOf(name));
    layers_.push_back(layerOf(name));
    layers = std::max(layers, layers_.back() + 1);
  }
  std::set<int64_t> anchorLayerSet;
  for (int k = 0; k < anchorLayers && layers > 0; ++k)
    anchorLayerSet.insert(anchorLayers == 1 ? 0 : k * (layers - 1) / (anchorLayers - 1));
  for (size_t i = 0; i < names.size(); ++i)
    anchor_[i] = layers_[i] < 0 || anchorLayerSet.count(layers_[i]);
}

size_t SensitivityPredictor::anchorCount() const {
  return std::count(anchor_.begin(), anchor_.end(), true);
}

void SensitivityPredictor::measure(size_t tensor, double deltaKl, double error) {
  alpha_[tensor] = error > 0 ? std::max(deltaKl, 0.0) / error : 0;
  measured_[tensor] = true;
}

void SensitivityPredictor::fit() {
  std::vector<double> all;
  for (size_t i = 0; i < alpha_.size(); ++i)
    if (measured_[i])
      all.push_back(alpha_[i]);
  double median = 0;
  if (!all.empty()) {
    std::nth_element(all.begin(), all.begin() + all.size() / 2, all.end());
    median = all[all.size() / 2];
  }
  for (size_t i = 0; i < alpha_.size(); ++i) {
    if (measured_[i])
      continue;
    // The nearest measured layers of the same role below and above.
    int64_t below = -1, above = -1;
    for (size_t j = 0; j < alpha_.size(); ++j) {
      if (!measured_[j] || roles_[j] != roles_[i])
        continue;
      if (layers_[j] <= layers_[i] && (below < 0 || layers_[j] > layers_[below]))
        below = static_cast<int64_t>(j);
      if (layers_[j] >= layers_[i] && (above < 0 || layers_[j] < layers_[above]))
        above = static_cast<int64_t>(j);
    }
    if (below < 0 && above < 0)
      alpha_[i] = median;
    else if (below < 0 || above < 0 || layers_[below] == layers_[above])
      alpha_[i] = alpha_[below < 0 ? above : below];
    else {
      double t = double(layers_[i] - layers_[below]) / (layers_[above] - layers_[below]);
      alpha_[i] = (1 - t) * alpha_[below] + t * alpha_[above];
    }
  }
}

} // namespace slmc
