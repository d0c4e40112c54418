//===- ProgressBar.h - calibration progress on stderr -----------*- C++ -*-===//
#pragma once

#include "llvm/ADT/StringRef.h"

#include <chrono>
#include <mutex>
#include <string>

namespace slmc {

/// "sensitivity  [########............]   45/180  12.3 s, ETA 27.1 s  model.layers.3.mlp.up_proj"
/// redrawn in place on a terminal; elsewhere (CI logs) a line each tenth of
/// the stage or each minute, and one when it ends: a long calibration shows
/// its phase, where it is and how long it has left.
class ProgressBar {
public:
  ProgressBar(llvm::StringRef label, int64_t total, bool enabled);
  ~ProgressBar();
  /// `item`: what was just done (a tensor's name), shown until the next.
  /// Safe to call from several threads (work spread by parallelFor).
  void advance(int64_t steps = 1, llvm::StringRef item = "");

private:
  void draw(bool final);

  std::string label_, item_;
  int64_t total_, done_ = 0, logged_ = 0;
  bool enabled_, terminal_;
  std::chrono::steady_clock::time_point start_, lastLine_;
  std::mutex mutex_;
};

} // namespace slmc
