/*===- code_loader.h - the code section as a loaded library -------*- C -*-===*/
#ifndef SLM_CODE_LOADER_H
#define SLM_CODE_LOADER_H

#include "slm_runtime.h"

typedef struct slm_loaded_code {
  void *handle; /* from dlopen */
  int fd;       /* the memfd dlopen read, or -1 */
} slm_loaded_code;

/* Loads the ELF shared object in bytes[0, size) of the artifact at `path`. */
slm_status slm_code_load(const char *path, const void *bytes, size_t size, slm_loaded_code *code);
/* The address of `symbol`, or NULL with the error set. */
void *slm_code_symbol(const char *path, const slm_loaded_code *code, const char *symbol);
void slm_code_unload(slm_loaded_code *code);

#endif
