//===- ProgressBar.cpp - calibration progress on stderr -------------------===//

#include "compiler/calibration/ProgressBar.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

namespace slmc {

ProgressBar::ProgressBar(llvm::StringRef label, int64_t total, bool enabled)
    : label_(label.str()), total_(std::max<int64_t>(total, 1)), enabled_(enabled),
      terminal_(llvm::sys::Process::StandardErrIsDisplayed()),
      start_(std::chrono::steady_clock::now()), lastLine_(start_) {
  if (enabled_ && terminal_)
    draw(false);
}

ProgressBar::~ProgressBar() {
  if (enabled_)
    draw(true);
}

void ProgressBar::advance(int64_t steps, llvm::StringRef item) {
  std::lock_guard<std::mutex> lock(mutex_);
  done_ += steps;
  item_ = item.str();
  if (!enabled_)
    return;
  if (terminal_) {
    draw(false);
    return;
  }
  // A log gets a line per tenth of the stage, or per minute, whichever first
  // (the last line is the destructor's).
  auto now = std::chrono::steady_clock::now();
  if (done_ < total_ &&
      ((done_ - logged_) * 10 >= total_ || now - lastLine_ >= std::chrono::minutes(1))) {
    logged_ = done_;
    lastLine_ = now;
    draw(false);
    llvm::errs() << "\n";
  }
}

void ProgressBar::draw(bool final) {
  constexpr int64_t kWidth = 24;
  int64_t filled = std::min(done_, total_) * kWidth / total_;
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string eta;
  if (!final && done_ > 0 && done_ < total_)
    eta = llvm::formatv(", ETA {0:F1} s", seconds / done_ * (total_ - done_)).str();
  std::string item = !final && !item_.empty() ? "  " + item_ : "";
  // On a terminal the line is redrawn: pad over a longer previous one.
  std::string text = llvm::formatv("{0,-12} [{1}{2}] {3,4}/{4}  {5:F1} s{6}{7}", label_,
                                   std::string(filled, '#'), std::string(kWidth - filled, '.'),
                                   done_, total_, seconds, eta, item)
                         .str();
  if (terminal_)
    text.resize(std::max<size_t>(text.size(), 110), ' ');
  llvm::errs() << (terminal_ ? "\r" : "") << text << (final ? "\n" : "");
  llvm::errs().flush();
}

} // namespace slmc
