//===- SensitivityPredictor.h - ΔKL from weighted rounding error -*- C++ -*-===//
//
// Measuring every tensor in every format end to end costs a forward pass over
// the calibration windows per trial: affordable for a model of a few million
// parameters, thousands of minute-long passes for a 0.5B one. The predictor
// takes ΔKL(tensor, format) ~ alpha(tensor) * E(tensor, format), where E is
// the rounding error weighted by the diagonal of the layer's input Hessian
// (the squared error the layer's output sees, ignoring correlations between
// inputs) and alpha, the KL that a unit of that error costs, is measured end
// to end on a few anchor tensors: every tensor of a few evenly spaced layers
// and every tensor outside the layers. The others take alpha from the anchors
// of the same role (the name with its layer index removed), interpolated
// linearly in depth.
//
//===----------------------------------------------------------------------===//
#pragma once

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace slmc {

/// The decoder layer a weight belongs to ("model.layers.7.mlp..." -> 7), -1
/// outside the layers (embedding, head).
int64_t layerOf(llvm::StringRef name);

/// Spearman's rank correlation (ties take their mean rank); 0 for fewer than
/// two values or a constant side.
double spearmanCorrelation(llvm::ArrayRef<double> a, llvm::ArrayRef<double> b);

class SensitivityPredictor {
public:
  /// Anchors: the tensors of `anchorLayers` evenly spaced layers (first and
  /// last included) and every tensor outside the layers.
  SensitivityPredictor(llvm::ArrayRef<std::string> names, int anchorLayers);

  bool isAnchor(size_t tensor) const { return anchor_[tensor]; }
  size_t anchorCount() const;

  /// An anchor's end-to-end ΔKL at error E (a negative ΔKL, noise, counts 0).
  void measure(size_t tensor, double deltaKl, double error);
  /// alpha for every tensor from the anchors measured so far.
  void fit();
  double predict(size_t tensor, double error) const { return alpha_[tensor] * error; }

private:
  std::vector<std::string> roles_;
  std::vector<int64_t> layers_;
  std::vector<bool> anchor_, measured_;
  std::vector<double> alpha_;
};

} // namespace slmc
