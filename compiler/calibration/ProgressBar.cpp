//===- ProgressBar.cpp - calibration progress on stderr -------------------===//

#include "compiler/calibration/ProgressBar.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

namespace slmc {

ProgressBar::ProgressBar(llvm::StringRef label, int64_t total, bool enabled)
    : label_(label.str()), total_(std::max<int64_t>(total, 1)), enabled_(enabled),
      terminal_(llvm::sys::Process::StandardErrIsDisplayed()),
      start_(std::chrono::steady_clock::now()) {
  if (enabled_ && terminal_)
    draw(false);
}

ProgressBar::~ProgressBar() {
  if (enabled_)
    draw(true);
}

void ProgressBar::advance(int64_t steps) {
  done_ += steps;
  if (enabled_ && terminal_)
    draw(false);
}

void ProgressBar::draw(bool final) {
  constexpr int64_t kWidth = 24;
  int64_t filled = std::min(done_, total_) * kWidth / total_;
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  llvm::errs() << llvm::formatv("{0}{1,-12} [{2}{3}] {4,4}/{5}  {6:F1} s{7}", terminal_ ? "\r" : "",
                                label_, std::string(filled, '#'),
                                std::string(kWidth - filled, '.'), done_, total_, seconds,
                                final ? "\n" : "");
  llvm::errs().flush();
}

} // namespace slmc
