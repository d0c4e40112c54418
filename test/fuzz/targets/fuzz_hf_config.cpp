//===- fuzz_hf_config.cpp - a Hugging Face config.json --------------------===//
//
// Bytes as config.json: JSON parsing, each field's type and range, the
// architecture's own fields (rope scaling, sliding windows, soft-capping).
//
//===----------------------------------------------------------------------===//

#include "InputFile.h"
#include "compiler/frontends/hf/HfConfig.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  slmc::fuzz::InputFile input(data, size);
  if (!input.ok())
    return 0;
  auto config = slmc::readHfConfig(input.path());
  if (!config)
    llvm::consumeError(config.takeError());
  return 0;
}
