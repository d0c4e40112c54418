/*===- replay_main.c - a fuzz target's inputs, replayed without libFuzzer --===*
 *
 *   slmc-fuzz-NAME-replay FILE|DIR...
 *
 * Calls the target's LLVMFuzzerTestOneInput once per file (a directory: each
 * regular file in it), as libFuzzer would replay them; a crash or sanitizer
 * report fails the run. ctest replays every target's corpus this way on each
 * run (test/fuzz/corpus: seeds and the reproducers of fixed crashes).
 *
 *===----------------------------------------------------------------------===*/
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "replay: cannot open %s\n", path);
    return 1;
  }
  size_t capacity = 1 << 16, size = 0;
  uint8_t *data = malloc(capacity);
  size_t got;
  while (data && (got = fread(data + size, 1, capacity - size, f)) > 0) {
    size += got;
    if (size == capacity) {
      uint8_t *grown = realloc(data, capacity *= 2);
      if (!grown)
        free(data);
      data = grown;
    }
  }
  fclose(f);
  if (!data) {
    fprintf(stderr, "replay: %s: out of memory\n", path);
    return 1;
  }
  /* An exact-size copy, so that reading past the input is a sanitizer report. */
  uint8_t *exact = malloc(size ? size : 1);
  memcpy(exact, data, size);
  free(data);
  LLVMFuzzerTestOneInput(exact, size);
  free(exact);
  return 0;
}

int main(int argc, char **argv) {
  int failures = 0, inputs = 0;
  for (int i = 1; i < argc; ++i) {
    struct stat info;
    if (stat(argv[i], &info) != 0) {
      fprintf(stderr, "replay: cannot stat %s\n", argv[i]);
      ++failures;
      continue;
    }
    if (!S_ISDIR(info.st_mode)) {
      failures += replay_file(argv[i]);
      ++inputs;
      continue;
    }
    DIR *dir = opendir(argv[i]);
    struct dirent *entry;
    while (dir && (entry = readdir(dir))) {
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", argv[i], entry->d_name);
      if (stat(path, &info) == 0 && S_ISREG(info.st_mode)) {
        failures += replay_file(path);
        ++inputs;
      }
    }
    if (dir)
      closedir(dir);
  }
  printf("replayed %d inputs\n", inputs);
  return failures ? 1 : 0;
}
