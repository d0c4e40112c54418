//===- InputFile.h - fuzz input bytes as a file a path names ----*- C++ -*-===//
//
// The compiler's readers take paths (and map them); the fuzz targets give them
// the input through an anonymous in-memory file (memfd), named by its
// /proc/self/fd path, or through a file in a per-process directory where the
// reader looks for sibling files (ONNX external data).
//
//===----------------------------------------------------------------------===//
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

namespace slmc::fuzz {

class InputFile {
public:
  InputFile(const uint8_t *data, size_t size) {
    fd_ = memfd_create("fuzz-input", MFD_CLOEXEC);
    if (fd_ >= 0 && write(fd_, data, size) != static_cast<ssize_t>(size)) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~InputFile() {
    if (fd_ >= 0)
      close(fd_);
  }
  InputFile(const InputFile &) = delete;
  InputFile &operator=(const InputFile &) = delete;

  bool ok() const { return fd_ >= 0; }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

private:
  int fd_ = -1;
};

/// Writes the input as the file at `path` (for readers that look for its
/// siblings); false when it cannot.
inline bool writeInput(const std::string &path, const uint8_t *data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char *>(data), static_cast<std::streamsize>(size));
  return static_cast<bool>(out);
}

/// A directory of this process under /tmp (created once, left for the
/// system's cleaning: the fuzzer may be killed at any point).
inline const std::string &scratchDirectory() {
  static const std::string dir = [] {
    std::string pattern = "/tmp/slmc-fuzz-XXXXXX";
    if (!mkdtemp(pattern.data()))
      abort();
    return pattern;
  }();
  return dir;
}

} // namespace slmc::fuzz
