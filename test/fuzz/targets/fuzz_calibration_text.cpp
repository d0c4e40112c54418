//===- fuzz_calibration_text.cpp - calibration text for --quant -----------===//
//
// Bytes as the --calib text: read, tokenized with TinyStories-656K's
// tokenizer, its held-out tail cut off and the rest cut into windows (short
// windows of 16 tokens so that small inputs make several).
//
//===----------------------------------------------------------------------===//

#include "InputFile.h"
#include "compiler/calibration/CalibrationData.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const std::unique_ptr<slmc::Tokenizer> tokenizer = [] {
    auto loaded = slmc::loadTokenizer(SLMC_FUZZ_DATA "/tinystories-656k/tokenizer.json");
    if (!loaded) {
      llvm::errs() << llvm::toString(loaded.takeError()) << "\n";
      abort();
    }
    return std::move(*loaded);
  }();
  slmc::fuzz::InputFile input(data, size);
  if (!input.ok())
    return 0;
  auto text = slmc::loadCalibrationText(input.path(), *tokenizer, /*context=*/16,
                                        /*windowsWanted=*/4, /*seed=*/1);
  if (!text)
    llvm::consumeError(text.takeError());
  return 0;
}
