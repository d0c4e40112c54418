//===- fuzz_safetensors.cpp - a safetensors file -------------------------===//
//
// Bytes as a model.safetensors: the 8-byte header length, the JSON header
// (dtypes, shapes, data offsets) validated on open, then every tensor widened
// to f32 where its dtype allows.
//
//===----------------------------------------------------------------------===//

#include "InputFile.h"
#include "compiler/frontends/hf/Safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  slmc::fuzz::InputFile input(data, size);
  if (!input.ok())
    return 0;
  auto file = slmc::SafetensorsFile::open(input.path());
  if (file) {
    for (const std::string &name : (*file)->names())
      if (const auto *tensor = (*file)->find(name)) {
        auto values = slmc::readAsF32(*tensor);
        if (!values)
          llvm::consumeError(values.takeError());
      }
  } else {
    llvm::consumeError(file.takeError());
  }
  return 0;
}
