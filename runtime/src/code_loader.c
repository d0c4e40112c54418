/*===- code_loader.c - dlopen the code section ----------------------------===*
 *
 * dlopen needs a file, so the code is copied into an anonymous memory file
 * (memfd) and opened through /proc/self/fd. Where memfds are unavailable or
 * not executable (vm.memfd_noexec), a private temporary file serves instead,
 * unlinked as soon as it is loaded.
 *
 *===----------------------------------------------------------------------===*/

#include "code_loader.h"

#include "error.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int write_all(int fd, const char *bytes, size_t size) {
  while (size > 0) {
    ssize_t written = write(fd, bytes, size);
    if (written < 0 && errno == EINTR)
      continue;
    if (written <= 0)
      return -1;
    bytes += written;
    size -= (size_t)written;
  }
  return 0;
}

/* glibc treats a path it has loaded before as the same library, so the fd
 * stays open (and its /proc name unique) while the code is loaded. */
static void *open_through_fd(int fd) {
  char name[64];
  snprintf(name, sizeof name, "/proc/self/fd/%d", fd);
  return dlopen(name, RTLD_NOW | RTLD_LOCAL);
}

static slm_status load_from_memfd(const void *bytes, size_t size, slm_loaded_code *code) {
  int fd = memfd_create("slmpack-code", MFD_CLOEXEC);
  if (fd < 0)
    return SLM_ERROR_IO;
  void *handle = write_all(fd, bytes, size) == 0 ? open_through_fd(fd) : NULL;
  if (!handle) {
    close(fd);
    return SLM_ERROR_IO;
  }
  code->handle = handle;
  code->fd = fd;
  return SLM_OK;
}

static slm_status load_from_temp_file(const char *path, const void *bytes, size_t size,
                                      slm_loaded_code *code) {
  const char *dir = getenv("TMPDIR");
  char name[4096];
  snprintf(name, sizeof name, "%s/slmpack-code-XXXXXX", dir && dir[0] ? dir : "/tmp");
  int fd = mkostemp(name, O_CLOEXEC);
  if (fd < 0)
    return slm_fail(SLM_ERROR_IO, "%s: cannot create a file for its code in %s: %s", path,
                    dir && dir[0] ? dir : "/tmp", strerror(errno));
  int written = write_all(fd, bytes, size);
  int saved_errno = errno;
  void *handle = written == 0 ? dlopen(name, RTLD_NOW | RTLD_LOCAL) : NULL;
  const char *failure = written == 0 && !handle ? dlerror() : NULL;
  unlink(name);
  close(fd);
  if (!handle) {
    if (failure)
      return slm_fail(SLM_ERROR_FORMAT, "%s: cannot load its code: %s", path, failure);
    return slm_fail(SLM_ERROR_IO, "%s: cannot write its code to %s: %s", path, name,
                    strerror(saved_errno));
  }
  code->handle = handle;
  code->fd = -1;
  return SLM_OK;
}

slm_status slm_code_load(const char *path, const void *bytes, size_t size, slm_loaded_code *code) {
  if (load_from_memfd(bytes, size, code) == SLM_OK)
    return SLM_OK;
  return load_from_temp_file(path, bytes, size, code);
}

void *slm_code_symbol(const char *path, const slm_loaded_code *code, const char *symbol) {
  void *address = dlsym(code->handle, symbol);
  if (!address)
    slm_fail(SLM_ERROR_FORMAT, "%s: its code does not export entry point '%s'", path, symbol);
  return address;
}

void slm_code_unload(slm_loaded_code *code) {
  dlclose(code->handle);
  if (code->fd >= 0)
    close(code->fd);
}
