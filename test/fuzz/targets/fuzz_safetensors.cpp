//===- fuzz_safetensors.cpp - a safetensors file -------------------------===//
//
// Bytes as a model.safetensors: the 8-byte header length, the JSON header
// (dtypes, shapes, data offsets) validated on open, then every tensor widened
// to f32 where its dtype allows. The file is written to a memfd, as open()
// maps a path.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontends/hf/Safetensors.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int fd = memfd_create("fuzz.safetensors", MFD_CLOEXEC);
  if (fd < 0)
    return 0;
  if (write(fd, data, size) != static_cast<ssize_t>(size)) {
    close(fd);
    return 0;
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  auto file = slmc::SafetensorsFile::open(path);
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
  close(fd);
  return 0;
}
