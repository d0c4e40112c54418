//===- ProgressBar.h - calibration progress on stderr -----------*- C++ -*-===//
#pragma once

#include "llvm/ADT/StringRef.h"

#include <chrono>
#include <string>

namespace slmc {

/// "  sensitivity [########............]  45/180  12.3 s" redrawn in place on
/// a terminal; elsewhere (CI logs) one line when the stage ends.
class ProgressBar {
public:
  ProgressBar(llvm::StringRef label, int64_t total, bool enabled);
  ~ProgressBar();
  void advance(int64_t steps = 1);

private:
  void draw(bool final);

  std::string label_;
  int64_t total_, done_ = 0;
  bool enabled_, terminal_;
  std::chrono::steady_clock::time_point start_;
};

} // namespace slmc
